import Foundation
import Testing
@testable import ChatDataset

/// Files under `Fixtures/prepare/`, found next to this source file, and scratch directories.
enum PrepareFixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/prepare/\(name)").path
    }

    static func scratchDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("prepare-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func lines(of path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}

@Suite("prepare turns records into chat JSONL")
struct PrepareTests {
    let priceTemplate: ChatTemplate

    init() throws {
        priceTemplate = try ChatTemplate(yamlFile: PrepareFixtures.path("price.yaml"))
    }

    func preparer(_ template: ChatTemplate? = nil, filters: [String] = [], limit: Int? = nil, seed: UInt64? = nil,
                  allowEmpty: Bool = false, format: RecordFormat? = nil) throws -> DatasetPreparer {
        DatasetPreparer(options: PrepareOptions(
            mode: .template(template ?? priceTemplate), format: format,
            filters: try filters.map { try RecordFilter(parsing: $0) },
            limit: limit, shuffleSeed: seed, allowEmpty: allowEmpty))
    }

    @Test("a CSV with quoted commas, line breaks, doubled quotes, CRLF and a BOM gives these exact lines")
    func csvToJSONL() throws {
        let output = try PrepareFixtures.scratchDirectory() + "/train.jsonl"
        let report = try preparer().run(input: PrepareFixtures.path("items.csv"), output: output)
        let system = #"{"role":"system","content":"You estimate prices of items, reply only with the price, no explanation."}"#
        #expect(try PrepareFixtures.lines(of: output) == [
            #"{"messages":[\#(system),{"role":"user","content":"How much does this cost?\nUSB-C cable, 2 m\nBraided.\nFits \"all\" phones"},{"role":"assistant","content":"Price is $12.50"}]}"#,
            #"{"messages":[\#(system),{"role":"user","content":"How much does this cost?\nDesk lamp\nLED lamp"},{"role":"assistant","content":"Price is $30.00"}]}"#,
            #"{"messages":[\#(system),{"role":"user","content":"How much does this cost?\nTea, green\nLoose leaf"},{"role":"assistant","content":"Price is $5.00"}]}"#,
        ])
        #expect(try String(contentsOfFile: output, encoding: .utf8).hasSuffix("}]}\n"))
        #expect(report.recordsRead == 5)
        #expect(report.examplesWritten == 3)
        #expect(report.skips == [
            PrepareReport.Skip(reason: .emptyValue("description"), count: 1, firstLines: [5]),
            PrepareReport.Skip(reason: .missingField("price"), count: 1, firstLines: [6]),
        ])
    }

    @Test("every output line parses back into the rendered example")
    func roundTrip() throws {
        let output = try PrepareFixtures.scratchDirectory() + "/train.jsonl"
        let input = PrepareFixtures.path("items.csv")
        _ = try preparer().run(input: input, output: output)
        let (examples, _) = try preparer().prepare(try RecordSource.load(path: input), inputPath: input)
        let decoded = try PrepareFixtures.lines(of: output).map { line in
            try ChatExample(json: try JSONValue(parsing: line))
        }
        #expect(decoded == examples)
        #expect(decoded.first?.messages.map(\.role) == [.system, .user, .assistant])
    }

    @Test("--where filters are ANDed and every skip is counted with its lines")
    func filters() throws {
        let input = PrepareFixtures.path("items.csv")
        let (examples, report) = try preparer(filters: ["price > 10", "title ~ LAMP"])
            .prepare(try RecordSource.load(path: input), inputPath: input)
        #expect(examples.map { $0.messages[2].content } == ["Price is $30.00"])
        #expect(report.skips == [
            PrepareReport.Skip(reason: .filteredOut(expression: "title ~ LAMP"), count: 1, firstLines: [2]),
            PrepareReport.Skip(reason: .filteredOut(expression: "price > 10"), count: 2, firstLines: [5, 7]),
            PrepareReport.Skip(reason: .filterFieldMissing(field: "price", expression: "price > 10"), count: 1, firstLines: [6]),
        ])
        #expect(report.recordsSkipped == 4)
    }

    @Test("--allow-empty renders empty values instead of skipping the record")
    func allowEmpty() throws {
        let input = PrepareFixtures.path("items.csv")
        let (examples, report) = try preparer(allowEmpty: true).prepare(try RecordSource.load(path: input), inputPath: input)
        #expect(examples.count == 4)
        #expect(examples[2].messages[1].content == "How much does this cost?\nMystery box\n")
        #expect(report.count(of: .missingField("price")) == 1)
        #expect(report.count(of: .emptyValue("description")) == 0)
    }

    @Test("a template field that is not a CSV column fails before anything is written")
    func unknownColumn() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let output = directory + "/train.jsonl"
        try PrepareFixtures.write("old\n", to: output)
        let input = PrepareFixtures.path("items.csv")
        let template = try ChatTemplate(systemFlag: nil, userFlag: "{{titel}}", assistantFlag: "{{price}}")
        let error = #expect(throws: DatasetError.self) { try preparer(template).run(input: input, output: output) }
        #expect(error == .invalidArgument("template field 'titel' is not a column of \(input); columns are: title, description, price. Did you mean 'title'?"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["train.jsonl"])
    }

    @Test("a JSON array and JSON Lines give the same examples from nested paths, with their lines",
          arguments: [("items.json", [7]), ("items.jsonl", [4])])
    func jsonInputs(name: String, skippedLines: [Int]) throws {
        let input = PrepareFixtures.path(name)
        let set = try RecordSource.load(path: input)
        let template = try ChatTemplate(systemFlag: nil, userFlag: "{{item.title}}", assistantFlag: "{{price:.2f}}")
        let (examples, report) = try preparer(template).prepare(set, inputPath: input)
        #expect(examples.map(\.jsonLine) == [
            #"{"messages":[{"role":"user","content":"Desk lamp"},{"role":"assistant","content":"30.00"}]}"#,
            #"{"messages":[{"role":"user","content":"Kettle"},{"role":"assistant","content":"24.50"}]}"#,
        ])
        #expect(report.skips == [PrepareReport.Skip(reason: .missingField("price"), count: 1, firstLines: skippedLines)])
        #expect(set.records.map(\.line) == (name == "items.json" ? [2, 3, 7] : [1, 3, 4]))
    }

    @Test("JSON syntax errors and non-object records name line and column")
    func jsonErrors() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let cases: [(String, String, Int?, String)] = [
            ("empty.json", " \n\n", nil, "the file is empty; expected a JSON array of objects"),
            ("bad.json", "[\n  {\"a\": 1},\n  {\"a\": 2,,}\n]\n", 3, "invalid JSON at column 11: "),
            ("scalar.json", "[{\"a\": 1},\n \"x\"]\n", 2, "element 2 of the array is a string; expected an object per record"),
            ("object.json", "{\"a\": 1}\n", 1, "the file holds an object; expected an array of objects"),
            ("lines.json", "{\"a\": 1}\n{\"a\": 2}\n", 2, "invalid JSON at column 1: unexpected"),
            ("cut.json", "[{\"a\": 1},\n", 2, "invalid JSON at column 1: the file ends inside a JSON value; it may be truncated"),
            ("bad.jsonl", "{\"a\": 1}\n\n{\"a\": }\n", 3, "invalid JSON at column 7: "),
            ("array.jsonl", "{\"a\": 1}\n[1, 2]\n", 2, "the line holds an array; expected one JSON object per line"),
        ]
        for (name, text, line, prefix) in cases {
            let path = directory + "/" + name
            try PrepareFixtures.write(text, to: path)
            let error = #expect(throws: DatasetError.self, "\(name)") { try RecordSource.load(path: path) }
            guard case .invalidInput(path, line, let message)? = error else {
                Issue.record("\(name): expected invalidInput at line \(String(describing: line)), got \(String(describing: error))")
                continue
            }
            #expect(message.hasPrefix(prefix), "\(name): \(message)")
        }
        let hint = #expect(throws: DatasetError.self) { try RecordSource.load(path: directory + "/lines.json") }
        #expect(hint?.description.hasSuffix("if the file holds one JSON object per line, use --format jsonl") == true)
    }

    @Test("prompt-completion records become trimmed user and assistant messages; bad records are counted")
    func promptCompletion() throws {
        let input = PrepareFixtures.path("legacy.jsonl")
        let output = try PrepareFixtures.scratchDirectory() + "/chat.jsonl"
        let preparer = DatasetPreparer(options: PrepareOptions(mode: .promptCompletion(system: "Translate.")))
        let report = try preparer.run(input: input, output: output)
        #expect(try PrepareFixtures.lines(of: output) == [
            #"{"messages":[{"role":"system","content":"Translate."},{"role":"user","content":"Translate to French: cat\n\n###"},{"role":"assistant","content":"chat"}]}"#,
            #"{"messages":[{"role":"system","content":"Translate."},{"role":"user","content":"Translate to French: dog"},{"role":"assistant","content":"chien END"}]}"#,
        ])
        #expect(report.skips == [
            PrepareReport.Skip(reason: .invalidPromptCompletion("no 'completion' key"), count: 1, firstLines: [3]),
            PrepareReport.Skip(reason: .invalidPromptCompletion("'prompt' is a number, expected a string"), count: 1, firstLines: [4]),
            PrepareReport.Skip(reason: .emptyValue("completion"), count: 1, firstLines: [5]),
        ])
    }

    @Test("--limit keeps the first N; with --shuffle the same seed gives the same sample and another seed another")
    func limitAndShuffle() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let input = directory + "/numbers.jsonl"
        try PrepareFixtures.write((1...50).map { "{\"n\": \($0)}\n" }.joined(), to: input)
        let template = try ChatTemplate(systemFlag: nil, userFlag: "{{n}}", assistantFlag: "{{n}}")
        func run(_ name: String, limit: Int?, seed: UInt64?) throws -> (lines: [String], report: PrepareReport) {
            let output = directory + "/" + name
            let report = try preparer(template, limit: limit, seed: seed).run(input: input, output: output)
            return (try PrepareFixtures.lines(of: output), report)
        }
        let firstTen = try run("first.jsonl", limit: 10, seed: nil)
        #expect(firstTen.lines.map { try? ChatExample(json: JSONValue(parsing: $0)).messages[0].content } == (1...10).map { String($0) })
        #expect(firstTen.report.leftOutByLimit == 40)
        #expect(firstTen.report.examplesWritten == 10)

        let a = try run("a.jsonl", limit: 10, seed: 42)
        let b = try run("b.jsonl", limit: 10, seed: 42)
        let c = try run("c.jsonl", limit: 10, seed: 7)
        #expect(a.lines == b.lines)
        #expect(a.lines != c.lines)
        #expect(Set(a.lines).count == 10)
        #expect(a.lines != firstTen.lines)

        let all = try run("all.jsonl", limit: nil, seed: 42)
        #expect(Array(all.lines.prefix(10)) == a.lines, "limit takes the first N of the shuffled order")
        #expect(Set(all.lines).count == 50)
    }

    @Test("writing the output over the input is refused, however the path is spelled")
    func outputIsInput() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let input = directory + "/items.csv"
        try FileManager.default.copyItem(atPath: PrepareFixtures.path("items.csv"), toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        for output in [input, directory + "/./items.csv"] {
            let error = #expect(throws: DatasetError.self) { try preparer().run(input: input, output: output) }
            #expect(error == .invalidArgument("the output \(output) is the input file; write the examples to another file (prepare never modifies its input)"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
    }

    @Test("a missing input file cannot be read")
    func missingInput() throws {
        let output = try PrepareFixtures.scratchDirectory() + "/train.jsonl"
        let error = #expect(throws: DatasetError.self) { try preparer().run(input: "/nonexistent/items.csv", output: output) }
        #expect(error == .cannotRead(path: "/nonexistent/items.csv", reason: "no such file; check the path"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("when no record gives an example the run fails with the reasons and writes nothing")
    func nothingToWrite() throws {
        let input = PrepareFixtures.path("items.jsonl")
        let output = try PrepareFixtures.scratchDirectory() + "/train.jsonl"
        let template = try ChatTemplate(systemFlag: nil, userFlag: "{{nope}}", assistantFlag: "x")
        let error = #expect(throws: DatasetError.self) { try preparer(template).run(input: input, output: output) }
        #expect(error == .invalidInput(path: input, line: nil, message: "none of the 3 records produced an example: 3 missing field 'nope' (first at line 1); nothing was written to \(output)"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("the format comes from the extension unless given")
    func formats() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let input = directory + "/records.txt"
        try FileManager.default.copyItem(atPath: PrepareFixtures.path("items.jsonl"), toPath: input)
        let error = #expect(throws: DatasetError.self) { try RecordSource.load(path: input) }
        #expect(error == .invalidArgument("cannot tell the format of \(input) from its extension (expected .csv, .json, .jsonl or .ndjson); pass --format csv, json or jsonl"))
        #expect(try RecordSource.load(path: input, format: .jsonl).records.count == 3)
        #expect(try RecordFormat(inferringFrom: "a/b.NDJSON") == .jsonl)
    }

    @Test("progress reports the records processed")
    func progress() throws {
        let input = PrepareFixtures.path("items.csv")
        var seen: [Int] = []
        _ = try preparer().prepare(try RecordSource.load(path: input), inputPath: input) { seen.append($0) }
        #expect(seen == [5])
    }
}
