import Foundation

/// A loss chart in text: training loss as `•`, validation loss as `o`, steps across, loss up the side.
///
///     2.84 ┤•
///          │ ••
///          │   •••  o
///          │      ••••o••
///     0.41 ┤           ••••••o
///          └────────────────────
///           step 1             step 48
enum TerminalLossChart {
    /// The chart's lines, or none when there is nothing to draw.
    /// - Parameters:
    ///   - train: (step, loss) pairs; `valid` likewise.
    ///   - width: columns of plot area; `height`: rows.
    static func render(train: [(step: Int, value: Double)], valid: [(step: Int, value: Double)],
                       width: Int = 60, height: Int = 8, color: Bool = false) -> [String] {
        let points = (train + valid).filter { $0.value.isFinite }
        guard !points.isEmpty, width >= 4, height >= 2 else { return [] }
        let maxStep = max(1, points.map(\.step).max() ?? 1)
        let minStep = min(points.map(\.step).min() ?? 1, maxStep)
        var low = points.map(\.value).min() ?? 0
        var high = points.map(\.value).max() ?? 1
        if high - low < 1e-9 { high += 0.5; low -= 0.5 }
        var grid = Array(repeating: Array(repeating: Character(" "), count: width), count: height)

        func column(_ step: Int) -> Int {
            maxStep == minStep ? 0 : Int((Double(step - minStep) / Double(maxStep - minStep) * Double(width - 1)).rounded())
        }
        func row(_ value: Double) -> Int {
            let fraction = (value - low) / (high - low)
            return height - 1 - Int((fraction * Double(height - 1)).rounded())
        }
        for point in train where point.value.isFinite { grid[row(point.value)][column(point.step)] = "•" }
        // Validation marks go on top: there are fewer of them and they are the ones to watch.
        for point in valid where point.value.isFinite { grid[row(point.value)][column(point.step)] = "o" }

        let highLabel = String(format: "%.3g", high), lowLabel = String(format: "%.3g", low)
        let labelWidth = max(highLabel.count, lowLabel.count)
        func pad(_ text: String) -> String { String(repeating: " ", count: labelWidth - text.count) + text }
        var lines: [String] = []
        for (index, cells) in grid.enumerated() {
            let label = index == 0 ? pad(highLabel) + " ┤" : index == height - 1 ? pad(lowLabel) + " ┤" : String(repeating: " ", count: labelWidth) + " │"
            var text = String(cells)
            while text.last == " " { text.removeLast() }
            if color {
                text = text.replacingOccurrences(of: "•", with: "\u{1B}[36m•\u{1B}[0m")
                    .replacingOccurrences(of: "o", with: "\u{1B}[33mo\u{1B}[0m")
            }
            lines.append(label + text)
        }
        lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
        let left = "step \(minStep)", right = "step \(maxStep)"
        lines.append(String(repeating: " ", count: labelWidth + 2) + left
                     + String(repeating: " ", count: max(1, width - left.count - right.count)) + right)
        lines.append(String(repeating: " ", count: labelWidth + 2) + (color ? "\u{1B}[36m•\u{1B}[0m" : "•") + " training loss"
                     + (valid.isEmpty ? "" : "   " + (color ? "\u{1B}[33mo\u{1B}[0m" : "o") + " validation loss"))
        return lines
    }
}
