import Foundation

/// The rectangle a chart plots its data in, with its two scales: data to pixels, and the grid,
/// axes, ticks, tick labels and axis titles around it.
struct PlotArea: Sendable {
    /// Pixel bounds: `left`…`right` across, `top`…`bottom` down.
    let left: Double, right: Double, top: Double, bottom: Double
    let xScale: NiceScale, yScale: NiceScale

    /// The pixel column of a data value.
    func x(_ value: Double) -> Double {
        left + (value - xScale.low) / (xScale.high - xScale.low) * (right - left)
    }

    /// The pixel row of a data value (larger values higher up).
    func y(_ value: Double) -> Double {
        bottom - (value - yScale.low) / (yScale.high - yScale.low) * (bottom - top)
    }

    /// Grid lines at the ticks, the two axis lines with tick marks, the tick labels and the axis
    /// titles: `xTitle` centred 42 px under the plot, `yTitle` rotated 52 px left of it.
    func axes(xTitle: String, yTitle: String) -> String {
        let n = SVG.number
        var out = "<g class=\"grid\" stroke=\"\(SVG.gridColor)\" stroke-width=\"1\">\n"
        for tick in yScale.ticks { out += "<line x1=\"\(n(left))\" y1=\"\(n(y(tick)))\" x2=\"\(n(right))\" y2=\"\(n(y(tick)))\"/>\n" }
        for tick in xScale.ticks { out += "<line x1=\"\(n(x(tick)))\" y1=\"\(n(top))\" x2=\"\(n(x(tick)))\" y2=\"\(n(bottom))\"/>\n" }
        out += "</g>\n<g class=\"axes\" stroke=\"\(SVG.axisColor)\" stroke-width=\"1\">\n"
        out += "<line x1=\"\(n(left))\" y1=\"\(n(bottom))\" x2=\"\(n(right))\" y2=\"\(n(bottom))\"/>\n"
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(bottom))\"/>\n"
        for tick in yScale.ticks { out += "<line x1=\"\(n(left - 5))\" y1=\"\(n(y(tick)))\" x2=\"\(n(left))\" y2=\"\(n(y(tick)))\"/>\n" }
        for tick in xScale.ticks { out += "<line x1=\"\(n(x(tick)))\" y1=\"\(n(bottom))\" x2=\"\(n(x(tick)))\" y2=\"\(n(bottom + 5))\"/>\n" }
        out += "</g>\n<g class=\"tick-labels\" fill=\"\(SVG.axisColor)\">\n"
        for tick in yScale.ticks {
            out += "<text x=\"\(n(left - 8))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\">\(yScale.label(tick))</text>\n"
        }
        for tick in xScale.ticks {
            out += "<text x=\"\(n(x(tick)))\" y=\"\(n(bottom + 20))\" text-anchor=\"middle\">\(xScale.label(tick))</text>\n"
        }
        out += "</g>\n"
        let middleY = (top + bottom) / 2, titleX = left - 52
        out += "<text x=\"\(n((left + right) / 2))\" y=\"\(n(bottom + 42))\" text-anchor=\"middle\" fill=\"\(SVG.textColor)\">\(SVG.escape(xTitle))</text>\n"
        out += "<text x=\"\(n(titleX))\" y=\"\(n(middleY))\" text-anchor=\"middle\" fill=\"\(SVG.textColor)\" transform=\"rotate(-90 \(n(titleX)) \(n(middleY)))\">\(SVG.escape(yTitle))</text>\n"
        return out
    }
}

/// A boxed legend: one row per entry, a swatch drawn by the entry and its label.
struct Legend {
    struct Entry {
        var label: String
        /// The swatch's SVG, given the centre of the 24 × 12 px swatch area.
        var swatch: (_ x: Double, _ y: Double) -> String
    }

    static let rowHeight = 18.0

    /// The legend with its top-left corner at (`x`, `y`), `width` wide.
    static func svg(_ entries: [Entry], x: Double, y: Double, width: Double) -> String {
        let n = SVG.number
        var out = "<g class=\"legend\">\n<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(Double(entries.count) * rowHeight + 8))\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n"
        for (index, entry) in entries.enumerated() {
            let rowY = y + 4 + rowHeight * (Double(index) + 0.5)
            out += entry.swatch(x + 20, rowY)
            out += "<text x=\"\(n(x + 40))\" y=\"\(n(rowY + 4))\" fill=\"\(SVG.textColor)\">\(SVG.escape(entry.label))</text>\n"
        }
        return out + "</g>\n"
    }

    /// The width a legend needs for its longest label.
    static func width(for labels: [String]) -> Double {
        48 + Double(labels.map(\.count).max() ?? 0) * SVG.characterWidth
    }
}
