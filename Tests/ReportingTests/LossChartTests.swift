import Foundation
@testable import Charts
import Testing

extension SVGElements {
    /// Elements of one name whose class attribute is exactly `className`.
    func elements(_ name: String, class className: String) -> [Element] {
        elements.filter { $0.name == name && $0.attributes["class"] == className }
    }

    /// The (x, y) pairs of a polyline.
    func points(ofPolyline className: String) -> [(x: Double, y: Double)] {
        guard let points = elements("polyline", class: className).first?.attributes["points"] else { return [] }
        return points.split(separator: " ").compactMap { pair in
            let parts = pair.split(separator: ",").compactMap { Double($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
    }
}

@Suite("loss chart: a standalone SVG of train and validation loss")
struct LossChartTests {
    /// A falling, noisy training curve of 120 steps and six validation points.
    static let train: [LossChart.Point] = (1...120).map { step in
        (step, 3.4 * exp(-Double(step) / 40) + 1.2 + 0.15 * sin(Double(step) * 1.7))
    }
    static let valid: [LossChart.Point] = stride(from: 20, through: 120, by: 20).map { ($0, 3.2 * exp(-Double($0) / 45) + 1.4) }

    @Test("the SVG is well-formed XML with the title escaped, every point, a smoothed line and a legend")
    func wellFormed() throws {
        let svg = LossChart.svg(train: Self.train, valid: Self.valid, title: "run <ftjob-1> & \"pricer\"")
        let reader = try SVGElements.parse(svg)
        #expect(reader.elements.first?.name == "svg")
        #expect(reader.texts.contains("run <ftjob-1> & \"pricer\""))
        #expect(reader.points(ofPolyline: "train").count == 120)
        #expect(reader.points(ofPolyline: "train-smoothed").count == 120)
        #expect(reader.points(ofPolyline: "valid").count == 6)
        #expect(reader.elements("circle", class: "valid-point").count == 6)
        #expect(reader.texts.contains("step 60: validation loss \(String(format: "%.4f", Self.valid[2].loss))"))
        for label in ["train loss", "train loss (smoothed)", "validation loss", "step", "loss"] {
            #expect(reader.texts.contains(label), "\(label)")
        }
    }

    @Test("points map to the plot: later steps to the right, higher losses up, all inside the axes")
    func coordinates() throws {
        let reader = try SVGElements.parse(LossChart.svg(train: Self.train, valid: Self.valid, title: "t"))
        let train = reader.points(ofPolyline: "train")
        #expect(zip(train, train.dropFirst()).allSatisfy { $0.x < $1.x })
        let highest = try #require(Self.train.indices.max { Self.train[$0].loss < Self.train[$1].loss })
        let lowest = try #require(Self.train.indices.min { Self.train[$0].loss < Self.train[$1].loss })
        #expect(train[highest].y < train[lowest].y)
        #expect(train.allSatisfy { $0.x >= LossChart.left && $0.x <= LossChart.width - LossChart.right })
        #expect(train.allSatisfy { $0.y >= LossChart.top && $0.y <= LossChart.height - LossChart.bottom })
        // The smoothed line varies less than the raw one.
        let smoothed = reader.points(ofPolyline: "train-smoothed")
        func roughness(_ line: [(x: Double, y: Double)]) -> Double { zip(line, line.dropFirst()).map { abs($0.y - $1.y) }.reduce(0, +) }
        #expect(roughness(smoothed) < roughness(train) / 2)
    }

    @Test("axis ticks are round numbers covering the data")
    func ticks() throws {
        let reader = try SVGElements.parse(LossChart.svg(train: Self.train, valid: [], title: "t"))
        let low = Self.train.map(\.loss).min() ?? 0, high = Self.train.map(\.loss).max() ?? 0
        let scale = NiceScale(low: low, high: high, maxTicks: 6, integral: false)
        #expect(scale.low <= low && scale.high >= high)
        #expect([0.1, 0.2, 0.5, 1.0].contains(scale.spacing))
        for tick in scale.ticks { #expect(reader.texts.contains(scale.label(tick)), "\(tick)") }
        let steps = NiceScale(low: 1, high: 120, maxTicks: 8, integral: true)
        #expect(steps.ticks.first == 0 && steps.ticks.last == 120 && steps.spacing == 20)
        #expect(reader.texts.contains("120"))
        #expect(NiceScale(low: 0.5, high: 0.5, maxTicks: 6, integral: false).ticks.count > 1)
    }

    @Test("no points, one point, NaN losses: still a well-formed chart")
    func edgeCases() throws {
        let empty = try SVGElements.parse(LossChart.svg(train: [], valid: [], title: "empty"))
        #expect(empty.texts.contains("no losses recorded yet"))
        let one = try SVGElements.parse(LossChart.svg(train: [(step: 1, loss: 2.5)], valid: [], title: "one"))
        #expect(one.points(ofPolyline: "train").count == 1)
        let nan = try SVGElements.parse(LossChart.svg(train: [(1, 2), (2, .nan), (3, .infinity), (4, 1.5)], valid: [(4, .nan)], title: "nan"))
        #expect(nan.points(ofPolyline: "train").count == 2)
        #expect(nan.elements("circle", class: "valid-point").isEmpty)
    }

    @Test("read(metrics:) takes step and validation records, skips bad lines, keeps the last of a repeated step")
    func readMetrics() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = [
            #"{"step": 1, "train_loss": 3.5, "learning_rate": 0.0001}"#,
            #"{"step": 2, "train_loss": 3.25, "learning_rate": 0.0002, "tokens": 512}"#,
            "not json",
            #"{"train_loss": 9}"#,
            #"{"step": 2, "valid_loss": 3.1, "valid_mean_token_accuracy": 0.4}"#,
            #"{"step": 3, "train_loss": 3.0}"#,
            #"{"step": 2, "train_loss": 3.2}"#,
            "",
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        let metrics = LossChart.read(metrics: url)
        #expect(metrics.train.map(\.step) == [1, 2, 3])
        #expect(metrics.train.map(\.loss) == [3.5, 3.2, 3.0])
        #expect(metrics.valid.map(\.step) == [2])
        #expect(metrics.valid.map(\.loss) == [3.1])
        let missing = LossChart.read(metrics: url.appendingPathExtension("gone"))
        #expect(missing.train.isEmpty && missing.valid.isEmpty)
    }
}
