import Foundation

/// One answer on the truth-against-prediction chart.
public struct ScatterPoint: Sendable, Equatable {
    /// The expected value (x).
    public var truth: Double
    /// The model's value (y).
    public var prediction: Double
    /// What the point's tooltip names first (e.g. "example 12").
    public var label: String

    public init(truth: Double, prediction: Double, label: String) {
        self.truth = truth
        self.prediction = prediction
        self.label = label
    }
}

/// How far a prediction may be from the truth and still count as right: a share of the truth, an
/// amount, or both (a point is within when either holds). Both nil: no tolerance, nothing is coloured
/// by error.
public struct ChartTolerance: Sendable, Equatable {
    /// 0.1 = within 10 % of the truth.
    public var relative: Double?
    /// In the values' own units (5 = within ±5).
    public var absolute: Double?

    public init(relative: Double? = nil, absolute: Double? = nil) {
        self.relative = relative
        self.absolute = absolute
    }

    /// The largest error allowed at `truth`, times `factor`; nil without a tolerance.
    func allowance(at truth: Double, factor: Double = 1) -> Double? {
        let bounds = [relative.map { $0 * abs(truth) }, absolute].compactMap { $0 }
        return bounds.max().map { $0 * factor }
    }

    /// "10 %", "±5", "10 % or ±5", each times `factor`.
    func describe(factor: Double) -> String {
        func trimmed(_ value: Double) -> String {
            String(format: "%.6g", value)
        }
        let parts = [relative.map { trimmed($0 * factor * 100) + " %" }, absolute.map { "±" + trimmed($0 * factor) }]
        return parts.compactMap { $0 }.joined(separator: " or ")
    }
}

/// The seeds' price tester as an SVG: truth across, prediction up, the same scale on both axes, the
/// y = x diagonal and the tolerance band around it. Each point is green within the tolerance, orange
/// within twice it and red beyond; a point outside the plot is drawn as a triangle on the edge it
/// went past, so an outlier is still seen. The legend counts each colour.
///
/// ```swift
/// let points = scores.map { ScatterPoint(truth: $0.expected, prediction: $0.value, label: "example \($0.index)") }
/// let svg = ScatterChart.svg(points: points, title: "pricer vs truth", tolerance: ChartTolerance(relative: 0.1))
/// ```
public enum ScatterChart {
    static let width = 800.0, height = 600.0
    static let left = 80.0, top = 56.0, side = 480.0
    static let withinColor = "#2ca02c", nearColor = "#ff7f0e", beyondColor = "#d62728", plainColor = "#1f77b4"

    /// Which colour a point gets.
    enum Band: String, CaseIterable {
        case within, near, beyond, plain
    }

    /// The chart as an SVG document. Points with a non-finite truth or prediction are left out (the
    /// legend counts them); with no points at all the chart says so.
    /// - Parameters:
    ///   - points: one per answer that holds a number.
    ///   - title: the heading (escaped for XML).
    ///   - xLabel, yLabel: the axis titles.
    ///   - tolerance: what counts as right; it colours the points and shades the band around y = x.
    public static func svg(points: [ScatterPoint], title: String, xLabel: String = "Truth", yLabel: String = "Prediction",
                           tolerance: ChartTolerance) -> String {
        var out = SVG.open(width: width, height: height, title: title)
        let shown = points.filter { $0.truth.isFinite && $0.prediction.isFinite }
        guard !shown.isEmpty else {
            return out + SVG.message("no numeric answers to plot", width: width, height: height) + SVG.close
        }
        let scale = self.scale(shown)
        let plot = PlotArea(left: left, right: left + side, top: top, bottom: top + side, xScale: scale, yScale: scale)
        out += plot.axes(xTitle: xLabel, yTitle: yLabel)
        out += band(plot, tolerance)
        let n = SVG.number
        out += "<line class=\"diagonal\" x1=\"\(n(plot.left))\" y1=\"\(n(plot.bottom))\" x2=\"\(n(plot.right))\" y2=\"\(n(plot.top))\" stroke=\"#555555\" stroke-width=\"1\" stroke-dasharray=\"6 4\"/>\n"

        var counts: [Band: Int] = [:], offChart = 0
        let classified = shown.map { (point: $0, band: band(of: $0, tolerance)) }
        // Green first, red last, so the errors sit on top.
        for band in Band.allCases {
            for (point, pointBand) in classified where pointBand == band {
                counts[band, default: 0] += 1
                let drawn = marker(point, band: band, plot: plot)
                if drawn.clamped { offChart += 1 }
                out += drawn.svg
            }
        }
        out += legend(counts: counts, offChart: offChart, dropped: points.count - shown.count, tolerance: tolerance)
        return out + SVG.close
    }

