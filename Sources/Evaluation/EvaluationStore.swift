import ChatDataset
import FineTuningProviders
import Foundation

/// The folder of evaluations, `<runs>/evals/`: one folder per `finetune eval`
/// (`<name>_eval_<yyyyMMdd_HHmmss>/`) holding `evaluation.json`, `examples.jsonl` and the charts.
///
/// ```swift
/// let store = EvaluationStore(runsDirectory: URL(fileURLWithPath: "runs"))
/// let folder = try store.newFolder(name: "pricer")
/// try store.write(record, examples: lines, to: folder)
/// let all = store.list().evaluations
/// ```
public struct EvaluationStore: Sendable {
    public static let recordFileName = "evaluation.json"
    public static let examplesFileName = "examples.jsonl"

    /// `<runs>/evals`.
    public let directory: URL

    /// Evaluations go to `runsDirectory/evals`.
    public init(runsDirectory: URL) {
        directory = runsDirectory.standardizedFileURL.appendingPathComponent("evals", isDirectory: true)
    }

    /// Creates a new, empty folder `<name>_eval_<yyyyMMdd_HHmmss>` (with `_2`, `_3`, … when that exists).
    /// - Throws: `EvaluationError.cannotWrite` when the folder cannot be created.
    public func newFolder(name: String, at date: Date = Date()) throws(EvaluationError) -> URL {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        let stem = "\(ExperimentRecordStore.safeName(name, empty: "eval"))_eval_\(formatter.string(from: date))"
        for counter in 1...10_000 {
            let folder = directory.appendingPathComponent(counter == 1 ? stem : "\(stem)_\(counter)", isDirectory: true)
            // mkdir fails with EEXIST when another evaluation took the name: try the next one.
            if mkdir(folder.path, 0o755) == 0 { return folder }
            if errno != EEXIST { throw .cannotWrite(path: folder.path, reason: String(cString: strerror(errno))) }
        }
        throw .cannotWrite(path: directory.appendingPathComponent(stem).path, reason: "10,000 folders of that name exist; remove old ones")
    }

    /// Writes `examples.jsonl` and then `evaluation.json` into `folder`, each atomically (a temporary file
    /// renamed over the destination), so a reader sees the old or the new file, never a mix.
    /// - Throws: `EvaluationError.cannotWrite` naming the file.
    public func write(_ record: EvaluationRecord, examples: [ExampleLine], to folder: URL) throws(EvaluationError) {
        let examplesURL = folder.appendingPathComponent(record.files.examples)
        let recordURL = folder.appendingPathComponent(Self.recordFileName)
        var lines = ""
        do {
            for line in examples { lines += String(decoding: try Self.lineEncoder.encode(line), as: UTF8.self) + "\n" }
        } catch {
            throw .cannotWrite(path: examplesURL.path, reason: "cannot encode an example: \(error)")
        }
        try Self.writeAtomically(lines, to: examplesURL)
        let json: String
        do { json = String(decoding: try Self.recordEncoder.encode(record), as: UTF8.self) + "\n" } catch {
            throw .cannotWrite(path: recordURL.path, reason: "cannot encode the record: \(error)")
        }
        try Self.writeAtomically(json, to: recordURL)
    }

    /// Reads `folder/evaluation.json`.
    /// - Throws: `EvaluationError.cannotRead` or `.invalidRecord` naming the file (and the field).
    public static func read(_ folder: URL) throws(EvaluationError) -> EvaluationRecord {
        let url = folder.appendingPathComponent(recordFileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .cannotRead(path: url.path, reason: EvalSet.reason(error))
        }
        do { return try JSONDecoder().decode(EvaluationRecord.self, from: data) } catch {
            throw .invalidRecord(path: url.path, line: nil, reason: decodingReason(error))
        }
    }

