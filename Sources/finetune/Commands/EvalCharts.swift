import Charts
import Evaluation
import Foundation

/// The pictures of an evaluation: truth against prediction for numbers (coloured by error), a
/// confusion matrix for labels; one per model. `eval` writes them beside the record, `report`
/// embeds them.
enum EvalCharts {
    struct Chart {
        var title: String
        var fileName: String
        var svg: String
    }

    static func charts(_ record: EvaluationRecord, lines: [ExampleLine]) -> [Chart] {
        var sides: [(role: String, evaluation: ModelEvaluation, scores: [ExampleScore])] = []
        if let baseline = record.baseline { sides.append(("baseline", baseline, lines.compactMap(\.baseline))) }
        sides.append(("model", record.model, lines.map(\.model)))
        let tolerance: ChartTolerance = switch record.tolerance {
        case .relative(let share): ChartTolerance(relative: share)
        case .absolute(let amount): ChartTolerance(absolute: amount)
        }
        return sides.compactMap { role, evaluation, scores in
            switch record.task {
            case .numeric:
                let points = zip(lines, scores).compactMap { line, score -> ScatterPoint? in
                    guard let truth = line.expectedValue, let prediction = score.value else { return nil }
                    return ScatterPoint(truth: truth, prediction: prediction, label: "line \(line.line): " + (line.prompt.last?.content ?? ""))
                }
                let missing = scores.count - points.count
                let title = "\(evaluation.model): truth vs prediction" + (missing > 0 ? " (\(missing) without a number)" : "")
                return Chart(title: title, fileName: "scatter-\(role).svg",
                             svg: ScatterChart.svg(points: points, title: title, tolerance: tolerance))
            case .label:
                guard let confusion = evaluation.confusion else { return nil }
                let title = "\(evaluation.model): confusion matrix"
                return Chart(title: title, fileName: "confusion-\(role).svg",
                             svg: ConfusionMatrixChart.svg(labels: confusion.labels, predicted: confusion.predicted,
                                                           counts: confusion.counts, title: title))
            case .text:
                return nil
            }
        }
    }

    /// Writes the charts into `folder` (SVG, and PNG where rsvg-convert is installed); returns the
    /// file names written. A chart that cannot be written is reported and left out.
    static func write(_ charts: [Chart], to folder: URL) -> [String] {
        var written: [String] = []
        var pngProblem: String?
        for chart in charts {
            let url = folder.appendingPathComponent(chart.fileName)
            do {
                try chart.svg.write(to: url, atomically: true, encoding: .utf8)
                written.append(chart.fileName)
            } catch {
                Console.err(Console.paint("finetune: warning: cannot write \(url.path): \(error)", .yellow))
                continue
            }
            let png = url.deletingPathExtension().appendingPathExtension("png")
            switch SVGRasterizer.png(svg: url, to: png) {
            case .success: written.append(png.lastPathComponent)
            case .failure(let error): pngProblem = pngProblem ?? error.description
            }
        }
        if let pngProblem { Console.err("No PNG copies of the charts: \(pngProblem)") }
        return written
    }
}