    /// The colour band of a point: within the tolerance, within twice it, beyond; `plain` without one.
    static func band(of point: ScatterPoint, _ tolerance: ChartTolerance) -> Band {
        guard let allowed = tolerance.allowance(at: point.truth) else { return .plain }
        let error = abs(point.prediction - point.truth)
        // A hair of slack so that 110 against 100 at 10 % counts as within despite rounding.
        let slack = 1e-9 * max(1, abs(point.truth))
        if error <= allowed + slack { return .within }
        if error <= 2 * allowed + slack { return .near }
        return .beyond
    }

    /// One scale for both axes: every truth, and the predictions up to half the truths' range beyond
    /// them (wilder ones are clamped to the edge). When no truth is negative the scale does not go
    /// below 0, and it starts at 0 when the lowest value is under a third of the highest.
    static func scale(_ points: [ScatterPoint]) -> NiceScale {
        let truths = points.map(\.truth), predictions = points.map(\.prediction)
        let truthLow = truths.min() ?? 0, truthHigh = truths.max() ?? 1
        var span = truthHigh - truthLow
        if span <= 0 { span = max(abs(truthHigh), 1) }
        var floor = truthLow - span / 2
        if truthLow >= 0 { floor = max(0, floor) }
        var low = min(truthLow, max(predictions.min() ?? truthLow, floor))
        var high = max(truthHigh, min(predictions.max() ?? truthHigh, truthHigh + span / 2))
        // A little room so that no point sits on an axis (but no negative axis for positive values).
        let pad = (high - low) * 0.03
        low = low >= 0 ? max(0, low - pad) : low - pad
        high += pad
        if low >= 0, low <= high / 3 { low = 0 }
        return NiceScale(low: low, high: high, maxTicks: 7, integral: false)
    }

    private static func color(_ band: Band) -> String {
        switch band {
        case .within: withinColor
        case .near: nearColor
        case .beyond: beyondColor
        case .plain: plainColor
        }
    }

    /// A circle, or a triangle on the edge pointing the way the point went off the chart.
    private static func marker(_ point: ScatterPoint, band: Band, plot: PlotArea) -> (svg: String, clamped: Bool) {
        let n = SVG.number
        let x = plot.x(point.truth), y = plot.y(point.prediction)
        let cx = min(plot.right, max(plot.left, x)), cy = min(plot.bottom, max(plot.top, y))
        let error = point.prediction - point.truth
        var tooltip = "\(point.label): truth \(value(point.truth)), prediction \(value(point.prediction)), error \(error >= 0 ? "+" : "")\(value(error))"
        if point.truth != 0 { tooltip += String(format: " (%+.1f %%)", error / abs(point.truth) * 100) }
        let style = "fill=\"\(color(band))\" fill-opacity=\"0.8\" stroke=\"#ffffff\" stroke-width=\"0.8\""
        let className = "point \(band.rawValue)"
        guard cx != x || cy != y else {
            return ("<circle class=\"\(className)\" cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4\" \(style)><title>\(SVG.escape(tooltip))</title></circle>\n", false)
        }
        tooltip += " (off the chart)"
        let corners: [(Double, Double)]
        // The tip on the edge, the triangle inside the plot.
        if y < plot.top { corners = [(cx, cy), (cx - 6, cy + 10), (cx + 6, cy + 10)] }             // ▲ above the top
        else if y > plot.bottom { corners = [(cx, cy), (cx - 6, cy - 10), (cx + 6, cy - 10)] }     // ▼ below the bottom
        else if x > plot.right { corners = [(cx, cy), (cx - 10, cy - 6), (cx - 10, cy + 6)] }      // ▶ past the right
        else { corners = [(cx, cy), (cx + 10, cy - 6), (cx + 10, cy + 6)] }                       // ◀ past the left
        let list = corners.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        return ("<polygon class=\"\(className) outlier\" points=\"\(list)\" \(style)><title>\(SVG.escape(tooltip))</title></polygon>\n", true)
    }

