import ChatDataset
import Foundation

/// Reads the examples of a chat JSONL file (one `{"messages": [...]}` object per line; blank lines
/// skipped). Run `DatasetScanner` first for a full report; this only reads what training needs.
public enum ChatExampleFile {
    /// - Throws: `TrainingError.invalidData` naming the file, line and field of the first line that
    ///   can't be read.
    public static func read(_ path: String) throws(TrainingError) -> [ChatExample] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .invalidData(path: path, messages: ["can't be read: \(error.localizedDescription)"])
        }
        var examples: [ChatExample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            do {
                examples.append(try ChatExample(json: try JSONValue(parsing: String(line))))
            } catch let error as DatasetError {
                throw .invalidData(path: path, messages: ["line \(index + 1): \(error.description)"])
            } catch {
                throw .invalidData(path: path, messages: ["line \(index + 1): not valid JSON (\(error)); run `finetune validate \(path)`"])
            }
        }
        return examples
    }
}
