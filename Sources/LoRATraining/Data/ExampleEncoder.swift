import ChatDataset
import LanguageModel
import Tokenization

/// A chat example as the model sees it: token ids and which tokens carry loss.
public struct EncodedExample: Sendable, Equatable {
    /// [n] token ids of the rendered conversation.
    public var tokens: [Int32]
    /// [n] whether predicting the token is trained.
    public var trained: [Bool]
    /// Whether the example was cut to the maximum sequence length.
    public var truncated: Bool

    public var trainedCount: Int { trained.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// Renders chat examples with the model's chat template and marks the trained tokens.
///
/// The rule (the same in `scripts/reference/make_lora_fixtures.py`): for each assistant message
/// with weight ≠ 0, the trained bytes run from the end of the template's rendering of the
/// messages before it with the generation prompt (so the assistant header is context) to the end
/// of the rendering including it, cut back to the end of the last end-of-turn marker inside
/// (`<|im_end|>` is trained: the model learns to stop; the newline after it is not). A token is
/// trained when all its bytes lie inside such a span. With `trainOnInputs` every token is trained
/// except those of assistant messages with weight 0.
public struct ExampleEncoder: Sendable {
    public let formatter: ChatFormatter
    public let maxLength: Int
    public let trainOnInputs: Bool

    public init(formatter: ChatFormatter, maxLength: Int, trainOnInputs: Bool = false) {
        self.formatter = formatter
        self.maxLength = maxLength
        self.trainOnInputs = trainOnInputs
    }

    /// - Throws: `TrainingError.template` when the template fails or renders a conversation's
    ///   beginning differently from the conversation (so trained spans can't be found).
    public func encode(_ example: ChatExample, line: Int = 0) throws(TrainingError) -> EncodedExample {
        let messages = example.messages
        let full: [UInt8]
        do { full = Array(try formatter.render(messages, addGenerationPrompt: false).utf8) } catch {
            throw .template(line: line, message: error.description)
        }
        var spans: [(start: Int, end: Int, trained: Bool)] = []
        for (index, message) in messages.enumerated() where message.role == .assistant {
            let prefix: [UInt8], upto: [UInt8]
            do {
                prefix = Array(try formatter.render(Array(messages[..<index]), addGenerationPrompt: true).utf8)
                upto = Array(try formatter.render(Array(messages[...index]), addGenerationPrompt: false).utf8)
            } catch {
                throw .template(line: line, message: error.description)
            }
            guard full.starts(with: prefix), full.starts(with: upto), prefix.count <= upto.count else {
                throw .template(line: line, message: "the chat template renders the conversation up to message \(index + 1) "
                                + "differently from the whole conversation, so the assistant's tokens can't be located")
            }
            spans.append((prefix.count, spanEnd(full, start: prefix.count, end: upto.count), message.isTrained))
        }
        let ids = formatter.encode(String(decoding: full, as: UTF8.self))
        var tokens: [Int32] = [], trained: [Bool] = []
        tokens.reserveCapacity(ids.count)
        var offset = 0
        let tokenizer = formatter.tokenizer
        let textStartsWithBOS = tokenizer.bosTokenID.flatMap { tokenizer.piece(for: $0) }.map { full.starts(with: Array($0.utf8)) } ?? false
        for (index, id) in ids.enumerated() {
            var length = tokenizer.isSpecial(id) ? (tokenizer.piece(for: id)?.utf8.count ?? 0) : tokenizer.bytes(for: id).count
            if index == 0, id == tokenizer.bosTokenID, !textStartsWithBOS { length = 0 }   // added by the encoder, not in the text
            let start = offset, end = offset + length
            offset = end
            let inside = spans.first { start >= $0.start && end <= $0.end && length > 0 }
            let isTrained: Bool
            if trainOnInputs {
                isTrained = index > 0 && !(spans.contains { start < $0.end && end > $0.start && !$0.trained })
            } else {
                isTrained = inside?.trained ?? false
            }
            tokens.append(Int32(id))
            trained.append(isTrained)
        }
        let truncated = tokens.count > maxLength
        if truncated {
            tokens.removeLast(tokens.count - maxLength)
            trained.removeLast(trained.count - maxLength)
        }
        return EncodedExample(tokens: tokens, trained: trained, truncated: truncated)
    }

    /// The end of a trained span: just after the last end-of-turn marker in [start, end), or the
    /// end with trailing whitespace removed when there is none.
    private func spanEnd(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        let tokenizer = formatter.tokenizer
        let markers = tokenizer.endOfTurnTokenIDs.compactMap { tokenizer.piece(for: $0) }.map { Array($0.utf8) }.filter { !$0.isEmpty }
        var best: Int?
        for marker in markers where marker.count <= end - start {
            var position = end - marker.count
            while position >= start {
                if bytes[position..<(position + marker.count)].elementsEqual(marker) {
                    best = max(best ?? 0, position + marker.count)
                    break
                }
                position -= 1
            }
        }
        if let best { return best }
        var stop = end
        while stop > start, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[stop - 1]) { stop -= 1 }
        return stop
    }
}
