// A CSV reader (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180) written by hand over bytes.
//
// Why not a package: the CSV packages available here (CSV.swift, SwiftCSV) do not say where a
// malformed record is, and CSV.swift silently accepts an unterminated quote, swallowing the rest of
// the file into one field. A user preparing training data needs "line 12: this quote is never
// closed", so this reader tracks physical lines itself.
//
// What it accepts:
//   1. The first record is the header row and names the columns; names are trimmed, must be
//      non-empty and distinct.
//   2. Fields are separated by commas; a field may be wrapped in double quotes, and then holds
//      commas, line breaks and doubled quotes (`""` stands for one `"`).
//   3. Lines end in LF or CRLF; a UTF-8 byte-order mark at the start is skipped. A line break inside
//      a quoted field is read as `\n` whatever the file uses.
//   4. Blank lines between records are skipped. A record with fewer fields than the header is kept
//      (the missing trailing fields are absent); one with more fields is an error.
// Each record carries the physical line (1-based) where it starts, for messages.

import Foundation

/// A CSV file with a header row, read into memory.
///
/// ```swift
/// let table = try CSVTable(path: "items.csv")
/// for row in table.rows { print(row.line, row.fields) }
/// ```
public struct CSVTable: Sendable, Equatable {
    /// One record: its fields in column order (possibly fewer than the header) and the physical
    /// line where it starts.
    public struct Row: Sendable, Equatable {
        /// The field values, quotes removed and `""` read as `"`.
        public var fields: [String]
        /// The physical line (1-based) where the record starts.
        public var line: Int
    }

    /// The column names from the header row, trimmed.
    public let header: [String]
    /// The records after the header, in file order.
    public let rows: [Row]

    /// Reads and parses the CSV file at `path`.
    /// - Throws: `DatasetError.cannotRead` / `.notText` when the file cannot be read, and
    ///   `DatasetError.invalidInput` naming the line of a malformed record or header.
    public init(path: String) throws(DatasetError) {
        var parser = CSVParser(path: path)
        let reader = try LineReader(path: path)
        try reader.forEachLine { (line, number) throws(DatasetError) in try parser.consume(line, number: number) }
        (header, rows) = try parser.finish()
    }

    /// Parses CSV text held in memory; `path` is only used in messages.
    /// - Throws: `DatasetError.invalidInput` naming the line of a malformed record or header.
    public init(parsing text: String, path: String = "<csv>") throws(DatasetError) {
        var parser = CSVParser(path: path)
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var number = 0
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var end = newline
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            number += 1
            try bytes.withUnsafeBufferPointer { (buffer) throws(DatasetError) in
                try parser.consume(UnsafeBufferPointer(rebasing: buffer[start..<end]), number: number)
            }
            start = newline + 1
        }
        (header, rows) = try parser.finish()
    }
}

/// The state machine under `CSVTable`: fed one physical line at a time (without its line ending),
/// so a quoted field can run over several lines while line numbers stay exact.
struct CSVParser {
    private enum State {
        case fieldStart, unquoted, quoted, afterClosingQuote
    }

    let path: String
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var recordLine = 0
    private var quoteLine = 0
    private var quoteColumn = 0
    private var header: [String]?
    private var rows: [CSVTable.Row] = []

    init(path: String) {
        self.path = path
    }

    private var inRecord: Bool { recordLine > 0 }

    /// Consumes one physical line, `number` being its 1-based line number.
    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, number: Int) throws(DatasetError) {
        if let bad = firstInvalidUTF8(line) {
            throw fail(number, "invalid UTF-8 at byte \(bad + 1) of the line; save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\")")
        }
        if !inRecord {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank line between records
            recordLine = number
        }
        for (offset, byte) in line.enumerated() {
            switch state {
            case .fieldStart:
                if byte == UInt8(ascii: "\"") {
                    state = .quoted
                    quoteLine = number
                    quoteColumn = fields.count + 1
                } else if byte == UInt8(ascii: ",") {
                    endField()
                } else {
                    field.append(byte)
                    state = .unquoted
                }
            case .unquoted:
                if byte == UInt8(ascii: ",") {
                    endField()
                } else if byte == UInt8(ascii: "\"") {
                    throw fail(number, "a quote at character \(offset + 1) is inside the unquoted field \(fields.count + 1); wrap the whole field in quotes and double the quotes inside it, as in \"say \"\"hi\"\"\"")
                } else {
                    field.append(byte)
                }
            case .quoted:
                if byte == UInt8(ascii: "\"") { state = .afterClosingQuote } else { field.append(byte) }
            case .afterClosingQuote:
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    state = .quoted
                } else if byte == UInt8(ascii: ",") {
                    endField()
                } else {
                    throw fail(number, "unexpected \(describe(byte)) at character \(offset + 1), after the closing quote of field \(fields.count + 1); a quoted field must end at a comma or the end of the line (write a quote inside a field as \"\")")
                }
            }
        }
        if state == .quoted {
            field.append(0x0A)  // the line break belongs to the quoted field
        } else {
            try endRecord()
        }
    }

    /// Ends the input and returns the header and the records.
    mutating func finish() throws(DatasetError) -> (header: [String], rows: [CSVTable.Row]) {
        if state == .quoted {
            throw fail(quoteLine, "the quoted field \(quoteColumn)\(columnName(quoteColumn)) starts at line \(quoteLine) and is never closed; the file may be truncated, or a quote inside the field is not doubled")
        }
        guard let header else {
            throw DatasetError.invalidInput(path: path, line: nil, message: "the file is empty; expected a header row naming the columns, such as title,description,price")
        }
        return (header, rows)
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        state = .fieldStart
    }

    private mutating func endRecord() throws(DatasetError) {
        endField()
        defer {
            fields.removeAll(keepingCapacity: true)
            recordLine = 0
        }
        guard let header else {
            header = try checkedHeader(fields, line: recordLine)
            return
        }
        if fields.count > header.count {
            throw fail(recordLine, "the record has \(fields.count) fields but the header has \(header.count) columns; quote fields that contain commas (\"a, b\"), or add the missing column names to the header")
        }
        rows.append(CSVTable.Row(fields: fields, line: recordLine))
    }

    private func checkedHeader(_ names: [String], line: Int) throws(DatasetError) -> [String] {
        let trimmed = names.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen: [String: Int] = [:]
        for (index, name) in trimmed.enumerated() {
            if name.isEmpty {
                throw fail(line, "column \(index + 1) of the header row has no name; every column needs a distinct name")
            }
            if let first = seen[name] {
                throw fail(line, "the header names column '\(name)' twice (columns \(first) and \(index + 1)); rename one of them")
            }
            seen[name] = index + 1
        }
        return trimmed
    }

    private func columnName(_ column: Int) -> String {
        guard let header, header.indices.contains(column - 1) else { return "" }
        return " ('\(header[column - 1])')"
    }

    private func fail(_ line: Int, _ message: String) -> DatasetError {
        .invalidInput(path: path, line: line, message: message)
    }
}
