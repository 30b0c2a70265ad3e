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
        var out = SVG.open(width: width, height: height, title: title)
        let all = train + valid
        guard !all.isEmpty else {
            return out + SVG.message("no losses recorded yet", width: width, height: height) + SVG.close
        }
        let plot = PlotArea(
            left: left, right: width - right, top: top, bottom: height - bottom,
            xScale: NiceScale(low: Double(all.map(\.step).min() ?? 0), high: Double(all.map(\.step).max() ?? 1), maxTicks: 8, integral: true),
            yScale: NiceScale(low: all.map(\.loss).min() ?? 0, high: all.map(\.loss).max() ?? 1, maxTicks: 6, integral: false))

        out += plot.axes(xTitle: "step", yTitle: "loss")
        if !train.isEmpty {
            out += "<polyline class=\"train\" fill=\"none\" stroke=\"\(trainColor)\" stroke-opacity=\"0.35\" stroke-width=\"1\" points=\"\(path(train, plot))\"/>\n"
            let smoothed = smooth(train)
            out += "<polyline class=\"train-smoothed\" fill=\"none\" stroke=\"\(trainColor)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(path(smoothed, plot))\"/>\n"
        }
        if !valid.isEmpty {
            out += "<polyline class=\"valid\" fill=\"none\" stroke=\"\(validColor)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" points=\"\(path(valid, plot))\"/>\n"
            for point in valid {
                out += "<circle class=\"valid-point\" cx=\"\(SVG.number(plot.x(Double(point.step))))\" cy=\"\(SVG.number(plot.y(point.loss)))\" r=\"3.5\" fill=\"\(validColor)\">"
                    + "<title>step \(point.step): validation loss \(String(format: "%.4f", point.loss))</title></circle>\n"
            }
        }
        out += legend(train: !train.isEmpty, valid: !valid.isEmpty)
        return out + SVG.close
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

    private static func path(_ points: [Point], _ plot: PlotArea) -> String {
        points.map { "\(SVG.number(plot.x(Double($0.step)))),\(SVG.number(plot.y($0.loss)))" }.joined(separator: " ")
    }

    private static func legend(train: Bool, valid: Bool) -> String {
        func line(_ style: String) -> (Double, Double) -> String {
            { x, y in "<line x1=\"\(SVG.number(x - 12))\" y1=\"\(SVG.number(y))\" x2=\"\(SVG.number(x + 12))\" y2=\"\(SVG.number(y))\" \(style)/>\n" }
        }
        var entries: [Legend.Entry] = []
        if train {
            entries.append(.init(label: "train loss", swatch: line("stroke=\"\(trainColor)\" stroke-opacity=\"0.35\" stroke-width=\"1\"")))
            entries.append(.init(label: "train loss (smoothed)", swatch: line("stroke=\"\(trainColor)\" stroke-width=\"2\"")))
        }
        if valid {
            let dashed = line("stroke=\"\(validColor)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"")
            entries.append(.init(label: "validation loss") { x, y in
                dashed(x, y) + "<circle cx=\"\(SVG.number(x))\" cy=\"\(SVG.number(y))\" r=\"3.5\" fill=\"\(validColor)\"/>\n"
            })
        }
        let boxWidth = Legend.width(for: entries.map(\.label))
        return Legend.svg(entries, x: width - right - boxWidth - 8, y: top + 8, width: boxWidth)
    }
}
