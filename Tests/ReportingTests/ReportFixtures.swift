import Charts
import FineTuningProviders
import Foundation
import OpenAIAPI
@testable import Reporting

/// A hand-made run and evaluation: a local run of 40 steps whose validation loss turns up after
/// step 20, evaluated on 50 price examples where MAE got worse but the largest error fell.
enum ReportFixtures {
    static func run() -> ExperimentRecord {
        var run = ExperimentRecord(
            finetuneVersion: "0.1.0", name: "pricer", provider: .local, location: "this process",
            baseModel: "/models/SmolLM2-135M-Instruct.Q4_1.gguf", timestamp: Date(timeIntervalSince1970: 1_753_452_196),
            trainingStats: .init(totalConversations: 400, processedConversations: 394, skippedConversations: 6, totalMessages: 1182,
                                 trainingMessages: 394, tokensPerEpoch: 52_000, trainedTokensPerEpoch: 2_400),
            trainingParameters: ["learning_rate": 0.0010000000474974513, "batch_size": 4, "n_epochs": 2, "seed": 7, "threads": 2,
                                 "input_file": "pricer.jsonl", "wandb_project": nil],
            datasets: [.init(role: "train", path: "data/pricer-train.jsonl", sha256: "d3b5992fb4ba69d3ff899dcb46d8b979", bytes: 63_020, examples: 315),
                       .init(role: "validation", path: "data/pricer-valid.jsonl", sha256: "aa11", bytes: 15_000, examples: 79)],
            command: ["finetune", "train", "data/pricer-train.jsonl"])
        run.jobID = "run-20250725-140316-abcd"
        run.status = "succeeded"
        run.createdAt = "2025-07-25T14:03:16.780Z"
        run.finishedAt = "2025-07-25T14:45:22.150Z"
        run.hyperparameters = ["learning_rate": 0.001, "batch_size": 4, "n_epochs": 2, "lora_rank": 8, "lora_alpha": 16,
                               "lora_targets": ["q_proj", "v_proj"]]
        run.runDirectory = "/runs/run-20250725-140316-abcd"
        // Training loss falls from 2.5 to 0.55; validation loss is lowest at step 20 (1.2) and ends at 1.45.
        for step in 1...40 { run.record(MetricPoint(step: step, trainLoss: 2.5 - 0.05 * Double(step))) }
        for (step, loss) in [(10, 1.5), (20, 1.2), (30, 1.3), (40, 1.45)] { run.record(MetricPoint(step: step, validLoss: loss)) }
        return run
    }

    static let rows = [
        ReportMetricRow(name: "MAE", baseline: 40.1, model: 45.2, improvement: -5.1, relativeImprovement: -5.1 / 40.1,
                        isFraction: false, higherIsBetter: false),
        ReportMetricRow(name: "Within 10 %", baseline: 0.62, model: 0.7, improvement: 0.08, relativeImprovement: 0.08 / 0.62,
                        isFraction: true, higherIsBetter: true),
        ReportMetricRow(name: "Format", baseline: 0.62, model: 1.0, improvement: 0.38, relativeImprovement: 0.38 / 0.62,
                        isFraction: true, higherIsBetter: true),
        ReportMetricRow(name: "Exact match", baseline: 0.1, model: 0.1, improvement: 0, relativeImprovement: 0,
                        isFraction: true, higherIsBetter: true),
    ]

    static func evaluation() -> ReportEvaluation {
        let points = [(100.0, 104.0), (50, 80), (20, 21), (300, 180), (75, 70)].map { ScatterPoint(truth: $0.0, prediction: $0.1, label: "example") }
        return ReportEvaluation(
            testPath: "data/pricer-test.jsonl", testExamples: 50, testSHA256: "0123456789abcdef0123", task: "numeric",
            modelName: "pricer-ft", baselineName: "SmolLM2-135M", rows: rows,
            samples: [
                ReportSample(prompt: "How much is this? <script>alert('x')</script>", expected: "Price is $108.49",
                             baseline: "Price is $300.00", model: "Price is $110.00", note: "largest improvement"),
                ReportSample(prompt: "A toaster, 2 slots", expected: "Price is $25.00", baseline: "Price is $24.00", model: nil, note: "largest regression"),
                ReportSample(prompt: "Garden hose ```50 ft```", expected: "Price is $30.00", baseline: "Price is $29.00", model: "Price is $31.00", note: "typical"),
            ],
            rightToWrong: 3, wrongToRight: 7,
            charts: [ReportChart(title: "Truth vs prediction (pricer-ft)", fileName: "scatter-model.svg",
                                 svg: ScatterChart.svg(points: points, title: "pricer-ft", tolerance: ChartTolerance(relative: 0.1)))],
            evaluationFolder: "runs/evals/pricer_eval_20250725_150000",
            maxAbsError: (model: 120, baseline: 300), outlierShare: (model: 0.06, baseline: 0.18))
    }

    static func input(evaluation: ReportEvaluation? = evaluation()) -> ReportInput {
        ReportInput(run: run(), runFile: URL(fileURLWithPath: "/runs/pricer_finetune_20250725_140316.json"),
                    preparation: [PreparationStep(command: "finetune prepare 'items 2025.csv' --template t.yaml -o pricer.jsonl",
                                                  summary: "400 records → 394 examples; 6 skipped (3 empty price, 3 empty description)",
                                                  at: "2025-07-25T13:50:00Z")],
                    evaluation: evaluation, generatedAt: Date(timeIntervalSince1970: 1_753_460_000),
                    compute: "this machine: AMD EPYC 7B13, 2 cores, 24 GiB; in-process engine, 2 threads")
    }
}
