import Foundation

/// How `DatasetPreparer` turns records into chat examples.
public struct PrepareOptions: Sendable, Equatable {
    /// Where the messages come from.
    public enum Mode: Sendable, Equatable {
        /// Render the templates for every record.
        case template(ChatTemplate)
        /// Convert legacy `{"prompt": …, "completion": …}` records into a user and an assistant
        /// message, each trimmed of surrounding whitespace and line breaks (legacy completions
        /// often start with a space and end with a newline); `system`, when given, is put first
        /// as it is.
        case promptCompletion(system: String?)
    }

    /// Templates or prompt-completion conversion.
    public var mode: Mode
    /// The input's format; nil infers it from the file extension.
    public var format: RecordFormat?
    /// Conditions every record must meet (ANDed with the template file's own `where:`).
    public var filters: [RecordFilter]
    /// Keep at most this many examples, taken after filtering (and after shuffling).
    public var limit: Int?
    /// Shuffle the examples with this seed before `limit` applies; nil keeps the input order.
    public var shuffleSeed: UInt64?
    /// Render null, empty and whitespace-only values as they are instead of skipping the record.
    public var allowEmpty: Bool

    /// Options for `DatasetPreparer`; everything but the mode has a default that changes nothing.
    public init(mode: Mode, format: RecordFormat? = nil, filters: [RecordFilter] = [], limit: Int? = nil,
                shuffleSeed: UInt64? = nil, allowEmpty: Bool = false) {
        self.mode = mode
        self.format = format
        self.filters = filters
        self.limit = limit
        self.shuffleSeed = shuffleSeed
        self.allowEmpty = allowEmpty
    }
}

/// Why a record produced no example.
public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// A template reads a field the record lacks.
    case missingField(String)
    /// A field a template reads is null, empty or only whitespace.
    case emptyValue(String)
    /// A `{{field:.2f}}` placeholder met a value that is not a decimal number.
    case notANumber(String)
    /// The record does not meet this `--where` expression.
    case filteredOut(expression: String)
    /// The record lacks the field a `--where` expression reads.
    case filterFieldMissing(field: String, expression: String)
    /// A prompt-completion record lacks `prompt` or `completion`, or holds something other than text.
    case invalidPromptCompletion(String)

    public var description: String {
        switch self {
        case .missingField(let field): "missing field '\(field)'"
        case .emptyValue(let field): "empty value for '\(field)'"
        case .notANumber(let field): "'\(field)' is not a number (its placeholder has a number format)"
        case .filteredOut(let expression): "filtered out by --where '\(expression)'"
        case .filterFieldMissing(let field, let expression): "missing field '\(field)' read by --where '\(expression)'"
        case .invalidPromptCompletion(let detail): "invalid prompt-completion record: \(detail)"
        }
    }
}

/// What a `prepare` run did.
public struct PrepareReport: Sendable, Equatable {
    /// One skip reason with the number of records it applied to and the first of their lines.
    public struct Skip: Sendable, Equatable {
        /// Why the records were skipped.
        public var reason: SkipReason
        /// How many records were skipped for `reason`.
        public var count: Int
        /// Lines (1-based) of the first `PrepareReport.linesKept` skipped records.
        public var firstLines: [Int]

        /// A skip count, as the report builds it.
        public init(reason: SkipReason, count: Int, firstLines: [Int]) {
            self.reason = reason
            self.count = count
            self.firstLines = firstLines
        }
    }

    /// How many line numbers each skip reason keeps.
    public static let linesKept = 5

    /// Records in the input file.
    public var recordsRead = 0
    /// Examples written (after `limit`).
    public var examplesWritten = 0
    /// Skip reasons in the order they first occurred.
    public var skips: [Skip] = []
    /// Examples that passed every check but were left out by `limit`.
    public var leftOutByLimit = 0

    /// A report; `DatasetPreparer` fills one in as it goes.
    public init(recordsRead: Int = 0, examplesWritten: Int = 0, skips: [Skip] = [], leftOutByLimit: Int = 0) {
        self.recordsRead = recordsRead
        self.examplesWritten = examplesWritten
        self.skips = skips
        self.leftOutByLimit = leftOutByLimit
    }

