import Charts
import FineTuningProviders
import Foundation
@testable import Reporting
import Testing

@Suite("experiment report: the template's document as Markdown and HTML")
struct ExperimentReportTests {
    /// The template's headings (001_…txt), in order.
    static let headings = [
        "LLM Fine-Tuning Experiment Documentation", "Experiment Overview", "Objective", "Dataset Information",
        "Training Parameters", "Training Process", "Evaluation", "Quantitative Metrics", "Qualitative Evaluation",
        "Comparison Analysis", "Observations", "Conclusions", "Next Steps", "Resources",
    ]
    /// The template's bold labels, in order.
    static let labels = [
        "Date Started:", "Date Completed:", "Base Model:", "Fine-Tuned Model ID:", "Purpose:", "Source of Data:",
        "Size of Dataset:", "Data Distribution:", "Data Preparation Steps:", "Learning Rate:", "Batch Size:",
        "Number of Epochs:", "Training/Validation Split:", "Other Hyperparameters:", "Training Platform/Tool:",
        "Compute Resources Used:", "Training Duration:", "Challenges Encountered:", "Sample Prompts Used for Testing:",
        "Before Fine-Tuning Sample Responses", "After Fine-Tuning Sample Responses", "Strengths of Fine-Tuned Model:",
        "Weaknesses/Limitations:", "Unexpected Behaviors:", "Overall Assessment:", "ROI Analysis:", "Practical Applications:",
    ]

    /// Whether `needles` occur in `text` in this order.
    static func inOrder(_ needles: [String], in text: String) -> String? {
        var rest = text[...]
        for needle in needles {
            guard let range = rest.range(of: needle) else { return needle }
            rest = rest[range.upperBound...]
        }
        return nil
    }

