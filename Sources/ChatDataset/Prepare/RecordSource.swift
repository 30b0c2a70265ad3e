import Foundation

/// The file formats `prepare` reads records from.
public enum RecordFormat: String, Sendable, CaseIterable {
    /// Comma-separated values with a header row (RFC 4180); every value is a string.
    case csv
    /// One JSON array whose elements are objects.
    case json
    /// JSON Lines: one object per line; blank lines are skipped.
    case jsonl

    /// The format named by the extension of `path`: `.csv`, `.json`, `.jsonl` or `.ndjson`.
    /// - Throws: `DatasetError.invalidArgument` when the extension names none of them.
    public init(inferringFrom path: String) throws(DatasetError) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": self = .csv
        case "json": self = .json
        case "jsonl", "ndjson": self = .jsonl
        default:
            throw .invalidArgument("cannot tell the format of \(path) from its extension (expected .csv, .json, .jsonl or .ndjson); pass --format csv, json or jsonl")
        }
    }
}

/// One input record: a JSON object (CSV rows become objects of strings) and the line where it
/// starts in its file (1-based), for messages.
public struct SourceRecord: Sendable, Equatable {
    /// The record, always a JSON object.
    public var value: JSONValue
    /// The line (1-based) where the record starts.
    public var line: Int

    /// A record that starts at `line`.
    public init(value: JSONValue, line: Int) {
        self.value = value
        self.line = line
    }
}

/// The records of one input file.
public struct RecordSet: Sendable, Equatable {
    /// The format the records were read as.
    public var format: RecordFormat
    /// The records in file order.
    public var records: [SourceRecord]
    /// The column names of a CSV file (nil for JSON, whose records may differ in their keys).
    public var columns: [String]?

    /// A set of records, such as one built in memory for `DatasetPreparer.prepare(_:inputPath:progress:)`.
    public init(format: RecordFormat, records: [SourceRecord], columns: [String]? = nil) {
        self.format = format
        self.records = records
        self.columns = columns
    }
}

/// Loads the records `prepare` turns into chat examples.
///
/// ```swift
/// let set = try RecordSource.load(path: "items.csv")
/// for record in set.records { print(record.line, record.value["title"]?.textValue ?? "") }
/// ```
public enum RecordSource {
    /// Reads every record of `path`.
    /// - Parameter format: the file's format; nil infers it from the extension.
    /// - Throws: `DatasetError.cannotRead` / `.notText` when the file cannot be read, and
    ///   `.invalidInput` with the line (and column) of malformed CSV or JSON or of a record that is
    ///   not an object.
    public static func load(path: String, format: RecordFormat? = nil) throws(DatasetError) -> RecordSet {
        let resolved: RecordFormat
        if let format { resolved = format } else { resolved = try RecordFormat(inferringFrom: path) }
        switch resolved {
        case .csv: return records(from: try CSVTable(path: path))
        case .json: return try records(jsonArray: readWholeTextFile(path), path: path)
        case .jsonl: return try jsonLines(path: path)
        }
    }

    /// The records of a CSV table: each row as an object of strings keyed by column name; fields
    /// missing at the end of a short row are absent from its object.
    public static func records(from table: CSVTable) -> RecordSet {
        let records = table.rows.map { row in
            SourceRecord(value: .object(zip(table.header, row.fields).map { JSONValue.Member($0, .string($1)) }),
                         line: row.line)
        }
        return RecordSet(format: .csv, records: records, columns: table.header)
    }