    /// The band of predictions within the tolerance, a pale green polygon around y = x, cut to the plot.
    private static func band(_ plot: PlotArea, _ tolerance: ChartTolerance) -> String {
        guard tolerance.allowance(at: 1) != nil else { return "" }
        let scale = plot.xScale, steps = 240
        let xs = (0...steps).map { scale.low + (scale.high - scale.low) * Double($0) / Double(steps) }
        func clampedY(_ value: Double) -> Double { min(scale.high, max(scale.low, value)) }
        let upper = xs.map { x in (x, clampedY(x + (tolerance.allowance(at: x) ?? 0))) }
        let lower = xs.reversed().map { x in (x, clampedY(x - (tolerance.allowance(at: x) ?? 0))) }
        let list = (upper + lower).map { "\(SVG.number(plot.x($0.0))),\(SVG.number(plot.y($0.1)))" }.joined(separator: " ")
        return "<polygon class=\"tolerance-band\" points=\"\(list)\" fill=\"\(withinColor)\" fill-opacity=\"0.1\" stroke=\"none\"/>\n"
    }

    private static func legend(counts: [Band: Int], offChart: Int, dropped: Int, tolerance: ChartTolerance) -> String {
        let n = SVG.number
        func dot(_ band: Band) -> (Double, Double) -> String {
            { x, y in "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(color(band))\" fill-opacity=\"0.8\"/>\n" }
        }
        var entries: [Legend.Entry] = []
        if tolerance.allowance(at: 1) != nil {
            let once = tolerance.describe(factor: 1), twice = tolerance.describe(factor: 2)
            entries.append(.init(label: "within \(once): \(counts[.within] ?? 0)", swatch: dot(.within)))
            entries.append(.init(label: "within \(twice): \(counts[.near] ?? 0)", swatch: dot(.near)))
            entries.append(.init(label: "beyond \(twice): \(counts[.beyond] ?? 0)", swatch: dot(.beyond)))
        } else {
            entries.append(.init(label: "answers: \(counts[.plain] ?? 0)", swatch: dot(.plain)))
        }
        entries.append(.init(label: "y = x (exact)") { x, y in
            "<line x1=\"\(n(x - 12))\" y1=\"\(n(y))\" x2=\"\(n(x + 12))\" y2=\"\(n(y))\" stroke=\"#555555\" stroke-dasharray=\"6 4\"/>\n"
        })
        if offChart > 0 {
            entries.append(.init(label: "off the chart: \(offChart)") { x, y in
                "<polygon points=\"\(n(x)),\(n(y - 6)) \(n(x - 6)),\(n(y + 4)) \(n(x + 6)),\(n(y + 4))\" fill=\"#666666\"/>\n"
            })
        }
        if dropped > 0 {
            entries.append(.init(label: "not a number: \(dropped)") { _, _ in "" })
        }
        let boxX = left + side + 16
        return Legend.svg(entries, x: boxX, y: top, width: width - boxX - 12)
    }

    /// A value for a tooltip: up to 6 significant digits.
    private static func value(_ number: Double) -> String {
        String(format: "%.6g", number)
    }
}
