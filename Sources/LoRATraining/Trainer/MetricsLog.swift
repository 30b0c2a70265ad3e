import Foundation

/// `metrics.jsonl` of a run: one JSON object per line (steps and validations), flushed after each
/// line so `tail -f` and other processes see progress as it happens.
final class MetricsLog {
    let url: URL
    private let handle: FileHandle

    /// Opens the log, keeping only lines up to `step` (a resumed run rewrites what came after).
    init(url: URL, keepThrough step: Int) throws(TrainingError) {
        self.url = url
        let fm = FileManager.default
        do {
            var kept = Data()
            if step > 0, let existing = try? String(contentsOf: url, encoding: .utf8) {
                for line in existing.split(separator: "\n") {
                    guard let data = line.data(using: .utf8),
                          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                          let lineStep = object["step"] as? Int, lineStep <= step else { continue }
                    kept.append(data)
                    kept.append(0x0A)
                }
            }
            try kept.write(to: url, options: .atomic)
            if !fm.fileExists(atPath: url.path) { _ = fm.createFile(atPath: url.path, contents: nil) }
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw .io(path: url.path, message: "can't write the metrics log: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    func append<T: Encodable>(_ record: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(record) else { return }
        data.append(0x0A)
        try? handle.write(contentsOf: data)   // metrics are best effort: a full disk stops checkpoints, not training
    }
}