    @Test("every template heading and label, in order, in both renderings")
    func sections() {
        let input = ReportFixtures.input()
        let markdown = ExperimentReport.markdown(input), html = ExperimentReport.html(input)
        let markdownHeadings = markdown.split(separator: "\n").filter { $0.hasPrefix("#") }
            .map { $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) }
        #expect(Self.inOrder(Self.headings, in: markdownHeadings.joined(separator: "\n")) == nil)
        #expect(markdownHeadings.filter { !Self.headings.contains($0) } == ["Charts"])
        #expect(markdown.hasPrefix("# LLM Fine-Tuning Experiment Documentation\n"))
        let htmlHeadings = Self.headings.enumerated().map { index, text in
            let level = index == 0 ? 1 : ["Quantitative Metrics", "Qualitative Evaluation", "Comparison Analysis"].contains(text) ? 3 : 2
            return "<h\(level)>\(text)</h\(level)>"
        }
        #expect(Self.inOrder(htmlHeadings, in: html) == nil)
        #expect(Self.inOrder(Self.labels.map { "**\($0.replacingOccurrences(of: "_", with: "\\_"))" }, in: markdown) == nil)
        #expect(Self.inOrder(Self.labels.map { "<strong>\($0)" }, in: html) == nil)
    }

    @Test("the quantitative table: fractions as %, others to two decimals, the improvement signed so + is better")
    func table() {
        let markdown = ExperimentReport.markdown(ReportFixtures.input())
        for line in [
            "| Metric | Pre-Tuning Score | Post-Tuning Score | Improvement |",
            "| MAE | 40.10 | 45.20 | −5.10 (−12.7 %, worse) |",
            "| Within 10 % | 62 % | 70 % | +8 pp (+12.9 %, better) |",
            "| Format | 62 % | 100 % | +38 pp (+61.3 %, better) |",
            "| Exact match | 10 % | 10 % | 0 pp (0 %, same) |",
        ] {
            #expect(markdown.contains(line + "\n"), "\(line)")
        }
        let html = ExperimentReport.html(ReportFixtures.input())
        #expect(html.contains("<tr><td>MAE</td><td>40.10</td><td>45.20</td><td>−5.10 (−12.7 %, worse)</td></tr>"))
        #expect(markdown.contains("**Flips:** 7 examples went wrong → right, 3 right → wrong (see runs/evals/pricer\\_eval\\_20250725\\_150000/examples.jsonl)."))
    }

    @Test("the run's facts: dates, duration, split, learning rate, other hyperparameters, source, challenges")
    func runFacts() {
        let markdown = ExperimentReport.markdown(ReportFixtures.input())
        for fact in [
            "**Date Started:** 2025-07-25 14:03 UTC", "**Date Completed:** 2025-07-25 14:45 UTC",
            "**Base Model:** `/models/SmolLM2-135M-Instruct.Q4_1.gguf`",
            "**Source of Data:** `items 2025.csv`, prepared into `data/pricer-train.jsonl`",
            "**Size of Dataset:** 394 examples: 315 for training, 79 for validation; 50 test examples",
            "split 79.9 % training / 20.1 % validation",
            "**Learning Rate:** 0.001", "**Batch Size:** 4", "**Number of Epochs:** 2",
            "**Training/Validation Split:** 315 : 79 (79.9 % / 20.1 %)",
            "- `lora_targets`: q\\_proj, v\\_proj", "- `seed`: 7",
            "**Training Duration:** 42 min 5 s, 40 steps",
            "6 of 400 conversations were skipped",
            "1. `finetune prepare 'items 2025.csv' --template t.yaml -o pricer.jsonl` — 400 records → 394 examples; 6 skipped (3 empty price, 3 empty description) (2025-07-25 13:50 UTC)",
            "**Compute Resources Used:** this machine: AMD EPYC 7B13, 2 cores, 24 GiB; in-process engine, 2 threads",
            "- **Adapter:** `/runs/run-20250725-140316-abcd/adapter`",
        ] {
            #expect(markdown.contains(fact), "\(fact)")
        }
        #expect(!markdown.contains("wandb") && !markdown.contains("`input_file`"))
    }

    @Test("hints: MAE worse with fewer outliers, validation loss rising, flips, cost")
    func hints() throws {
        let input = ReportFixtures.input()
        let evaluation = try #require(input.evaluation)
        let outliers = ReportHints.outliers(evaluation)
        #expect(outliers.map(\.text) == [
            "MAE got worse (40.10 → 45.20, −12.7 %) while the largest error fell from 300.0 to 120.0: fewer wild outliers",
            "answers off by more than twice the tolerance: 18 % → 6 %",
        ])
        #expect(outliers.map(\.better) == [true, true] && outliers.map(\.mixed) == [true, false])
        // When MAE improves too, the largest error's fall is no surprise and stands alone.
        var better = evaluation
        better.rows[0] = ReportMetricRow(name: "MAE", baseline: 45.2, model: 40.1, improvement: 5.1, relativeImprovement: 5.1 / 45.2,
                                         isFraction: false, higherIsBetter: false)
        #expect(ReportHints.outliers(better).map(\.text).first == "the largest error fell from 300.0 to 120.0: fewer wild outliers")
        // A largest error that hardly moved says nothing, and one that fell while more answers went far
        // off is no sign of fewer outliers.
        var still = evaluation
        still.maxAbsError = (model: 1486.0, baseline: 1486.5)
        #expect(!ReportHints.outlierFindings(still).contains { $0.text.hasPrefix("the largest error") })
        var spread = evaluation
        spread.outlierShare = (model: 0.92, baseline: 0.75)
        #expect(ReportHints.outlierFindings(spread).first?.text == "the largest error fell from 300.0 to 120.0")
        // Training loss averaged over 40 / 20 = 2 steps: steps 19–20 (1.55, 1.50) and 39–40 (0.55, 0.50).
        #expect(ReportHints.validationLoss(input.run.metrics)
            == "validation loss rose after step 20 (1.20 → 1.45) while training loss fell (1.52 → 0.525): the model is learning the training set by heart; try fewer epochs or a lower learning rate")
        #expect(ReportHints.metric(ReportFixtures.rows[2]) == "Format rose from 62 % to 100 % (better)")
        #expect(ReportHints.cost(input.run) == "cost $0.00 (local, this machine)")
        let markdown = ExperimentReport.markdown(input)
        // Under "Unexpected Behaviors", the mixed story and the rising validation loss.
        let unexpected = try #require(markdown.range(of: "**Unexpected Behaviors:**"))
        let after = markdown[unexpected.upperBound...]
        #expect(after.contains("> - MAE got worse (40.10 → 45.20, −12.7 %) while the largest error fell from 300.0 to 120.0: fewer wild outliers"))
        #expect(after.contains("> - validation loss rose after step 20"))
        #expect(markdown.contains("> ✍️ **Replace this:**"))
        #expect(markdown.contains("> - cost $0.00 (local, this machine)"))
        #expect(markdown.contains("> - 104,000 tokens trained (52,000 per epoch × 2 epochs)"))
        // The comparison paragraph states the mixed story once, with "Yet".
        #expect(markdown.contains("MAE got worse (40.10 → 45.20, −12.7 %). Yet the largest error fell from 300.0 to 120.0: fewer wild outliers. Answers off by more than twice the tolerance: 18 % → 6 %."))
        // A falling outlier share is a strength.
        let strengths = try #require(markdown.range(of: "**Strengths of Fine-Tuned Model:**"))
        let weaknesses = try #require(markdown.range(of: "**Weaknesses/Limitations:**"))
        #expect(markdown[strengths.upperBound..<weaknesses.lowerBound].contains("answers off by more than twice the tolerance: 18 % → 6 %"))
    }

    @Test("a validation loss that keeps falling, or has too few points, gives no hint")
    func noRisingHint() {
        let falling = [(10, 1.5), (20, 1.2), (30, 1.1)].map { MetricPointFactory.valid($0.0, $0.1) }
        #expect(ReportHints.validationLoss(falling) == nil)
        #expect(ReportHints.validationLoss([MetricPointFactory.valid(10, 1.5)]) == nil)
        let flat = [(10, 1.2), (20, 1.1), (30, 1.11)].map { MetricPointFactory.valid($0.0, $0.1) }   // within 2 %
        #expect(ReportHints.validationLoss(flat) == nil)
    }

    @Test("without an evaluation the Evaluation section says how to make one, in both renderings")
    func notEvaluated() {
        let input = ReportFixtures.input(evaluation: nil)
        let markdown = ExperimentReport.markdown(input), html = ExperimentReport.html(input)
        let command = "finetune eval pricer --test TEST.jsonl --baseline /models/SmolLM2-135M-Instruct.Q4_1.gguf"
        #expect(markdown.contains("**Not evaluated yet.**") && markdown.contains(command))
        #expect(html.contains("<strong>Not evaluated yet.</strong>") && html.contains(command))
        #expect(!markdown.contains("### Quantitative Metrics"))
        #expect(Self.inOrder(["## Evaluation", "## Observations", "## Conclusions", "## Next Steps", "## Resources"], in: markdown) == nil)
        #expect(markdown.contains("![Training and validation loss](loss.svg)"))
    }

    @Test("HTML: one self-contained file, every text escaped, the SVGs inline")
    func htmlSelfContained() {
        let html = ExperimentReport.html(ReportFixtures.input())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("How much is this? &lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"))
        #expect(!html.contains("http"))
        #expect(!html.contains("<link") && !html.contains("src=") && !html.contains("<img"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)   // the loss chart and the scatter chart
        #expect(!html.contains("<?xml"))
        #expect(html.contains("<style>") && html.contains("@media print"))
        let markdown = ExperimentReport.markdown(ReportFixtures.input())
        // In Markdown the prompt sits in a code block; a fence longer than its own backticks.
        #expect(markdown.contains("````\n") && markdown.contains("Garden hose ```50 ft```"))
        #expect(markdown.contains("![Truth vs prediction (pricer-ft)](scatter-model.svg)"))
    }

    @Test("an SVG holding a script or a handler loses it when inlined")
    func inlineSVGGuard() {
        let svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script><rect/></svg>"
        #expect(HTMLRenderer.inlineSVG(svg) == "<svg><rect/></svg>\n")
    }

    @Test("Markdown escapes what Markdown would read as markup")
    func markdownEscaping() {
        #expect(MarkdownRenderer.escape("a*b_c [x](y) <b> | #1 & `z`") == "a\\*b\\_c \\[x\\](y) \\<b\\> \\| \\#1 \\& \\`z\\`")
    }

    @Test("write puts the charts, their PNGs where rsvg-convert exists, report.md and report.html in the folder")
    func write() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)/nested")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let files = try ExperimentReport.write(ReportFixtures.input(), to: folder)
        var names = ["loss.svg", "scatter-model.svg", "report.md", "report.html"]
        if SVGRasterizer.toolPath() != nil { names.insert(contentsOf: ["loss.png"], at: 1); names.insert("scatter-model.png", at: 3) }
        #expect(files.map(\.lastPathComponent) == names)
        for file in files { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path)") }
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown == ExperimentReport.markdown(ReportFixtures.input()))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test("an unwritable folder: the error names the path and what to do")
    func writeError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect {
            try ExperimentReport.write(ReportFixtures.input(), to: file.appendingPathComponent("inside"))
        } throws: { error in
            let text = "\(error)"
            return text.contains(file.path) && text.contains("writable")
        }
    }
}

enum MetricPointFactory {
    static func valid(_ step: Int, _ loss: Double) -> MetricPoint { MetricPoint(step: step, validLoss: loss) }
}
