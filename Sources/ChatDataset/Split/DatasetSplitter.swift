import Foundation

/// The three parts of a split.
public enum SplitPart: String, Sendable, Codable, CaseIterable {
    case train, valid, test
}

/// How to split a chat JSONL file.
public struct SplitOptions: Sendable {
    /// Fraction of examples for validation, 0..<1.
    public var validFraction: Double
    /// Fraction of examples for test, 0..<1.
    public var testFraction: Double
    public var seed: UInt64
    /// A dotted path into each example (e.g. `metadata.category` or `messages.-1.content`) whose
    /// value each part should hold in the same proportions.
    public var stratifyBy: String?
    /// Where the parts go: `<dir>/<stem>_train.jsonl` and so on; nil for the input's directory.
    public var outputDirectory: String?

    public init(validFraction: Double, testFraction: Double = 0, seed: UInt64 = 42,
                stratifyBy: String? = nil, outputDirectory: String? = nil) {
        self.validFraction = validFraction
        self.testFraction = testFraction
        self.seed = seed
        self.stratifyBy = stratifyBy
        self.outputDirectory = outputDirectory
    }
}

/// What a split wrote.
public struct SplitReport: Sendable, Codable {
    public struct Counts: Sendable, Codable, Equatable {
        public var train = 0
        public var valid = 0
        public var test = 0

        subscript(part: SplitPart) -> Int {
            get { part == .train ? train : part == .valid ? valid : test }
            set {
                switch part {
                case .train: train = newValue
                case .valid: valid = newValue
                case .test: test = newValue
                }
            }
        }
    }

    public var counts: Counts
    /// Files written, by part.
    public var files: [String: String]
    /// Counts per stratum value (only with `stratifyBy`); the missing value is `(missing)`.
    public var strata: [String: Counts]
    /// Examples that repeat an earlier one; each is kept in the same part as its original.
    public var duplicatesKeptTogether: Int
    public var blankLinesDropped: Int
}

/// Splits a chat JSONL file into train / validation / test files, deterministically for a seed.
///
/// Identical examples always land in the same part, so no example is in two parts even when the
/// file holds duplicates. Within a part, examples keep their order in the input. Two passes over
/// the file; memory holds 12 bytes per example, never the examples themselves.
///
/// ```swift
/// let report = try DatasetSplitter.split(path: "data.jsonl", options: SplitOptions(validFraction: 0.1, testFraction: 0.1))
/// ```
public enum DatasetSplitter {
    /// The file a part is written to.
    public static func outputPath(for part: SplitPart, input: String, directory: String?) -> String {
        let name = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent + "_" + part.rawValue + ".jsonl"
        let folder = directory ?? (input as NSString).deletingLastPathComponent
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    /// Splits `path` as `options` say.
    /// - Parameter progress: called now and then with (bytes done, bytes in all) over both passes.
    /// - Throws: `DatasetError` when the file cannot be read, the fractions leave no training data,
    ///   or an output cannot be written (in which case no output file is left behind).
    public static func split(path: String, options: SplitOptions,
                             progress: ((Int, Int?) -> Void)? = nil) throws(DatasetError) -> SplitReport {
        guard options.validFraction >= 0, options.testFraction >= 0,
              options.validFraction + options.testFraction < 1 else {
            throw .invalidArgument("--valid and --test must be fractions between 0 and 1 that leave room for training data (got \(options.validFraction) and \(options.testFraction))")
        }
        let examples = try readExamples(path: path, stratifyBy: options.stratifyBy) { done, total in
            progress?(done, total.map { 2 * $0 })
        }
        let assignment = try assign(examples, options: options)

        var parts: [SplitPart] = [.train, .valid]
        if options.testFraction > 0 { parts.append(.test) }
        var files: [String: String] = [:]
        var writers: [SplitPart: AtomicFileWriter] = [:]
        let inputPath = URL(fileURLWithPath: path).standardizedFileURL.path
        for part in parts {
            let output = outputPath(for: part, input: path, directory: options.outputDirectory)
            if URL(fileURLWithPath: output).standardizedFileURL.path == inputPath {
                throw .invalidArgument("the \(part.rawValue) file would overwrite the input \(path); rename the input or pass --output-dir")
            }
            writers[part] = try AtomicFileWriter(path: output)
            files[part.rawValue] = output
        }

        // Second pass: copy each line, byte for byte, to its part.
        var index = 0
        let reader = try LineReader(path: path)
        try reader.forEachLine { (line, number) throws(DatasetError) in
            if number & 0x3FFF == 0 { progress?(reader.bytesRead + (reader.fileSize ?? 0), reader.fileSize.map { 2 * $0 }) }
            guard !isBlankLine(line) else { return }
            guard index < assignment.parts.count else {
                throw DatasetError.invalidInput(path: path, line: nil, message: "the file changed while it was being split; run split again")
            }
            let writer = writers[assignment.parts[index]] ?? writers[.train]
            try writer?.write(line)
            try writer?.write(CollectionOfOne(UInt8(ascii: "\n")))
            index += 1
        }
        guard index == assignment.parts.count else {
            throw .invalidInput(path: path, line: nil, message: "the file changed while it was being split; run split again")
        }
        for part in parts { try writers[part]?.commit() }

        return SplitReport(counts: assignment.counts, files: files, strata: assignment.strata,
                           duplicatesKeptTogether: examples.duplicates, blankLinesDropped: examples.blankLines)
    }
}
