import ArgumentParser
import Evaluation
import ExperimentTracking
import FineTuningProviders
import Foundation
import Reporting

/// `finetune train --mlflow URI`: the run's parameters at the start, its metrics per step as they
/// arrive, and at the end its status and artifacts (the run record, the report, the loss chart and
/// metrics of a local run). A tracking failure after the start is a warning: training goes on.
final class TrainTracking: @unchecked Sendable {
    // @unchecked: `logged` is only touched under `lock`; `session` is an actor.
    let session: MLflowSession
    private let lock = NSLock()
    /// "key@step" of the metric points sent.
    private var logged: Set<String> = []
    /// The params sent (MLflow keeps a param's first value: each is sent once).
    private var params: Set<String>
    /// The latest hand-over to the session; each waits for the one before, and `finish` for the last.
    private var lastSend: Task<Void, Never>?

    private init(session: MLflowSession, params: Set<String>) {
        self.session = session
        self.params = params
    }

    /// Starts the MLflow run. An unreachable server stops `train` before anything is spent.
    static func start(_ options: MLflowOptions, record: ExperimentRecord) async throws -> TrainTracking? {
        guard let url = options.url else { return nil }
        var params: [String: String] = ["base_model": record.baseModel, "provider": record.provider.rawValue]
        // Values left to the provider (null, "auto") are sent once it has resolved them.
        for (key, value) in record.trainingParameters where value != .null { params[key] = JobsCommand.text(value) }
        for dataset in record.datasets {
            params["\(dataset.role)_file"] = dataset.path
            params["\(dataset.role)_sha256"] = dataset.sha256
            if let examples = dataset.examples { params["\(dataset.role)_examples"] = String(examples) }
        }
        do {
            let session = try await MLflowSession.start(
                trackingURI: url, experiment: options.experiment, runName: record.name,
                tags: ["finetune.kind": "train", "finetune.provider": record.provider.rawValue, "finetune.base_model": record.baseModel],
                params: params.filter { !$0.value.isEmpty }, warn: Self.warn)
            Console.err("MLflow: logging to \(session.runURL)")
            return TrainTracking(session: session, params: Set(params.keys))
        } catch {
            Console.err(Console.paint("finetune: error: MLflow: \(error)", .red))
            throw ExitCode(1)
        }
    }

    static let warn: @Sendable (String) -> Void = { message in
        Console.err(Console.paint("finetune: warning: \(message) (the run record keeps every metric)", .yellow))
    }

    /// Takes in the record after a change: new metric points (named as the record names them) and the
    /// hyperparameters the provider resolved go out.
    func observe(_ record: ExperimentRecord) {
        lock.withLock {
            let (resolved, points) = pending(record)
            guard !resolved.isEmpty || !points.isEmpty else { return }
            let session = session, previous = lastSend
            lastSend = Task {
                await previous?.value
                if !resolved.isEmpty { await session.logParams(resolved) }
                if !points.isEmpty { await session.log(points) }
            }
        }
    }

    /// What `record` holds that was not sent yet; marks it sent. Called under `lock`.
    private func pending(_ record: ExperimentRecord) -> (params: [String: String], points: [MLflowMetric]) {
        var points: [MLflowMetric] = []
        var resolved: [String: String] = [:]
        for (key, value) in record.hyperparameters where value != .null && !params.contains(key) {
            params.insert(key)
            resolved[key] = JobsCommand.text(value)
        }
        for point in record.metrics {
            let figures: [(String, Double?)] = [
                ("train_loss", point.trainLoss), ("train_accuracy", point.trainAccuracy),
                ("valid_loss", point.validLoss), ("valid_mean_token_accuracy", point.validAccuracy),
                ("full_valid_loss", point.fullValidLoss), ("full_valid_mean_token_accuracy", point.fullValidAccuracy),
                ("learning_rate", point.learningRate),
            ]
            for case let (key, value?) in figures where value.isFinite {
                guard logged.insert("\(key)@\(point.step)").inserted else { continue }
                points.append(MLflowMetric(key: key, value: value, step: point.step))
            }
        }
        return (resolved, points)
    }

