/// The split applied to text before byte-level BPE: a regular expression that cuts text into words
/// (letters with their leading space, runs of digits, punctuation, whitespace), so merges never
/// cross a word boundary. GGUF names the pattern in `tokenizer.ggml.pre`.
///
/// The patterns, as Hugging Face `tokenizers` writes them (matched on Unicode scalars, alternatives
/// tried in order at each position):
///
/// - ``gpt2``: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
///   (the ByteLevel pre-tokenizer's own regex; openai/gpt-2 src/encoder.py).
/// - ``llama3``: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
///   ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` (Meta's Llama 3 tokenizer).
/// - ``qwen2``: the Llama 3 pattern with single digits (`\p{N}` instead of `\p{N}{1,3}`).
///
/// The names map to patterns as transformers' GGUF loader maps them (the reference these
/// tokenizers are tested against). Any name it does not list — "smollm" among them — gets the
/// GPT-2 pattern there. llama.cpp instead splits digits one by one for "smollm" (as SmolLM's own
/// `tokenizer.json` does); this implementation follows the reference and says so here.
/// Names outside the table are an error rather than a silent fallback.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case llama3
    case qwen2

    /// `tokenizer.ggml.pre` values and the pattern each stands for.
    static let patternsByName: [String: PreTokenizer] = {
        var table: [String: PreTokenizer] = ["gpt2": .gpt2, "gpt-2": .gpt2, "default": .gpt2, "smollm": .gpt2]
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                     "dbrx", "smaug-bpe"] {
            table[name] = .llama3
        }
        for name in ["qwen2", "deepseek-r1-qwen", "megrez"] {
            table[name] = .qwen2
        }
        return table
    }()

    /// The names `init(ggufName:)` accepts, sorted.
    public static var supportedNames: [String] { patternsByName.keys.sorted() }

    /// The pattern a `tokenizer.ggml.pre` value names. A file without the key gets ``gpt2``, as in
    /// the reference.
    ///
    /// - Throws: `TokenizationError.unsupportedPreTokenizer` for a name not in ``supportedNames``.
    public init(ggufName name: String?, source: String = "tokenizer built in code") throws(TokenizationError) {
        guard let name else {
            self = .gpt2
            return
        }
        guard let pattern = Self.patternsByName[name] else {
            throw .unsupportedPreTokenizer(name, source: source)
        }
        self = pattern
    }

    /// Cuts UTF-8 text into words.
    ///
    /// - Parameters:
    ///   - text: Valid UTF-8 (as a Swift `String` holds it).
    ///   - scratch: Buffers reused between calls.
    ///   - body: Called with each word's byte range within `text`, in order; the ranges cover `text`.
    func split(_ text: UnsafeBufferPointer<UInt8>, scratch: inout ScalarBuffer, _ body: (Range<Int>) -> Void) {
        scratch.load(text)
        let count = scratch.count
        var start = 0
        while start < count {
            let length = switch self {
            case .gpt2: scratch.gpt2Match(at: start)
            case .llama3: scratch.llamaMatch(at: start, maxDigits: 3)
            case .qwen2: scratch.llamaMatch(at: start, maxDigits: 1)
            }
            // Every pattern matches at least one scalar at every position; max() keeps the loop finite.
            let end = start + max(length, 1)
            body(scratch.byteOffset(start)..<scratch.byteOffset(end))
            start = end
        }
    }

    /// The words of a string, for tests and diagnostics.
    public func words(of text: String) -> [String] {
        var words: [String] = []
        var scratch = ScalarBuffer()
        var copy = text
        copy.withUTF8 { buffer in
            split(buffer, scratch: &scratch) { range in
                words.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self))
            }
        }
        return words
    }
}