    /// The records of a JSON document that is an array of objects; `path` is used in messages.
    /// - Throws: `DatasetError.invalidInput` with line and column of a syntax error, or the line of
    ///   an element that is not an object.
    public static func records(jsonArray bytes: [UInt8], path: String) throws(DatasetError) -> RecordSet {
        let lineStarts = [0] + bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
        func position(_ offset: Int) -> (line: Int, column: Int) {
            var low = 0, high = lineStarts.count - 1  // last line start <= offset
            while low < high {
                let middle = (low + high + 1) / 2
                if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
            }
            return (low + 1, offset - lineStarts[low] + 1)
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 }) {
            throw .invalidInput(path: path, line: nil, message: "the file is empty; expected a JSON array of objects, [{…}, {…}]")
        }
        var tape = JSONTape()
        return try bytes.withUnsafeBufferPointer { (buffer) throws(DatasetError) -> RecordSet in
            do throws(JSONSyntaxError) {
                try tape.parse(buffer)
            } catch {
                let (line, column) = position(error.offset)
                // The parser checks UTF-8 as it scans, so one pass finds both kinds of problem.
                if error.isInvalidUTF8 {
                    throw .invalidInput(path: path, line: line, message: "invalid UTF-8 at column \(column); save the file as UTF-8")
                }
                var message = error.offset >= bytes.count ? "the file ends inside a JSON value; it may be truncated"
                                                          : error.message
                if error.message.contains("after the end of the JSON value") {
                    message += "; if the file holds one JSON object per line, use --format jsonl"
                }
                throw .invalidInput(path: path, line: line, message: "invalid JSON at column \(column): \(message)")
            }
            let root = tape.nodes[0]
            guard root.kind == .array else {
                throw .invalidInput(path: path, line: position(root.start).line, message: "the file holds \(root.kind.noun); expected an array of objects, [{…}, {…}] (for one object per line use --format jsonl)")
            }
            var records: [SourceRecord] = []
            records.reserveCapacity(Int(root.count))
            var child = 1
            while child < Int(root.end) {
                let node = tape.nodes[child]
                let line = position(node.kind == .string ? node.start - 1 : node.start).line
                guard node.kind == .object else {
                    throw .invalidInput(path: path, line: line, message: "element \(records.count + 1) of the array is \(node.kind.noun); expected an object per record, such as {\"title\": \"…\"}")
                }
                records.append(SourceRecord(value: JSONValue(tape: tape, index: child, in: buffer), line: line))
                child = Int(node.end)
            }
            return RecordSet(format: .json, records: records)
        }
    }

    /// The records of a JSON Lines file, one object per line; blank lines are skipped.
    static func jsonLines(path: String) throws(DatasetError) -> RecordSet {
        var records: [SourceRecord] = []
        let reader = try LineReader(path: path)
        try reader.forEachLine { (line, number) throws(DatasetError) in
            if isBlankLine(line) { return }
            let value: JSONValue
            do throws(JSONSyntaxError) {
                value = try JSONValue(parsing: line)
            } catch {
                // The parser checks UTF-8 as it scans, so one pass finds both kinds of problem.
                let message = error.isInvalidUTF8 ? "invalid UTF-8 at column \(error.offset + 1); save the file as UTF-8"
                                                  : "invalid JSON at column \(error.offset + 1): \(error.message)"
                throw DatasetError.invalidInput(path: path, line: number, message: message)
            }
            guard case .object = value else {
                throw DatasetError.invalidInput(path: path, line: number, message: "the line holds \(value.kind.noun); expected one JSON object per line, such as {\"title\": \"…\"}")
            }
            records.append(SourceRecord(value: value, line: number))
        }
        return RecordSet(format: .jsonl, records: records)
    }
}

/// The whole of a text file with a byte-order mark removed and line endings normalized to `\n`, so
/// that byte offsets map to the same line numbers an editor shows.
/// - Throws: `DatasetError.cannotRead` or `.notText`.
func readWholeTextFile(_ path: String) throws(DatasetError) -> [UInt8] {
    var bytes: [UInt8] = []
    let reader = try LineReader(path: path)
    try reader.forEachLine { (line, _) throws(DatasetError) in
        bytes.append(contentsOf: line)
        bytes.append(0x0A)
    }
    return bytes
}