    /// Ends the MLflow run with the job's outcome and uploads the artifacts.
    func finish(record: ExperimentRecord, recordURL: URL, store: ExperimentRecordStore) async {
        observe(record)
        await lock.withLock { lastSend }?.value
        var tags: [String: String] = ["finetune.status": record.status]
        if let model = record.outputName { tags["finetune.fine_tuned_model"] = model }
        if let job = record.jobID { tags["finetune.job_id"] = job }
        await session.setTags(tags)
        var artifacts: [(file: URL, path: String?)] = [(recordURL, nil)]
        artifacts += Self.report(run: record, file: recordURL, store: store)
        if let directory = record.runDirectory.map({ URL(fileURLWithPath: $0) }) {
            for name in ["loss.svg", "metrics.jsonl"] where FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
                artifacts.append((directory.appendingPathComponent(name), "run"))
            }
        }
        let status: MLflowRunStatus = switch record.status {
        case "succeeded": .finished
        case "cancelled", "paused", "running", "queued", "validating": .killed
        default: .failed
        }
        await session.finish(status: status, artifacts: artifacts)
        Console.err("MLflow: run \(status.rawValue.lowercased()): \(session.runURL)")
    }

    /// Writes the run's report and returns its files as artifacts under `report/`.
    static func report(run: ExperimentRecord, file: URL, store: ExperimentRecordStore) -> [(file: URL, path: String?)] {
        do {
            let files = try RunReport.write(RunReport.input(run: run, file: file, store: store), store: store)
            return files.map { ($0, "report") }
        } catch {
            Console.err(Console.paint("finetune: warning: the report could not be written: \(error)", .yellow))
            return []
        }
    }
}

/// `finetune eval --mlflow URI`: the evaluation as an MLflow run: its settings as parameters, each
/// metric of the model (and `baseline.<metric>`, `improvement.<metric>`), each example's absolute
/// error as a step series for numbers, and the evaluation folder (and the run's report) as artifacts.
enum EvalTracking {
    /// Starts the MLflow run before any model is asked, so that an unreachable server stops the
    /// command before it spends anything; nil without `--mlflow`.
    static func start(_ options: MLflowOptions, name: String, model: EvalTarget, baseline: EvalTarget?, set: EvalSet,
                      plan: EvalPlan) async throws -> MLflowSession? {
        guard let url = options.url else { return nil }
        var params: [String: String] = [
            "model": model.name, "provider": model.provider, "test_file": set.url.path,
            "test_sha256": set.sha256, "test_examples": String(set.examples.count), "task": plan.task.rawValue,
            "tolerance": plan.tolerance.description, "temperature": "0", "max_tokens": String(plan.maxTokens),
            "metrics": plan.metrics.map(\.description).joined(separator: ","),
        ]
        if let baseline { params["baseline"] = baseline.name; params["baseline_provider"] = baseline.provider }
        if let extract = plan.extractor.pattern { params["extract"] = extract }
        if let run = model.run { params["run"] = run.name }
        do {
            let session = try await MLflowSession.start(
                trackingURI: url, experiment: options.experiment, runName: "eval \(name)",
                tags: ["finetune.kind": "eval", "finetune.model": model.name], params: params,
                warn: { Console.err(Console.paint("finetune: warning: \($0)", .yellow)) })
            Console.err("MLflow: logging to \(session.runURL)")
            return session
        } catch {
            Console.err(Console.paint("finetune: error: MLflow: \(error)", .red))
            throw ExitCode(1)
        }
    }

    /// Logs the evaluation's figures and files and ends the run.
    static func finish(_ session: MLflowSession, record: EvaluationRecord, folder: URL, lines: [ExampleLine],
                       store: ExperimentRecordStore) async {
        var metrics: [MLflowMetric] = []
        func add(_ prefix: String, _ values: [MetricValue]) {
            for metric in values { if let value = metric.value, value.isFinite { metrics.append(MLflowMetric(key: MLflowNames.key(prefix + metric.key), value: value, step: 0)) } }
        }
        add("", record.model.metrics)
        if let baseline = record.baseline { add("baseline.", baseline.metrics) }
        for row in record.comparison ?? [] {
            if let gain = row.improvement, gain.isFinite { metrics.append(MLflowMetric(key: MLflowNames.key("improvement." + row.key), value: gain, step: 0)) }
        }
        if let flips = record.flips {
            metrics.append(MLflowMetric(key: "flips.wrong_to_right", value: Double(flips.wrongToRight.count), step: 0))
            metrics.append(MLflowMetric(key: "flips.right_to_wrong", value: Double(flips.rightToWrong.count), step: 0))
        }
        if record.task == .numeric {
            for line in lines {
                if let error = line.model.error { metrics.append(MLflowMetric(key: "example.abs_error", value: abs(error), step: line.index)) }
                if let error = line.baseline?.error { metrics.append(MLflowMetric(key: "baseline.example.abs_error", value: abs(error), step: line.index)) }
            }
        }
        await session.log(metrics)
        var artifacts: [(file: URL, path: String?)] = [
            (folder.appendingPathComponent(EvaluationStore.recordFileName), nil),
            (folder.appendingPathComponent(EvaluationStore.examplesFileName), nil),
        ]
        artifacts += record.files.charts.map { (folder.appendingPathComponent($0), "charts") }
        if let run = record.model.run, let found = try? store.find(run.recordFile) {
            artifacts += TrainTracking.report(run: found.record, file: found.url, store: store)
        }
        await session.finish(status: .finished, artifacts: artifacts)
        Console.err("MLflow: logged the evaluation to \(session.runURL)")
    }
}
