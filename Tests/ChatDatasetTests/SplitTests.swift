import Foundation
import Testing
@testable import ChatDataset

@Suite("split")
struct SplitTests {
    /// Writes `count` distinct examples (with a category) and returns the path.
    static func dataset(count: Int, duplicatesOf: [Int] = []) throws -> String {
        let path = try BadInputTests.scratch("data.jsonl")
        var lines = (0..<count).map { i in
            #"{"messages":[{"role":"user","content":"item \#(i)"},{"role":"assistant","content":"Price is $\#(i)"}],"metadata":{"category":"\#(i % 4 == 0 ? "books" : "toys")"}}"#
        }
        for original in duplicatesOf { lines.append(lines[original]) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("the parts hold every example exactly once, in the requested proportions")
    func partition() throws {
        let path = try Self.dataset(count: 200)
        let report = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.1, testFraction: 0.15, seed: 42))
        #expect(report.counts == .init(train: 150, valid: 20, test: 30))
        let train = try Self.lines(try #require(report.files["train"]))
        let valid = try Self.lines(try #require(report.files["valid"]))
        let test = try Self.lines(try #require(report.files["test"]))
        #expect(train.count == 150 && valid.count == 20 && test.count == 30)
        #expect(Set(train + valid + test) == Set(try Self.lines(path)))
        #expect(Set(train).isDisjoint(with: valid) && Set(train).isDisjoint(with: test) && Set(valid).isDisjoint(with: test))
        #expect(report.files["train"]?.hasSuffix("/data_train.jsonl") == true)
    }

    @Test("the same seed gives the same split; another seed another")
    func determinism() throws {
        let path = try Self.dataset(count: 100)
        let first = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.2, seed: 7))
        let a = try Self.lines(try #require(first.files["valid"]))
        _ = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.2, seed: 7))
        let b = try Self.lines(try #require(first.files["valid"]))
        _ = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.2, seed: 8))
        let c = try Self.lines(try #require(first.files["valid"]))
        #expect(a == b)
        #expect(a != c)
        // The order inside a part follows the input.
        let input = try Self.lines(path)
        #expect(a == input.filter(Set(a).contains))
    }

    @Test("duplicates land in the same part as their original")
    func duplicatesTogether() throws {
        let path = try Self.dataset(count: 50, duplicatesOf: Array(0..<10))
        let report = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.2, testFraction: 0.2, seed: 1))
        #expect(report.duplicatesKeptTogether == 10)
        let parts = try ["train", "valid", "test"].map { Set(try Self.lines(try #require(report.files[$0]))) }
        #expect(parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2]))
        #expect(report.counts.train + report.counts.valid + report.counts.test == 60)
    }

    @Test("stratifying keeps each category's proportions in every part")
    func stratified() throws {
        let path = try Self.dataset(count: 400)
        let report = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.1, testFraction: 0.1, seed: 3, stratifyBy: "metadata.category"))
        #expect(report.strata["books"] == .init(train: 80, valid: 10, test: 10))
        #expect(report.strata["toys"] == .init(train: 240, valid: 30, test: 30))
    }

    @Test("fractions that leave nothing to train on are refused")
    func nothingLeft() throws {
        let path = try Self.dataset(count: 2)
        #expect(throws: DatasetError.self) {
            try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.5, testFraction: 0.5))
        }
        #expect(throws: DatasetError.self) {
            try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.4, testFraction: 0.4))
        }
    }

    @Test("the input file is never modified")
    func inputUntouched() throws {
        let path = try Self.dataset(count: 30)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try DatasetSplitter.split(path: path, options: SplitOptions(validFraction: 0.3, seed: 5))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
