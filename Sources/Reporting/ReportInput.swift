import FineTuningProviders
import Foundation

/// Everything the experiment document is written from: the run record, how its data was prepared,
/// its evaluation (when there is one) and where it ran. The CLI maps the records onto it.
public struct ReportInput: Sendable {
    /// The run record (`runs/<name>_finetune_<timestamp>.json`).
    public var run: ExperimentRecord
    /// Where the run record is.
    public var runFile: URL
    /// The data preparation steps, oldest first (may be empty).
    public var preparation: [PreparationStep]
    /// nil: the run has not been evaluated yet.
    public var evaluation: ReportEvaluation?
    public var generatedAt: Date
    /// What the run ran on, in words: "this machine: AMD EPYC …, 2 cores, 24 GiB; in-process engine, 2 threads"
    /// or "OpenAI (hosted)".
    public var compute: String

    public init(run: ExperimentRecord, runFile: URL, preparation: [PreparationStep] = [], evaluation: ReportEvaluation? = nil,
                generatedAt: Date = Date(), compute: String) {
        self.run = run
        self.runFile = runFile
        self.preparation = preparation
        self.evaluation = evaluation
        self.generatedAt = generatedAt
        self.compute = compute
    }
}

/// One data preparation step: the command and what it did.
public struct PreparationStep: Sendable, Codable, Equatable {
    /// "finetune prepare items.csv --template t.yaml -o pricer.jsonl"
    public var command: String
    /// "400 records → 394 examples; 6 skipped (3 empty price, 2 empty description, 1 where price > 0)"
    public var summary: String
    /// When it ran (ISO-8601).
    public var at: String?

    public init(command: String, summary: String, at: String? = nil) {
        self.command = command
        self.summary = summary
        self.at = at
    }
}

/// The run's evaluation on a test set, against a baseline when there was one.
public struct ReportEvaluation: Sendable {
    public var testPath: String
    public var testExamples: Int
    public var testSHA256: String
    /// `numeric`, `label` or `text`.
    public var task: String
    /// The evaluated (fine-tuned) model, as the user named it.
    public var modelName: String
    /// The model it was compared with (usually the base model); nil without `--baseline`.
    public var baselineName: String?
    /// One row per metric, in the evaluation's order.
    public var rows: [ReportMetricRow]
    /// 3–5 prompts answered by both models.
    public var samples: [ReportSample]
    /// Examples the baseline got right and the model wrong, and the other way round.
    public var rightToWrong: Int
    public var wrongToRight: Int
    /// Scatter / confusion charts of the model (and the baseline).
    public var charts: [ReportChart]
    /// The folder holding evaluation.json and examples.jsonl.
    public var evaluationFolder: String
    /// The largest |prediction − truth| of each model; nil when not numeric or no baseline.
    public var maxAbsError: (model: Double?, baseline: Double?)
    /// The share of answers beyond twice the tolerance (0.06 = 6 %); nil when not numeric or no baseline.
    public var outlierShare: (model: Double?, baseline: Double?)

    public init(testPath: String, testExamples: Int, testSHA256: String, task: String, modelName: String, baselineName: String?,
                rows: [ReportMetricRow], samples: [ReportSample], rightToWrong: Int, wrongToRight: Int, charts: [ReportChart],
                evaluationFolder: String, maxAbsError: (model: Double?, baseline: Double?) = (nil, nil),
                outlierShare: (model: Double?, baseline: Double?) = (nil, nil)) {
        self.testPath = testPath
        self.testExamples = testExamples
        self.testSHA256 = testSHA256
        self.task = task
        self.modelName = modelName
        self.baselineName = baselineName
        self.rows = rows
        self.samples = samples
        self.rightToWrong = rightToWrong
        self.wrongToRight = wrongToRight
        self.charts = charts
        self.evaluationFolder = evaluationFolder
        self.maxAbsError = maxAbsError
        self.outlierShare = outlierShare
    }
}

/// One line of the quantitative table.
public struct ReportMetricRow: Sendable, Equatable {
    /// "MAE", "Within 10 %", "Macro F1", …
    public var name: String
    public var baseline: Double?
    public var model: Double?
    /// The change signed so that > 0 is better.
    public var improvement: Double?
    /// `improvement / |baseline|` (0.127 = 12.7 % better).
    public var relativeImprovement: Double?
    /// A share, shown as a percentage.
    public var isFraction: Bool
    public var higherIsBetter: Bool

    public init(name: String, baseline: Double?, model: Double?, improvement: Double?, relativeImprovement: Double?,
                isFraction: Bool, higherIsBetter: Bool) {
        self.name = name
        self.baseline = baseline
        self.model = model
        self.improvement = improvement
        self.relativeImprovement = relativeImprovement
        self.isFraction = isFraction
        self.higherIsBetter = higherIsBetter
    }
}

/// One prompt answered before and after fine-tuning.
public struct ReportSample: Sendable, Equatable {
    /// The user message.
    public var prompt: String
    public var expected: String
    /// The baseline's answer; nil without a baseline or when its call failed.
    public var baseline: String?
    /// The model's answer; nil when its call failed.
    public var model: String?
    /// Why this sample: "largest improvement", "largest regression", "typical".
    public var note: String

    public init(prompt: String, expected: String, baseline: String?, model: String?, note: String) {
        self.prompt = prompt
        self.expected = expected
        self.baseline = baseline
        self.model = model
        self.note = note
    }
}

/// A chart the report shows and writes beside itself.
public struct ReportChart: Sendable, Equatable {
    public var title: String
    /// The file it is written to, beside the report ("scatter-model.svg").
    public var fileName: String
    /// The SVG document.
    public var svg: String

    public init(title: String, fileName: String, svg: String) {
        self.title = title
        self.fileName = fileName
        self.svg = svg
    }
}