    /// Records skipped for any reason (not counting `leftOutByLimit`).
    public var recordsSkipped: Int { skips.reduce(0) { $0 + $1.count } }

    /// The number of records skipped for `reason`.
    public func count(of reason: SkipReason) -> Int {
        skips.first { $0.reason == reason }?.count ?? 0
    }

    mutating func skip(_ reason: SkipReason, line: Int) {
        if let index = skips.firstIndex(where: { $0.reason == reason }) {
            skips[index].count += 1
            if skips[index].firstLines.count < Self.linesKept { skips[index].firstLines.append(line) }
        } else {
            skips.append(Skip(reason: reason, count: 1, firstLines: [line]))
        }
    }
}

/// Turns a file of records (CSV, JSON array, JSON Lines) into chat fine-tuning JSONL, one
/// `{"messages":[…]}` object per line: the `prepare` command as a library.
///
/// ```swift
/// let template = try ChatTemplate(systemFlag: nil, userFlag: "How much does this cost?\\n{{title}}",
///                                 assistantFlag: "Price is ${{price:.2f}}")
/// let preparer = DatasetPreparer(options: PrepareOptions(mode: .template(template), limit: 100))
/// let report = try preparer.run(input: "items.csv", output: "train.jsonl")
/// print(report.examplesWritten, report.recordsSkipped)
/// ```
public struct DatasetPreparer: Sendable {
    /// What to render, filter, shuffle and keep.
    public var options: PrepareOptions

    /// A preparer that applies `options`.
    public init(options: PrepareOptions) {
        self.options = options
    }

    /// Reads `input`, converts its records and writes the examples to `output` (`-` for standard
    /// output) atomically: when an error stops the run nothing is written, and the input is never
    /// modified.
    /// - Parameter progress: called with the number of records processed so far.
    /// - Throws: `DatasetError` when the input cannot be read or parsed, a template or filter names
    ///   a column the CSV file lacks, `output` is the input file, no record produced an example, or
    ///   the output cannot be written.
    public func run(input: String, output: String, progress: ((Int) -> Void)? = nil) throws(DatasetError) -> PrepareReport {
        if output != "-", isSameFile(input, output) {
            throw .invalidArgument("the output \(output) is the input file; write the examples to another file (prepare never modifies its input)")
        }
        let set = try RecordSource.load(path: input, format: options.format)
        let (examples, report) = try prepare(set, inputPath: input, progress: progress)
        guard !examples.isEmpty else {
            let reasons = report.skips.map { "\($0.count) \($0.reason) (first at line \($0.firstLines[0]))" }
            let detail = set.records.isEmpty ? "the file holds no records"
                : "none of the \(set.records.count) records produced an example: " + reasons.joined(separator: "; ")
            throw .invalidInput(path: input, line: nil, message: "\(detail); nothing was written to \(output)")
        }
        let writer = try AtomicFileWriter(path: output)
        var bytes: [UInt8] = []
        for example in examples {
            bytes.removeAll(keepingCapacity: true)
            JSONWriter.write(example.jsonValue, to: &bytes)
            bytes.append(0x0A)
            try writer.write(bytes)
        }
        try writer.commit()
        return report
    }

