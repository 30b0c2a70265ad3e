import Foundation

/// A confusion matrix as an SVG: one row per true class, one column per predicted class, each cell
/// shaded by its share of the row (the diagonal in greens, the rest in reds) with its count written
/// in it, the row totals on the right, axis titles "True" and "Predicted". Long labels are shortened;
/// the whole label is in a tooltip.
///
/// ```swift
/// let svg = ConfusionMatrixChart.svg(labels: matrix.labels, predicted: matrix.predicted,
///                                    counts: matrix.counts, title: "sentiment · fine-tuned")
/// ```
public enum ConfusionMatrixChart {
    static let diagonalColor = "#1a9641", offDiagonalColor = "#d7191c", emptyColor = "#f7f7f7"
    static let labelLimit = 18
    static let top = 56.0, titleMargin = 36.0, totalsWidth = 64.0

    /// The chart as an SVG document. Missing cells in `counts` count as 0; with no classes or no
    /// examples the chart says so.
    /// - Parameters:
    ///   - labels: the true classes (rows).
    ///   - predicted: the predicted classes (columns): usually the labels, then "(other)".
    ///   - counts: `counts[row][column]`, examples of a true class given a predicted one.
    ///   - title: the heading (escaped for XML).
    public static func svg(labels: [String], predicted: [String], counts: [[Int]], title: String) -> String {
        let rows = labels.count, columns = predicted.count
        func count(_ row: Int, _ column: Int) -> Int {
            row < counts.count && column < counts[row].count ? max(0, counts[row][column]) : 0
        }
        let totals = (0..<rows).map { row in (0..<columns).reduce(0) { $0 + count(row, $1) } }
        guard rows > 0, columns > 0, totals.reduce(0, +) > 0 else {
            let out = SVG.open(width: 520, height: 240, title: title)
            return out + SVG.message("no labelled answers to show", width: 520, height: 240) + SVG.close
        }

        // Layout: "True" title, row labels, the cells, the totals; column labels and "Predicted" below.
        let cell = min(80, max(30, 420 / Double(max(rows, columns))))
        let rowLabels = labels.map { SVG.shorten($0, to: labelLimit) }
        let columnLabels = predicted.map { SVG.shorten($0, to: labelLimit) }
        let rowLabelWidth = max(40, Double(rowLabels.map(\.count).max() ?? 0) * SVG.characterWidth + 12)
        let longestColumn = Double(columnLabels.map(\.count).max() ?? 0) * SVG.characterWidth
        let rotated = longestColumn > cell - 6
        let columnLabelHeight = rotated ? longestColumn * 0.71 + 18 : 22
        // Rotated column labels reach left of their column: keep the first one inside the picture.
        let gridLeft = max(titleMargin + rowLabelWidth, rotated ? longestColumn * 0.71 - cell / 2 + 12 : 0), gridTop = top + 14
        let gridRight = gridLeft + cell * Double(columns), gridBottom = gridTop + cell * Double(rows)
        let width = max(520, gridRight + totalsWidth + 16)
        let height = gridBottom + columnLabelHeight + 36
        let n = SVG.number

        var out = SVG.open(width: width, height: height, title: title)
        out += "<g class=\"cells\" font-size=\"\(cell >= 44 ? 13 : 11)\">\n"
        for row in 0..<rows {
            for column in 0..<columns {
                let value = count(row, column)
                let share = totals[row] > 0 ? Double(value) / Double(totals[row]) : 0
                let diagonal = labels[row] == predicted[column]
                let fill = value == 0 ? emptyColor : SVG.tint(diagonal ? diagonalColor : offDiagonalColor, 0.12 + 0.88 * share)
                let x = gridLeft + cell * Double(column), y = gridTop + cell * Double(row)
                let percent = String(format: "%.0f %%", share * 100)
                out += "<rect class=\"cell \(diagonal ? "diagonal" : "off-diagonal")\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(cell))\" height=\"\(n(cell))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1.5\">"
                    + "<title>\(SVG.escape("true \(labels[row]), predicted \(predicted[column]): \(value) of \(totals[row]) (\(percent))"))</title></rect>\n"
                let ink = share > 0.55 ? "#ffffff" : value == 0 ? "#aaaaaa" : SVG.textColor
                if cell >= 44, value > 0 {
                    out += "<text class=\"count\" x=\"\(n(x + cell / 2))\" y=\"\(n(y + cell / 2 - 1))\" text-anchor=\"middle\" fill=\"\(ink)\" font-weight=\"bold\">\(value)</text>\n"
                    out += "<text x=\"\(n(x + cell / 2))\" y=\"\(n(y + cell / 2 + 14))\" text-anchor=\"middle\" fill=\"\(ink)\" font-size=\"10\">\(SVG.escape(percent))</text>\n"
                } else {
                    out += "<text class=\"count\" x=\"\(n(x + cell / 2))\" y=\"\(n(y + cell / 2 + 4))\" text-anchor=\"middle\" fill=\"\(ink)\">\(value)</text>\n"
                }
            }
        }
        out += "</g>\n<g class=\"labels\" fill=\"\(SVG.axisColor)\">\n"
        for (row, label) in rowLabels.enumerated() {
            let y = gridTop + cell * (Double(row) + 0.5) + 4
            out += "<text class=\"row-label\" x=\"\(n(gridLeft - 8))\" y=\"\(n(y))\" text-anchor=\"end\">\(SVG.escape(label))<title>\(SVG.escape(labels[row]))</title></text>\n"
            out += "<text class=\"row-total\" x=\"\(n(gridRight + 10))\" y=\"\(n(y))\" fill=\"\(SVG.mutedColor)\">\(totals[row])</text>\n"
        }
        out += "<text x=\"\(n(gridRight + 10))\" y=\"\(n(gridTop - 6))\" fill=\"\(SVG.mutedColor)\" font-size=\"10\">examples</text>\n"
        for (column, label) in columnLabels.enumerated() {
            let x = gridLeft + cell * (Double(column) + 0.5), y = gridBottom + 16
            let placement = rotated
                ? "x=\"\(n(x + 4))\" y=\"\(n(y))\" text-anchor=\"end\" transform=\"rotate(-45 \(n(x + 4)) \(n(y)))\""
                : "x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"middle\""
            out += "<text class=\"column-label\" \(placement)>\(SVG.escape(label))<title>\(SVG.escape(predicted[column]))</title></text>\n"
        }
        out += "</g>\n"
        let middleY = (gridTop + gridBottom) / 2
        out += "<text x=\"\(n(18))\" y=\"\(n(middleY))\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"\(SVG.textColor)\" transform=\"rotate(-90 18 \(n(middleY)))\">True</text>\n"
        out += "<text x=\"\(n((gridLeft + gridRight) / 2))\" y=\"\(n(height - 12))\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"\(SVG.textColor)\">Predicted</text>\n"
        return out + SVG.close
    }
}