    /// Reads `folder/examples.jsonl` (the name in the record's `files`, else the default).
    /// - Throws: `EvaluationError.cannotRead` or `.invalidRecord` naming the file and line.
    public static func readExamples(_ folder: URL) throws(EvaluationError) -> [ExampleLine] {
        let name = (try? read(folder))?.files.examples ?? examplesFileName
        let url = folder.appendingPathComponent(name)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .cannotRead(path: url.path, reason: EvalSet.reason(error))
        }
        var lines: [ExampleLine] = []
        let decoder = JSONDecoder()
        for (offset, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            do { lines.append(try decoder.decode(ExampleLine.self, from: Data(line))) } catch {
                throw .invalidRecord(path: url.path, line: offset + 1, reason: decodingReason(error))
            }
        }
        return lines
    }

    /// Every evaluation in the folder, oldest first (by `created_at`, then folder name); folders whose
    /// record cannot be read are returned apart with the reason.
    public func list() -> (evaluations: [(folder: URL, record: EvaluationRecord)], unreadable: [(url: URL, reason: String)]) {
        let entries = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
        var evaluations: [(folder: URL, record: EvaluationRecord)] = []
        var unreadable: [(url: URL, reason: String)] = []
        for entry in entries where (try? entry.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            guard !entry.lastPathComponent.hasPrefix(".") else { continue }
            guard FileManager.default.fileExists(atPath: entry.appendingPathComponent(Self.recordFileName).path) else {
                unreadable.append((entry, "no \(Self.recordFileName) (a `finetune eval` still running or interrupted)"))
                continue
            }
            do { evaluations.append((entry, try Self.read(entry))) } catch { unreadable.append((entry, error.description)) }
        }
        evaluations.sort { (Self.date($0.record.createdAt), $0.folder.lastPathComponent) < (Self.date($1.record.createdAt), $1.folder.lastPathComponent) }
        unreadable.sort { $0.url.lastPathComponent < $1.url.lastPathComponent }
        return (evaluations, unreadable)
    }

    /// The evaluations of a run's model, oldest first: the model's `run` points at the record file (same
    /// path or file name) or the run's job id, or the model's name is the run's output name, its name,
    /// its record file's stem or its run directory.
    public func evaluations(of run: ExperimentRecord, recordFile: URL) -> [(folder: URL, record: EvaluationRecord)] {
        let recordPath = recordFile.standardizedFileURL.path
        let recordName = recordFile.lastPathComponent
        var names: Set<String> = [run.name, recordFile.deletingPathExtension().lastPathComponent]
        if let output = run.outputName { names.insert(output) }
        if let folder = run.runDirectory { names.insert(folder); names.insert(URL(fileURLWithPath: folder).standardizedFileURL.path) }
        return list().evaluations.filter { entry in
            let model = entry.record.model
            if let reference = model.run {
                if URL(fileURLWithPath: reference.recordFile).standardizedFileURL.path == recordPath { return true }
                if URL(fileURLWithPath: reference.recordFile).lastPathComponent == recordName { return true }
                if let job = reference.jobID, job == run.jobID { return true }
            }
            return names.contains(model.model)
        }
    }

    /// An ISO-8601 date (with or without fractional seconds) for ordering; the distant past when unreadable.
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text) ?? .distantPast
    }

    static func writeAtomically(_ text: String, to url: URL) throws(EvaluationError) {
        do {
            let writer = try AtomicFileWriter(path: url.path)
            try writer.write(text)
            try writer.commit()
        } catch {
            throw .cannotWrite(path: url.path, reason: error.description)
        }
    }

    /// "field 'model.metrics' is missing", … from a DecodingError.
    static func decodingReason(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "field '\(path(context, key))' is missing"
        case DecodingError.typeMismatch(_, let context): return "field '\(path(context))' has the wrong type"
        case DecodingError.valueNotFound(_, let context): return "field '\(path(context))' is null"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "field '\(path(context))': \(context.debugDescription)"
        default: return "\(error)"
        }
    }

    static var recordEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var lineEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
