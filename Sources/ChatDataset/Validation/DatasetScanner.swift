/// How a dataset file is checked.
public struct ScanOptions: Sendable {
    public var provider: Provider
    public var tokenCounter: any TokenCounter
    /// Tokens allowed per example; nil uses the provider's limit.
    public var tokenLimit: Int?
    /// Findings kept per check (all are counted).
    public var findingsPerCode: Int

    public init(provider: Provider = .openai, tokenCounter: any TokenCounter = EstimatedTokenCounter(),
                tokenLimit: Int? = nil, findingsPerCode: Int = 20) {
        self.provider = provider
        self.tokenCounter = tokenCounter
        self.tokenLimit = tokenLimit
        self.findingsPerCode = findingsPerCode
    }
}

/// The outcome of reading a whole file: every finding, line-level and file-level, and counts.
public struct ScanResult: Sendable {
    public var path: String
    public var provider: Provider
    public var tokenLimit: Int
    public var findings: FindingCollector
    /// Non-blank lines: conversations, usable or not.
    public var exampleCount = 0
    /// Examples without errors.
    public var usableCount = 0
    public var blankLineCount = 0
    public var duplicateCount = 0
    public var byteCount = 0
    public var tokenCountsAreExact: Bool
    public var tokenCountDescription: String

    /// True when no finding is an error.
    public var isClean: Bool { findings.errorCount == 0 }
}

/// Streams a chat JSONL file through `ExampleAnalyzer` and adds the checks that need the whole
/// file: duplicates, the minimum number of examples, blank lines, a byte-order mark.
/// Memory stays flat: one chunk of the file, the longest line, and 16 bytes per distinct example
/// for duplicate detection.
///
/// ```swift
/// let result = try DatasetScanner(options: ScanOptions(provider: .together)).scan(path: "train.jsonl")
/// for finding in result.findings.kept { print(finding.formatted(file: result.path)) }
/// ```
public struct DatasetScanner {
    public var options: ScanOptions
    /// The fewest examples a fine-tuning job should have (OpenAI's minimum).
    public static let minimumExamples = 10

    public init(options: ScanOptions = ScanOptions()) {
        self.options = options
    }

    /// Reads and checks the file at `path`.
    /// - Parameters:
    ///   - progress: called now and then with (bytes read, file size if known).
    ///   - onExample: called with the summary of every non-blank line, in order.
    /// - Throws: `DatasetError` when the file cannot be read at all (missing, a directory, binary).
    public func scan(path: String,
                     progress: ((Int, Int?) -> Void)? = nil,
                     onExample: (ExampleSummary) -> Void = { _ in }) throws(DatasetError) -> ScanResult {
        let reader = try LineReader(path: path)
        var analyzer = ExampleAnalyzer(provider: options.provider, tokenCounter: options.tokenCounter,
                                       tokenLimit: options.tokenLimit)
        var findings = FindingCollector(limitPerCode: options.findingsPerCode)
        var result = ScanResult(path: path, provider: options.provider, tokenLimit: analyzer.tokenLimit,
                                findings: findings, tokenCountsAreExact: options.tokenCounter.isExact,
                                tokenCountDescription: options.tokenCounter.description)
        var firstLineOfContent: [UInt64: Int] = [:]
        var blankLines: [Int] = []

        try reader.forEachLine { (line, number) throws(DatasetError) in
            if number & 0x3FFF == 0 { progress?(reader.bytesRead, reader.fileSize) }
            switch analyzer.analyze(line: line, number: number, into: &findings) {
            case .blank:
                blankLines.append(number)
            case .example(let summary):
                result.exampleCount += 1
                if summary.isUsable {
                    result.usableCount += 1
                    let first = firstLineOfContent[summary.contentHash]
                    if let first {
                        result.duplicateCount += 1
                        findings.add(Finding(.warning, "duplicate-example", line: number,
                                             "repeats the example on line \(first); duplicates over-weight one example — remove the copy"))
                    } else {
                        firstLineOfContent[summary.contentHash] = number
                    }
                }
                onExample(summary)
            }
        }
        progress?(reader.bytesRead, reader.fileSize)

        addFileFindings(&findings, reader: reader, result: result, blankLines: blankLines)
        result.blankLineCount = blankLines.count
        result.byteCount = reader.bytesRead
        result.findings = findings
        return result
    }

    private func addFileFindings(_ findings: inout FindingCollector, reader: LineReader, result: ScanResult, blankLines: [Int]) {
        if !result.path.lowercased().hasSuffix(".jsonl") {
            findings.add(Finding(.warning, "file-extension", line: nil,
                                 "the file name does not end in .jsonl, which OpenAI and Together expect for fine-tuning files; rename it before uploading"))
        }
        if reader.sawByteOrderMark {
            findings.add(Finding(.warning, "byte-order-mark", line: 1,
                                 "the file starts with a UTF-8 byte-order mark, which some providers reject; save it as UTF-8 without BOM"))
        }
        // Trailing blank lines at the very end are normal; blank lines between examples are not.
        var interior = blankLines
        var last = result.exampleCount + blankLines.count
        while let tail = interior.last, tail == last {
            interior.removeLast()
            last -= 1
        }
        for line in interior {
            findings.add(Finding(.warning, "blank-line", line: line,
                                 "blank line; JSONL wants one example per line and some uploaders reject empty lines — delete it"))
        }
        if result.exampleCount == 0 {
            findings.add(Finding(.error, "no-examples", line: nil,
                                 "the file holds no examples; expected one JSON object per line like {\"messages\": [...]}"))
        } else if result.exampleCount < Self.minimumExamples {
            findings.add(Finding(options.provider.minimumExamplesSeverity, "too-few-examples", line: nil,
                                 "only \(result.exampleCount) example\(result.exampleCount == 1 ? "" : "s"); fine-tuning needs at least \(Self.minimumExamples) (50–100 well-chosen ones usually work better)"))
        }
    }
}
