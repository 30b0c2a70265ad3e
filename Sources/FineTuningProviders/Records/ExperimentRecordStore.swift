import ChatDataset
import Foundation

/// The folder of run records (`runs/` in the current directory unless `--runs-dir` or `FINETUNE_RUNS_DIR`
/// say otherwise): writes them atomically, lists them, finds one by name.
public struct ExperimentRecordStore: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// `explicit`, else `$FINETUNE_RUNS_DIR`, else `./runs`.
    public init(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = explicit ?? environment["FINETUNE_RUNS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "runs"
        self.init(directory: URL(fileURLWithPath: path))
    }

    /// A new record's file: `<name>_finetune_<yyyyMMdd_HHmmss>.json` (a numeric suffix if that exists).
    public func newFile(name: String, at date: Date = Date()) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        let stem = "\(Self.safeName(name))_finetune_\(formatter.string(from: date))"
        var url = directory.appendingPathComponent(stem + ".json")
        var counter = 2
        while FileManager.default.fileExists(atPath: url.path) {
            url = directory.appendingPathComponent("\(stem)_\(counter).json")
            counter += 1
        }
        return url
    }

    /// Writes `record` to `url` so that a crash leaves either the old or the new file, never a mix.
    public func write(_ record: ExperimentRecord, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let writer = try AtomicFileWriter(path: url.path)
            try writer.write(String(decoding: try Self.encoder.encode(record), as: UTF8.self) + "\n")
            try writer.commit()
        } catch let error as DatasetError {
            throw ProviderError.invalidRequest("cannot write the run record \(url.path): \(error.description)")
        } catch let error as EncodingError {
            throw ProviderError.invalidRequest("cannot encode the run record \(url.path): \(error)")
        }
    }

    /// Reads one record.
    public static func read(_ url: URL) throws -> ExperimentRecord {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ProviderError.invalidRequest("cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(ExperimentRecord.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ProviderError.invalidRequest("\(url.path) is not a finetune run record: field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ProviderError.invalidRequest("\(url.path) is not a finetune run record: field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw ProviderError.invalidRequest("\(url.path) is not a finetune run record: \(error)")
        }
    }

    /// Every record in the folder, oldest first; files that aren't records are skipped and returned apart.
    public func list() -> (records: [(url: URL, record: ExperimentRecord)], unreadable: [(url: URL, reason: String)]) {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var records: [(URL, ExperimentRecord)] = []
        var unreadable: [(URL, String)] = []
        for file in files where file.pathExtension == "json" && file.lastPathComponent.contains("_finetune_") {
            do { records.append((file, try Self.read(file))) } catch { unreadable.append((file, "\(error)")) }
        }
        records.sort { ($0.1.timestamp, $0.0.lastPathComponent) < ($1.1.timestamp, $1.0.lastPathComponent) }
        return (records.map { (url: $0.0, record: $0.1) }, unreadable.map { (url: $0.0, reason: $0.1) })
    }

    /// Finds a record by file path, file name (with or without `.json`), job id or run name (the newest of
    /// that name).
    public func find(_ text: String) throws -> (url: URL, record: ExperimentRecord) {
        let direct = URL(fileURLWithPath: text)
        if text.hasSuffix(".json"), FileManager.default.fileExists(atPath: direct.path) {
            return (direct, try Self.read(direct))
        }
        let all = list().records
        if let match = all.last(where: { $0.url.deletingPathExtension().lastPathComponent == text || $0.url.lastPathComponent == text })
            ?? all.last(where: { $0.record.jobID == text })
            ?? all.last(where: { $0.record.name == text }) {
            return match
        }
        let names = all.suffix(5).map { $0.url.deletingPathExtension().lastPathComponent }
        throw ProviderError.invalidRequest("no run record '\(text)' in \(directory.path)"
            + (names.isEmpty ? " (there are none yet: `finetune train` writes them)" : "; recent: " + names.joined(separator: ", ")))
    }

    /// The SHA-256 of a file, hex, read in 1 MB pieces.
    public static func sha256(of url: URL) throws -> String {
        do { return try DataProvenance.sha256(of: url) } catch {
            throw ProviderError.invalidRequest("cannot read \(url.path) to fingerprint it; check the path")
        }
    }

    /// Letters, digits, `.`, `-` and `_`; anything else becomes `-`.
    /// - Parameter empty: the name to use when `name` is empty.
    public static func safeName(_ name: String, empty: String = "run") -> String {
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") ? $0 : "-" })
        return cleaned.isEmpty ? empty : cleaned
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
