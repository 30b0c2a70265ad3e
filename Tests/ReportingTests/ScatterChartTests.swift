@testable import Charts
import Foundation
import Testing

@Suite("scatter chart: truth against prediction, coloured by error")
struct ScatterChartTests {
    static let tenPercent = ChartTolerance(relative: 0.1)

    @Test("hand-placed points at truth 100 with 10 %: 105 green, 110 green, 115 orange, 125 and 200 red")
    func colours() throws {
        let points = [105.0, 110, 115, 125, 200].map { ScatterPoint(truth: 100, prediction: $0, label: "p\(Int($0))") }
        let svg = try SVGElements.parse(ScatterChart.svg(points: points, title: "prices", tolerance: Self.tenPercent))
        let within = svg.elements(class: "point", "within"), near = svg.elements(class: "point", "near")
        let beyond = svg.elements(class: "point", "beyond")
        #expect(within.count == 2 && near.count == 1 && beyond.count == 2)
        #expect(within.allSatisfy { $0.attributes["fill"] == ScatterChart.withinColor })
        #expect(near.allSatisfy { $0.attributes["fill"] == ScatterChart.nearColor })
        #expect(beyond.allSatisfy { $0.attributes["fill"] == ScatterChart.beyondColor })
        #expect(svg.elements(class: "point").count == 5)
        for label in ["within 10 %: 2", "within 20 %: 1", "beyond 20 %: 2"] { #expect(svg.texts.contains(label), "\(label)") }
        // The tooltip names the point and its error.
        #expect(svg.texts.contains { $0.hasPrefix("p115: truth 100, prediction 115, error +15 (+15.0 %)") })
    }

    @Test("an absolute tolerance, and either of two: within when one holds")
    func absoluteAndBoth() {
        #expect(ScatterChart.band(of: ScatterPoint(truth: 10, prediction: 14, label: ""), ChartTolerance(absolute: 5)) == .within)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 10, prediction: 19, label: ""), ChartTolerance(absolute: 5)) == .near)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 10, prediction: 21, label: ""), ChartTolerance(absolute: 5)) == .beyond)
        let both = ChartTolerance(relative: 0.1, absolute: 40)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 100, prediction: 135, label: ""), both) == .within)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 1000, prediction: 1090, label: ""), both) == .within)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 1000, prediction: 1150, label: ""), both) == .near)
        #expect(ScatterChart.band(of: ScatterPoint(truth: 5, prediction: 500, label: ""), ChartTolerance()) == .plain)
        #expect(both.describe(factor: 2) == "20 % or ±80")
    }

    @Test("one scale on both axes, y = x corner to corner, an outlier clamped to the edge as a triangle")
    func scaleAndOutliers() throws {
        let points = [ScatterPoint(truth: 20, prediction: 25, label: "a"), ScatterPoint(truth: 80, prediction: 70, label: "b"),
                      ScatterPoint(truth: 60, prediction: 5000, label: "wild"), ScatterPoint(truth: 40, prediction: -300, label: "negative")]
        let svg = try SVGElements.parse(ScatterChart.svg(points: points, title: "t", tolerance: Self.tenPercent))
        let diagonal = try #require(svg.elements(class: "diagonal").first)
        let plotLeft = ScatterChart.left, plotRight = ScatterChart.left + ScatterChart.side
        let plotTop = ScatterChart.top, plotBottom = ScatterChart.top + ScatterChart.side
        #expect(Double(diagonal.attributes["x1"] ?? "") == plotLeft && Double(diagonal.attributes["y1"] ?? "") == plotBottom)
        #expect(Double(diagonal.attributes["x2"] ?? "") == plotRight && Double(diagonal.attributes["y2"] ?? "") == plotTop)
        let outliers = svg.elements(class: "outlier")
        #expect(outliers.count == 2 && outliers.allSatisfy { $0.name == "polygon" })
        for outlier in outliers {
            let coordinates = (outlier.attributes["points"] ?? "").split(separator: " ").flatMap { $0.split(separator: ",") }.compactMap { Double($0) }
            #expect(coordinates.count == 6)
            #expect(stride(from: 1, to: coordinates.count, by: 2).allSatisfy { coordinates[$0] >= plotTop - 0.01 && coordinates[$0] <= plotBottom + 0.01 })
        }
        #expect(svg.texts.contains("off the chart: 2"))
        // The scale stops at 0 for positive truths, and covers them.
        let scale = ScatterChart.scale(points)
        #expect(scale.low == 0 && scale.high >= 80 && scale.high < 5000)
        let ticks = svg.elements.filter { $0.name == "text" && $0.attributes["text-anchor"] == "end" }.map(\.text)
        let xTicks = svg.elements.filter { $0.name == "text" && $0.attributes["text-anchor"] == "middle" && Double($0.text) != nil }.map(\.text)
        #expect(!ticks.isEmpty && Set(ticks) == Set(xTicks))
    }

    @Test("labels and the title are escaped; non-numbers are counted, not drawn")
    func escapingAndNonFinite() throws {
        let points = [ScatterPoint(truth: 10, prediction: 10, label: "a <b> & \"c\""), ScatterPoint(truth: 10, prediction: .nan, label: "x")]
        let text = ScatterChart.svg(points: points, title: "<pricer> & \"co\"", tolerance: Self.tenPercent)
        let svg = try SVGElements.parse(text)
        #expect(svg.texts.contains("<pricer> & \"co\""))
        #expect(svg.texts.contains { $0.hasPrefix("a <b> & \"c\": truth 10") })
        #expect(svg.texts.contains("not a number: 1"))
        #expect(svg.elements(class: "point").count == 1)
        #expect(!text.contains("<b>"))
    }

    @Test("no points: a well-formed chart that says so")
    func empty() throws {
        let svg = try SVGElements.parse(ScatterChart.svg(points: [], title: "none", tolerance: Self.tenPercent))
        #expect(svg.texts.contains("no numeric answers to plot"))
        #expect(svg.elements(class: "point").isEmpty)
    }
}
