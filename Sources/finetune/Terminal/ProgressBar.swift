import Foundation

/// A one-line progress bar with throughput and ETA on standard error, drawn only when standard
/// error is a terminal (so logs and pipes stay clean) and at most ten times a second.
///
///     validating train.jsonl [██████████░░░░░░░░░░]  52%  532/1024 MB  412 MB/s  ETA 1s
final class ProgressBar {
    /// What `update` counts: bytes, records, or other things named by a plural noun (`tensors`).
    enum Unit { case bytes, records, items(String) }

    private let label: String
    private let unit: Unit
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drew = false

    init(label: String, unit: Unit = .bytes) {
        self.label = label
        self.unit = unit
        enabled = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["FINETUNE_NO_PROGRESS"] == nil
    }

    /// Reports `done` units out of `total` (nil when unknown).
    func update(_ done: Int, _ total: Int?) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        var line = "\(label) "
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 20
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
            line += String(format: " %3d%%  %@", Int(fraction * 100), amounts(done, of: total))
            let remaining = rate > 0 ? Double(total - done) / rate : 0
            line += String(format: "  %@/s  ETA %@", amount(Int(rate)), Self.duration(remaining))
        } else {
            line += String(format: "%@  %@/s", amount(done), amount(Int(rate)))
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drew = true
    }

    /// Removes the bar.
    func finish() {
        guard drew else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drew = false
    }

    /// `532/1024 MB`, `45/272 tensors`.
    private func amounts(_ done: Int, of total: Int) -> String {
        if case .items(let noun) = unit { return "\(done.grouped)/\(total.grouped) \(noun)" }
        return "\(amount(done))/\(amount(total))"
    }

    private func amount(_ count: Int) -> String {
        switch unit {
        case .bytes: Self.megabytes(count)
        case .records: "\(count.grouped) records"
        case .items(let noun): "\(count.grouped) \(noun)"
        }
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MB" : String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
