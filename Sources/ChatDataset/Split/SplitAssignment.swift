/// The first pass of a split: which group of identical examples each line belongs to, and each
/// group's stratum.
struct ExampleGroups {
    /// Group of each example, in file order.                        // [examples]
    var groupOfExample: [Int32] = []
    /// Members per group.                                           // [groups]
    var groupSize: [Int32] = []
    /// Stratum of each group (that of its first member).            // [groups]
    var groupStratum: [Int32] = []
    var strataNames: [String] = []
    var duplicates = 0
    var blankLines = 0
}

/// The part each example goes to, and the resulting counts.
struct SplitAssignment {
    var parts: [SplitPart]
    var counts: SplitReport.Counts
    var strata: [String: SplitReport.Counts]
}

extension DatasetSplitter {
    static let missingStratum = "(missing)"

    static func readExamples(path: String, stratifyBy: String?,
                             progress: (Int, Int?) -> Void) throws(DatasetError) -> ExampleGroups {
        var groups = ExampleGroups()
        var groupOfHash: [UInt64: Int32] = [:]
        var stratumOfName: [String: Int32] = [:]
        var analyzer = ExampleAnalyzer(provider: .local)
        var ignored = FindingCollector(limitPerCode: 0)
        let reader = try LineReader(path: path)
        try reader.forEachLine { (line, number) throws(DatasetError) in
            if number & 0x3FFF == 0 { progress(reader.bytesRead, reader.fileSize) }
            guard case .example(let summary) = analyzer.analyze(line: line, number: number, into: &ignored) else {
                groups.blankLines += 1
                return
            }
            var hash = summary.contentHash
            if !summary.isUsable {
                // Lines that are not valid examples are grouped by their exact bytes.
                var hasher = ContentHasher()
                hasher.combine(bytes: line)
                hash = hasher.finalize()
            }
            if let group = groupOfHash[hash] {
                groups.groupOfExample.append(group)
                groups.groupSize[Int(group)] += 1
                groups.duplicates += 1
                return
            }
            let group = Int32(groups.groupSize.count)
            groupOfHash[hash] = group
            groups.groupOfExample.append(group)
            groups.groupSize.append(1)
            let name = stratifyBy.map { stratumName(of: line, path: $0) } ?? ""
            if let stratum = stratumOfName[name] {
                groups.groupStratum.append(stratum)
            } else {
                let stratum = Int32(groups.strataNames.count)
                stratumOfName[name] = stratum
                groups.strataNames.append(name)
                groups.groupStratum.append(stratum)
            }
        }
        if groups.groupOfExample.isEmpty {
            throw .invalidInput(path: path, line: nil, message: "the file holds no examples to split")
        }
        return groups
    }

    private static func stratumName(of line: UnsafeBufferPointer<UInt8>, path: String) -> String {
        guard let value = try? JSONValue(parsing: line) else { return "(invalid JSON)" }
        return value.value(atPath: path)?.textValue ?? missingStratum
    }

    /// Shuffles the groups of each stratum with the seed and fills test, then validation, up to
    /// their share of the stratum; the rest is training data.
    static func assign(_ groups: ExampleGroups, options: SplitOptions) throws(DatasetError) -> SplitAssignment {
        var generator = SeededGenerator(seed: options.seed)
        var groupsOfStratum = [[Int32]](repeating: [], count: groups.strataNames.count)
        var sizeOfStratum = [Int](repeating: 0, count: groups.strataNames.count)
        for group in groups.groupSize.indices {
            let stratum = Int(groups.groupStratum[group])
            groupsOfStratum[stratum].append(Int32(group))
            sizeOfStratum[stratum] += Int(groups.groupSize[group])
        }
        let single = groups.strataNames.count == 1
        var partOfGroup = [SplitPart](repeating: .train, count: groups.groupSize.count)
        var strata: [String: SplitReport.Counts] = [:]
        var total = SplitReport.Counts()
        for (stratum, var members) in groupsOfStratum.enumerated() {
            members.stableShuffle(using: &generator)
            let size = sizeOfStratum[stratum]
            let testTarget = target(options.testFraction, of: size, atLeastOne: single)
            let validTarget = target(options.validFraction, of: size, atLeastOne: single)
            var counts = SplitReport.Counts()
            for group in members {
                let size = Int(groups.groupSize[Int(group)])
                // A group goes to test or validation only while it fits their share (a first group
                // always fits, so a requested part is never empty); the rest trains.
                func fits(_ count: Int, _ target: Int) -> Bool {
                    target > 0 && (count == 0 || count + size <= target)
                }
                let part: SplitPart = fits(counts.test, testTarget) ? .test : fits(counts.valid, validTarget) ? .valid : .train
                partOfGroup[Int(group)] = part
                counts[part] += size
            }
            if !single { strata[groups.strataNames[stratum]] = counts }
            total.train += counts.train
            total.valid += counts.valid
            total.test += counts.test
        }
        let examples = groups.groupOfExample.count
        if total.train == 0 {
            throw .invalidArgument("only \(examples) distinct example\(examples == 1 ? "" : "s"): nothing would be left for training; use smaller --valid/--test fractions or more data")
        }
        return SplitAssignment(parts: groups.groupOfExample.map { partOfGroup[Int($0)] }, counts: total, strata: strata)
    }

    /// Examples a part should get: the rounded share, and at least one when the fraction is not zero
    /// and there is no stratification (a requested validation set is never silently empty).
    private static func target(_ fraction: Double, of size: Int, atLeastOne: Bool) -> Int {
        guard fraction > 0 else { return 0 }
        let share = Int((fraction * Double(size)).rounded())
        return atLeastOne ? max(1, share) : share
    }
}
