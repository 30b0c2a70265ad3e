@testable import Charts
import Foundation
import Testing

@Suite("confusion matrix chart: cells shaded by row share")
struct ConfusionMatrixChartTests {
    static let labels = ["cat", "dog", "bird"]
    static let predicted = ["cat", "dog", "bird", "(other)"]
    static let counts = [[5, 1, 0, 0], [2, 2, 0, 1], [0, 0, 0, 0]]

    @Test("one cell per pair with its count; the diagonal green, the rest red, shaded by the row's share")
    func cells() throws {
        let svg = try SVGElements.parse(ConfusionMatrixChart.svg(labels: Self.labels, predicted: Self.predicted, counts: Self.counts, title: "pets"))
        let cells = svg.elements(class: "cell")
        #expect(cells.count == 12)
        #expect(svg.elements(class: "cell", "diagonal").count == 3)
        #expect(svg.elements(class: "cell", "off-diagonal").count == 9)
        // Row-major order: cat/cat is 5 of 6, cat/dog 1 of 6, dog/cat 2 of 5, dog/(other) 1 of 5.
        #expect(cells[0].attributes["fill"] == SVG.tint(ConfusionMatrixChart.diagonalColor, 0.12 + 0.88 * 5 / 6))
        #expect(cells[1].attributes["fill"] == SVG.tint(ConfusionMatrixChart.offDiagonalColor, 0.12 + 0.88 / 6))
        #expect(cells[4].attributes["fill"] == SVG.tint(ConfusionMatrixChart.offDiagonalColor, 0.12 + 0.88 * 2 / 5))
        #expect(cells[7].attributes["fill"] == SVG.tint(ConfusionMatrixChart.offDiagonalColor, 0.12 + 0.88 / 5))
        #expect(cells[2].attributes["fill"] == ConfusionMatrixChart.emptyColor)
        #expect(cells[8...].allSatisfy { $0.attributes["fill"] == ConfusionMatrixChart.emptyColor })   // bird: no examples
        #expect(svg.elements(class: "count").map(\.text) == ["5", "1", "0", "0", "2", "2", "0", "1", "0", "0", "0", "0"])
        #expect(svg.elements(class: "row-total").map(\.text) == ["6", "5", "0"])
        #expect(svg.texts.contains("true dog, predicted (other): 1 of 5 (20 %)"))
        #expect(svg.texts.contains("True") && svg.texts.contains("Predicted"))
    }

    @Test("long labels are shortened with the whole label in a tooltip; <&\" are escaped")
    func longLabels() throws {
        let long = "a very long label name that goes on", odd = "<b> & \"q\""
        let text = ConfusionMatrixChart.svg(labels: [long, odd], predicted: [long, odd], counts: [[3, 1], [0, 2]], title: "t")
        let svg = try SVGElements.parse(text)
        let rowLabels = svg.elements(class: "row-label").map(\.text)
        #expect(rowLabels == [String(long.prefix(ConfusionMatrixChart.labelLimit - 1)) + "…", odd])
        #expect(svg.texts.contains(long))
        #expect(!text.contains("<b>"))
    }

    @Test("a ragged counts array counts missing cells as 0; no classes or no examples say so")
    func edgeCases() throws {
        let ragged = try SVGElements.parse(ConfusionMatrixChart.svg(labels: ["a", "b"], predicted: ["a", "b"], counts: [[1]], title: "t"))
        #expect(ragged.elements(class: "count").map(\.text) == ["1", "0", "0", "0"])
        for (labels, counts) in [([String](), [[Int]]()), (["a"], [[0]])] {
            let svg = try SVGElements.parse(ConfusionMatrixChart.svg(labels: labels, predicted: labels, counts: counts, title: "empty"))
            #expect(svg.texts.contains("no labelled answers to show"))
            #expect(svg.elements(class: "cell").isEmpty)
        }
    }
}
