import Foundation

/// A standalone SVG line chart of a run's losses: the training loss per step as a thin line with a
/// smoothed line over it, the validation loss as points joined by a line, axes with round ticks,
/// a grid and a legend. Opens in any browser; no scripts, no external fonts or styles.
///
/// ```swift
/// let metrics = LossChart.read(metrics: run.appendingPathComponent("metrics.jsonl"))
/// let svg = LossChart.svg(train: metrics.train, valid: metrics.valid, title: "ftjob-1 · SmolLM2-135M")
/// try svg.write(to: run.appendingPathComponent("loss.svg"), atomically: true, encoding: .utf8)
/// ```
public enum LossChart {
    /// A loss at a step.
    public typealias Point = (step: Int, loss: Double)

    static let width = 800.0, height = 450.0
    static let left = 70.0, right = 24.0, top = 48.0, bottom = 56.0
    static let trainColor = "#1f77b4", validColor = "#ff7f0e"

    /// The chart as an SVG document. Non-finite losses are left out; with no points at all the
    /// chart says so.
    /// - Parameters:
    ///   - train: training loss per step.
    ///   - valid: validation loss at the steps it was measured.
    ///   - title: the heading (escaped for XML).
    public static func svg(train: [Point], valid: [Point], title: String) -> String {
        let train = clean(train), valid = clean(valid)
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="#ffffff"/>
        <text x="\(format(width / 2))" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222222">\(escape(title))</text>

        """
        let all = train + valid
        guard !all.isEmpty else {
            out += "<text x=\"\(format(width / 2))\" y=\"\(format(height / 2))\" text-anchor=\"middle\" fill=\"#888888\">no losses recorded yet</text>\n</svg>\n"
            return out
        }
        let xTicks = NiceScale(low: Double(all.map(\.step).min() ?? 0), high: Double(all.map(\.step).max() ?? 1), maxTicks: 8, integral: true)
        let yTicks = NiceScale(low: all.map(\.loss).min() ?? 0, high: all.map(\.loss).max() ?? 1, maxTicks: 6, integral: false)
        let plot = Plot(x: xTicks, y: yTicks)

        out += axes(plot)
        if !train.isEmpty {
            out += "<polyline class=\"train\" fill=\"none\" stroke=\"\(trainColor)\" stroke-opacity=\"0.35\" stroke-width=\"1\" points=\"\(path(train, plot))\"/>\n"
            let smoothed = smooth(train)
            out += "<polyline class=\"train-smoothed\" fill=\"none\" stroke=\"\(trainColor)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(path(smoothed, plot))\"/>\n"
        }
        if !valid.isEmpty {
            out += "<polyline class=\"valid\" fill=\"none\" stroke=\"\(validColor)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" points=\"\(path(valid, plot))\"/>\n"
            for point in valid {
                out += "<circle class=\"valid-point\" cx=\"\(format(plot.x(point.step)))\" cy=\"\(format(plot.y(point.loss)))\" r=\"3.5\" fill=\"\(validColor)\">"
                    + "<title>step \(point.step): validation loss \(String(format: "%.4f", point.loss))</title></circle>\n"
            }
        }
        out += legend(train: !train.isEmpty, valid: !valid.isEmpty)
        out += "</svg>\n"
        return out
    }

    /// The training and validation losses in a run's `metrics.jsonl`: step records carry `step` and
    /// `train_loss`, validation records `step` and `valid_loss`. Lines that are not JSON objects
    /// with those numbers are skipped; a later record for the same step replaces an earlier one
    /// (a resumed run). A missing file gives no points.
    public static func read(metrics url: URL) -> (train: [Point], valid: [Point]) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return ([], []) }
        var train: [Int: Double] = [:], valid: [Int: Double] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.intValue else { continue }
            if let loss = (object["train_loss"] as? NSNumber)?.doubleValue { train[step] = loss }
            if let loss = (object["valid_loss"] as? NSNumber)?.doubleValue { valid[step] = loss }
        }
        func sorted(_ points: [Int: Double]) -> [Point] {
            points.sorted { $0.key < $1.key }.map { (step: $0.key, loss: $0.value) }
        }
        return (sorted(train), sorted(valid))
    }

    /// A centred moving average (so the trend does not lag behind the steps, as an exponential
    /// average's does), over about 1/25 of the points: none below 10 points, 13 of 300. Near the
    /// ends the window shrinks to the points there are.
    static func smooth(_ points: [Point]) -> [Point] {
        let half = points.count < 10 ? 0 : max(1, points.count / 50)
        guard half > 0 else { return points }
        var prefix = [0.0]   // prefix[i] = sum of the first i losses
        prefix.reserveCapacity(points.count + 1)
        for point in points { prefix.append((prefix.last ?? 0) + point.loss) }
        return points.indices.map { index in
            let low = max(0, index - half), high = min(points.count - 1, index + half)
            return (points[index].step, (prefix[high + 1] - prefix[low]) / Double(high - low + 1))
        }
    }

    private static func clean(_ points: [Point]) -> [Point] {
        points.filter { $0.loss.isFinite }.sorted { $0.step < $1.step }
    }

    private static func path(_ points: [Point], _ plot: Plot) -> String {
        points.map { "\(format(plot.x($0.step))),\(format(plot.y($0.loss)))" }.joined(separator: " ")
    }

    private static func axes(_ plot: Plot) -> String {
        let x0 = left, x1 = width - right, y0 = top, y1 = height - bottom
        var out = "<g class=\"grid\" stroke=\"#e5e5e5\" stroke-width=\"1\">\n"
        for tick in plot.yScale.ticks { out += "<line x1=\"\(format(x0))\" y1=\"\(format(plot.y(tick)))\" x2=\"\(format(x1))\" y2=\"\(format(plot.y(tick)))\"/>\n" }
        for tick in plot.xScale.ticks { out += "<line x1=\"\(format(plot.x(tick)))\" y1=\"\(format(y0))\" x2=\"\(format(plot.x(tick)))\" y2=\"\(format(y1))\"/>\n" }
        out += "</g>\n<g class=\"axes\" stroke=\"#444444\" stroke-width=\"1\">\n"
        out += "<line x1=\"\(format(x0))\" y1=\"\(format(y1))\" x2=\"\(format(x1))\" y2=\"\(format(y1))\"/>\n"
        out += "<line x1=\"\(format(x0))\" y1=\"\(format(y0))\" x2=\"\(format(x0))\" y2=\"\(format(y1))\"/>\n"
        for tick in plot.yScale.ticks { out += "<line x1=\"\(format(x0 - 5))\" y1=\"\(format(plot.y(tick)))\" x2=\"\(format(x0))\" y2=\"\(format(plot.y(tick)))\"/>\n" }
        for tick in plot.xScale.ticks { out += "<line x1=\"\(format(plot.x(tick)))\" y1=\"\(format(y1))\" x2=\"\(format(plot.x(tick)))\" y2=\"\(format(y1 + 5))\"/>\n" }
        out += "</g>\n<g class=\"tick-labels\" fill=\"#444444\">\n"
        for tick in plot.yScale.ticks {
            out += "<text x=\"\(format(x0 - 8))\" y=\"\(format(plot.y(tick) + 4))\" text-anchor=\"end\">\(plot.yScale.label(tick))</text>\n"
        }
        for tick in plot.xScale.ticks {
            out += "<text x=\"\(format(plot.x(tick)))\" y=\"\(format(y1 + 20))\" text-anchor=\"middle\">\(plot.xScale.label(tick))</text>\n"
        }
        out += "</g>\n"
        out += "<text x=\"\(format((x0 + x1) / 2))\" y=\"\(format(height - 14))\" text-anchor=\"middle\" fill=\"#222222\">step</text>\n"
        out += "<text x=\"18\" y=\"\(format((y0 + y1) / 2))\" text-anchor=\"middle\" fill=\"#222222\" transform=\"rotate(-90 18 \(format((y0 + y1) / 2)))\">loss</text>\n"
        return out
    }

    private static func legend(train: Bool, valid: Bool) -> String {
        var entries: [(label: String, line: String)] = []
        if train {
            entries.append(("train loss", "stroke=\"\(trainColor)\" stroke-opacity=\"0.35\" stroke-width=\"1\""))
            entries.append(("train loss (smoothed)", "stroke=\"\(trainColor)\" stroke-width=\"2\""))
        }
        if valid { entries.append(("validation loss", "stroke=\"\(validColor)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"")) }
        let boxWidth = 170.0, rowHeight = 18.0
        let x = width - right - boxWidth - 8, y = top + 8
        var out = "<g class=\"legend\">\n<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(boxWidth))\" height=\"\(format(Double(entries.count) * rowHeight + 8))\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n"
        for (index, entry) in entries.enumerated() {
            let rowY = y + 4 + rowHeight * (Double(index) + 0.5)
            out += "<line x1=\"\(format(x + 8))\" y1=\"\(format(rowY))\" x2=\"\(format(x + 32))\" y2=\"\(format(rowY))\" \(entry.line)/>\n"
            if entry.label == "validation loss" {
                out += "<circle cx=\"\(format(x + 20))\" cy=\"\(format(rowY))\" r=\"3.5\" fill=\"\(validColor)\"/>\n"
            }
            out += "<text x=\"\(format(x + 40))\" y=\"\(format(rowY + 4))\" fill=\"#222222\">\(entry.label)</text>\n"
        }
        return out + "</g>\n"
    }

    /// Coordinates with two decimals, the precision a screen needs.
    static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// `&`, `<`, `>`, `"` and `'` as XML entities; control characters XML 1.0 forbids are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Data to pixels.
    private struct Plot {
        let xScale: NiceScale, yScale: NiceScale
        init(x: NiceScale, y: NiceScale) { xScale = x; yScale = y }
        func x(_ step: Int) -> Double { x(Double(step)) }
        func x(_ value: Double) -> Double {
            LossChart.left + (value - xScale.low) / (xScale.high - xScale.low) * (LossChart.width - LossChart.left - LossChart.right)
        }
        func y(_ value: Double) -> Double {
            LossChart.height - LossChart.bottom - (value - yScale.low) / (yScale.high - yScale.low) * (LossChart.height - LossChart.top - LossChart.bottom)
        }
    }
}

/// An axis range widened to round numbers with ticks at 1, 2 or 5 × 10ⁿ (Heckbert, "Nice numbers
/// for graph labels", Graphics Gems, 1990).
struct NiceScale {
    let low: Double, high: Double, spacing: Double
    let ticks: [Double]

    init(low dataLow: Double, high dataHigh: Double, maxTicks: Int, integral: Bool) {
        var lowValue = dataLow, highValue = dataHigh
        if highValue - lowValue < 1e-12 {   // one value: give it room
            let pad = integral ? 1 : max(abs(lowValue) * 0.1, 0.1)
            lowValue -= integral ? 0 : pad
            highValue += pad
        }
        var spacing = Self.nice((highValue - lowValue) / Double(max(1, maxTicks - 1)), round: true)
        if integral { spacing = max(1, spacing.rounded()) }
        let low = (lowValue / spacing).rounded(.down) * spacing
        let high = (highValue / spacing).rounded(.up) * spacing
        let count = Int(((high - low) / spacing).rounded())
        self.low = low
        self.high = high
        self.spacing = spacing
        ticks = (0...count).map { low + Double($0) * spacing }
    }

    /// The tick's text, with as many decimals as the spacing needs.
    func label(_ value: Double) -> String {
        let decimals = max(0, Int((-log10(spacing) - 1e-9).rounded(.up)))
        return String(format: "%.\(decimals)f", abs(value) < spacing * 1e-9 ? 0 : value)
    }

    /// 1, 2, 5 or 10 × 10ⁿ near `value`.
    static func nice(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = log10(value).rounded(.down)
        let fraction = value / pow(10, exponent)
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }
}