    /// Converts records already loaded, without any IO: filters, renders, shuffles and limits.
    /// - Parameter inputPath: the file the records came from, for messages.
    /// - Throws: `DatasetError.invalidArgument` when a template or filter names a field that is not
    ///   a column of a CSV input.
    public func prepare(_ set: RecordSet, inputPath: String,
                        progress: ((Int) -> Void)? = nil) throws(DatasetError) -> (examples: [ChatExample], report: PrepareReport) {
        var filters = options.filters
        var needed: [(field: String, usedBy: String)] = []
        switch options.mode {
        case .template(let template):
            filters += template.filters
            needed = template.fieldPaths.map { ($0, "template field") }
        case .promptCompletion:
            needed = [("prompt", "prompt-completion field"), ("completion", "prompt-completion field")]
        }
        needed += filters.map { ($0.field, "--where field") }
        if let columns = set.columns {
            try checkColumns(needed, columns: columns, inputPath: inputPath)
        }

        var report = PrepareReport(recordsRead: set.records.count)
        var examples: [ChatExample] = []
        examples.reserveCapacity(set.records.count)
        records: for (index, record) in set.records.enumerated() {
            if index % 10_000 == 0, index > 0 { progress?(index) }
            for filter in filters {
                switch filter.evaluate(record.value) {
                case .passed: continue
                case .rejected:
                    // An empty value fails most conditions; say it is empty rather than filtered.
                    let isEmpty = lookUpField(filter.field, in: record.value)?.textValue?
                        .allSatisfy(\.isWhitespace) ?? false
                    report.skip(isEmpty ? .emptyValue(filter.field) : .filteredOut(expression: filter.expression), line: record.line)
                case .missingField: report.skip(.filterFieldMissing(field: filter.field, expression: filter.expression), line: record.line)
                }
                continue records
            }
            switch convert(record.value) {
            case .example(let example): examples.append(example)
            case .skipped(let reason): report.skip(reason, line: record.line)
            }
        }
        progress?(set.records.count)

        if let seed = options.shuffleSeed {
            var generator = SeededGenerator(seed: seed)
            examples.stableShuffle(using: &generator)
        }
        if let limit = options.limit, examples.count > limit {
            report.leftOutByLimit = examples.count - limit
            examples.removeLast(examples.count - limit)
        }
        report.examplesWritten = examples.count
        return (examples, report)
    }

    private enum Conversion {
        case example(ChatExample)
        case skipped(SkipReason)
    }

    private func convert(_ record: JSONValue) -> Conversion {
        switch options.mode {
        case .template(let template):
            do {
                return .example(try template.render(record, allowEmpty: options.allowEmpty))
            } catch {
                switch error {
                case .missingField(let field): return .skipped(.missingField(field))
                case .emptyValue(let field): return .skipped(.emptyValue(field))
                case .notANumber(let field): return .skipped(.notANumber(field))
                }
            }
        case .promptCompletion(let system):
            var texts: [String] = []
            for key in ["prompt", "completion"] {
                guard let value = record[key] else { return .skipped(.invalidPromptCompletion("no '\(key)' key")) }
                guard case .string(let text) = value else {
                    return .skipped(.invalidPromptCompletion("'\(key)' is \(value.kind.noun), expected a string"))
                }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty, !options.allowEmpty { return .skipped(.emptyValue(key)) }
                texts.append(trimmed)
            }
            var messages = [ChatMessage(role: .user, content: texts[0]), ChatMessage(role: .assistant, content: texts[1])]
            if let system { messages.insert(ChatMessage(role: .system, content: system), at: 0) }
            return .example(ChatExample(messages: messages))
        }
    }

    private func checkColumns(_ needed: [(field: String, usedBy: String)], columns: [String],
                              inputPath: String) throws(DatasetError) {
        for (field, usedBy) in needed where !columns.contains(field) {
            var message = "\(usedBy) '\(field)' is not a column of \(inputPath); columns are: \(columns.joined(separator: ", "))"
            let tolerance = field.count > 3 ? 2 : 1
            let guess = columns.map { ($0, editDistance($0, field)) }.filter { $0.1 <= tolerance }.min { $0.1 < $1.1 }
            if let (column, _) = guess { message += ". Did you mean '\(column)'?" }
            throw .invalidArgument(message)
        }
    }
}

/// Whether two paths name the same existing file (same device and inode, so links count too).
private func isSameFile(_ first: String, _ second: String) -> Bool {
    var a = stat(), b = stat()
    guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

/// Levenshtein distance between two short strings, for "did you mean" hints.
private func editDistance(_ first: String, _ second: String) -> Int {
    let a = Array(first.lowercased()), b = Array(second.lowercased())
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
