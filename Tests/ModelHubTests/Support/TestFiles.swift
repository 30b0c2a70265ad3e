import Foundation
import GGUF
@testable import ModelHub

/// Temporary folders, tiny GGUF models and real wheels for the tests.
enum TestFiles {
    /// A new empty folder under the system's temporary directory.
    static func scratch(_ label: String = "modelhub") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A tiny llama-like GGUF: `token_embd.weight` [32, 16] Q4_1 (512 elements, 320 bytes) and
    /// `output_norm.weight` [32, 8] F32 (256 elements, 1,024 bytes); 768 parameters in all.
    static func writeTinyModel(to url: URL, fileType: Int? = 3, contextLength: Int = 2048, seed: Float = 0) throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("Tiny Test Model"))
        writer.set("llama.context_length", .uint32(UInt32(contextLength)))
        if let fileType { writer.set("general.file_type", .uint32(UInt32(fileType))) }
        try writer.addTensor(name: "token_embd.weight", shape: [32, 16],
                             values: (0..<512).map { Float($0 % 17) / 8 - 1 + seed }, as: .q4_1)
        try writer.addTensor(name: "output_norm.weight", shape: [32, 8], values: Array(repeating: 1, count: 256), as: .f32)
        try writer.write(to: url)
    }

    /// The lowercase hexadecimal SHA-256 of a file, computed by Python's hashlib (an independent check).
    static func sha256(of url: URL) throws -> String {
        try python(["-c", "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())", url.path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Builds `<dist>-<version>-py3-none-any.whl` in `directory`: a real wheel (deflated zip with
    /// `METADATA`, `WHEEL` and `RECORD`) holding `members` (path in the wheel → file on disk).
    @discardableResult
    static func buildWheel(package: String, version: String, members: [String: URL], in directory: URL) throws -> URL {
        let dist = package.replacingOccurrences(of: "-", with: "_")
        let wheel = directory.appendingPathComponent("\(dist)-\(version)-py3-none-any.whl")
        let script = """
        import base64, hashlib, sys, zipfile
        out, name, dist, version = sys.argv[1:5]
        pairs = sys.argv[5:]
        record = []
        def add(z, path, data):
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        info = f"{dist}-{version}.dist-info"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for member, source in zip(pairs[0::2], pairs[1::2]):
                add(z, member, open(source, "rb").read())
            add(z, f"{info}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n".encode())
            add(z, f"{info}/WHEEL", b"Wheel-Version: 1.0\\nGenerator: finetune-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            record.append(f"{info}/RECORD,,")
            z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
        """
        var arguments = ["-c", script, wheel.path, package, dist, version]
        for (member, source) in members.sorted(by: { $0.key < $1.key }) { arguments += [member, source.path] }
        _ = try python(arguments)
        return wheel
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs python3 and returns its standard output.
    static func python(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "python3 failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The environment for pip in a test: no index, wheels only from `wheels`, no user pip configuration.
    static func pipEnvironment(wheels: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PIP_") { environment[key] = nil }
        environment["PIP_NO_INDEX"] = "1"
        environment["PIP_FIND_LINKS"] = wheels.path
        environment["PIP_CONFIG_FILE"] = "/dev/null"
        environment["PIP_NO_CACHE_DIR"] = "1"
        environment["FINETUNE_PYTHON"] = nil
        return environment
    }

    /// Every file and folder under `url`, relative to it, sorted.
    static func tree(_ url: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.sorted()
    }
}

/// The real SmolLM2 model, when this machine has it (see common setup): `FINETUNE_TEST_MODEL`, else
/// the pulled copy in the finetune home.
enum RealModel {
    static var url: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"], FileManager.default.fileExists(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let pulled = FinetuneHome(environment: environment)
            .modelFile(name: "smollm2-135m-instruct", fileName: "SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: pulled.path) ? pulled : nil
    }
}
