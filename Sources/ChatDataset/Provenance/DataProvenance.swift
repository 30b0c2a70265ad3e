import Crypto
import Foundation

/// How a data file was made: the `finetune prepare` and `finetune split` steps that produced it,
/// kept beside it as `FILE.provenance.json`. A run record copies the steps of its training file, and
/// `finetune report` lists them under "Data Preparation Steps".
///
/// The sidecar holds the file's SHA-256: once the file changes (edited by hand, rewritten by another
/// tool) the sidecar no longer describes it and `read(for:)` ignores it.
///
/// ```swift
/// try DataProvenance.record(step, producing: URL(fileURLWithPath: "pricer.jsonl"), examples: 394)
/// let steps = DataProvenance.read(for: URL(fileURLWithPath: "pricer_train.jsonl"))?.steps ?? []
/// ```
public struct DataProvenance: Sendable, Codable, Equatable {
    public var formatVersion = 1
    /// The data file's name (the sidecar sits beside it).
    public var file: String
    /// The data file's SHA-256 when the sidecar was written.
    public var sha256: String
    public var examples: Int?
    /// Oldest first: the step that made the file is last.
    public var steps: [Step]

    /// One command that produced data.
    public struct Step: Sendable, Codable, Equatable {
        /// The command line as typed, e.g. `finetune prepare items.csv --template t.yaml -o pricer.jsonl`.
        public var command: String
        /// What it did, e.g. `Prepared 394 examples from 400 records; skipped 3: price is empty (…)`.
        public var summary: String
        /// When it ran (ISO-8601, local time with offset).
        public var at: String
        /// The file it read.
        public var input: String
        /// The input's SHA-256, when it was read from a file.
        public var inputSHA256: String?

        public init(command: String, summary: String, at: Date = Date(), input: String, inputSHA256: String? = nil) {
            self.command = command
            self.summary = summary
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = .current
            self.at = formatter.string(from: at)
            self.input = input
            self.inputSHA256 = inputSHA256
        }

        enum CodingKeys: String, CodingKey {
            case command, summary, at, input
            case inputSHA256 = "input_sha256"
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case file, sha256, examples, steps
    }

    /// `FILE.provenance.json` beside `url`.
    public static func sidecar(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + ".provenance.json")
    }

    /// The provenance of `url`: nil when there is no sidecar, it cannot be read, or it describes an
    /// earlier version of the file (the SHA-256 differs).
    public static func read(for url: URL) -> DataProvenance? {
        guard let data = try? Data(contentsOf: sidecar(for: url)),
              let provenance = try? JSONDecoder().decode(DataProvenance.self, from: data),
              let current = try? sha256(of: url), current == provenance.sha256 else { return nil }
        return provenance
    }

    /// Writes the sidecar of `output`: the input's steps (when `input` is a data file with a current
    /// sidecar) followed by `step`. Written atomically.
    /// - Throws: `DatasetError.cannotRead` / `.cannotWrite` naming the file.
    @discardableResult
    public static func record(_ step: Step, producing output: URL, examples: Int?, inheritingFrom input: URL? = nil) throws(DatasetError) -> DataProvenance {
        let earlier = input.flatMap { read(for: $0)?.steps } ?? []
        let provenance = DataProvenance(file: output.lastPathComponent, sha256: try sha256(of: output),
                                        examples: examples, steps: earlier + [step])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(provenance) } catch {
            throw DatasetError.cannotWrite(path: sidecar(for: output).path, reason: "\(error)")
        }
        let writer = try AtomicFileWriter(path: sidecar(for: output).path)
        try writer.write(data + Data("\n".utf8))
        try writer.commit()
        return provenance
    }

    /// The hex SHA-256 of a file's bytes, read in 1 MiB chunks.
    /// - Throws: `DatasetError.cannotRead` naming the file.
    public static func sha256(of url: URL) throws(DatasetError) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw DatasetError.cannotRead(path: url.path, reason: "cannot open it; check the path and its permissions")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw DatasetError.cannotRead(path: url.path, reason: "\(error)")
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
