import FineTuningProviders
import Foundation

/// Draws a job being followed: status changes and events as lines of their own, and on a terminal a live
/// area under them (a bar with step / total and ETA, the latest training and validation loss, and a small
/// loss chart) redrawn in place. Without a terminal (logs, CI) it prints a metrics line about every 5% of
/// the run and the chart once at the end.
final class JobMonitorView {
    private let live: Bool
    private let color: Bool
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var lastStatus: JobStatus?
    private var estimatedFinish: Date?
    /// Every step's figures so far, and the step rate behind the ETA.
    private var history = MetricsHistory()
    private var printedSteps: Set<Int> = []

    init() {
        let environment = ProcessInfo.processInfo.environment
        live = isatty(STDERR_FILENO) == 1 && environment["FINETUNE_NO_PROGRESS"] == nil
        color = Console.colorOnStandardError
    }

    func handle(_ update: MonitorUpdate) {
        switch update {
        case .snapshot(let job):
            estimatedFinish = job.estimatedFinish
            if job.status != lastStatus {
                let from = lastStatus.map { "\($0.rawValue) → " } ?? ""
                line(Console.paint("status: \(from)\(job.status.rawValue)", job.status == .failed ? .red : .cyan)
                     + (job.providerStatus != job.status.rawValue ? " (\(job.providerStatus))" : ""))
                lastStatus = job.status
            }
            if let error = job.error { line(Console.paint("  error: \(error.message)", .red)) }
        case .event(let event):
            if let point = event.metrics {
                history.record(point)
                if !live, shouldPrint(point) { line("  " + progressText()) }
            } else {
                let paint: (String) -> String = event.level == "error" ? { Console.paint($0, .red) }
                    : event.level == "warn" ? { Console.paint($0, .yellow) } : { $0 }
                line(paint("  \(Self.clock(event.createdAt))  \(event.message)"))
            }
        case .checkpoints(let checkpoints):
            if let newest = checkpoints.first {
                line("  checkpoint at step \(newest.step)" + (newest.model.map { ": \($0)" } ?? newest.path.map { ": \($0)" } ?? ""))
            }
        case .connectionLost(let error, let retryIn, let attempt):
            line(Console.paint("  connection problem (\(attempt)): \(error.description); trying again in \(Self.seconds(retryIn))", .yellow))
        case .reconnected(let outage):
            line(Console.paint("  reconnected after \(Self.seconds(outage)); picking up where it left off", .green))
        }
        redraw()
    }

    /// Removes the live area (before the final report).
    func finish() {
        clearLive()
    }

    /// The chart of everything seen, for the end of the run.
    func finalChart() -> [String] {
        TerminalLossChart.render(train: history.trainSeries, valid: history.validSeries, color: color)
    }

    /// `[████░░░░] step 12/48  25%  loss 1.2345 (valid 1.4567)  ETA 1m20s`
    func progressText() -> String {
        guard let latest = history.latest else { return "" }
        let total = history.totalSteps
        var text = ""
        if let total, total > 0 {
            let fraction = min(1, Double(latest.step) / Double(total))
            let width = 20, filled = Int(fraction * Double(width))
            text += "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
            text += "step \(latest.step)/\(total) \(String(format: "%3d%%", Int(fraction * 100)))"
        } else {
            text += "step \(latest.step)"
        }
        if let loss = history.latestTrainLoss { text += String(format: "  loss %.4f", loss) }
        if let valid = history.latestValidLoss { text += String(format: " (valid %.4f)", valid) }
        // The provider's estimated finish where it gives one, else the step rate seen so far.
        if let finish = estimatedFinish ?? history.eta() { text += "  ETA " + ProgressBar.duration(max(0, finish.timeIntervalSinceNow)) }
        return text
    }

    private func shouldPrint(_ point: MetricPoint) -> Bool {
        guard !printedSteps.contains(point.step) || point.bestValidLoss != nil else { return false }
        let total = point.totalSteps ?? history.totalSteps ?? 0
        let every = max(1, total / 20)
        let due = point.step == 1 || point.step % every == 0 || point.step == total || point.bestValidLoss != nil
        if due { printedSteps.insert(point.step) }
        return due
    }

    private func line(_ text: String) {
        clearLive()
        Console.err(text)
    }

    private func clearLive() {
        guard drawnLines > 0 else { return }
        var text = "\r\u{1B}[K"
        for _ in 1..<drawnLines { text += "\u{1B}[1A\u{1B}[K" }
        FileHandle.standardError.write(Data(text.utf8))
        drawnLines = 0
    }

    private func redraw() {
        guard live, !history.isEmpty else { return }
        let now = Date()
        guard drawnLines == 0 || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        clearLive()
        let width = max(20, min(60, Self.terminalColumns() - 12))
        let lines = [progressText()] + TerminalLossChart.render(train: history.trainSeries, valid: history.validSeries,
                                                                 width: width, height: 6, color: color)
        FileHandle.standardError.write(Data(lines.joined(separator: "\n").utf8))
        drawnLines = lines.count
    }

    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 10 ? String(format: "%.1f s", seconds) : ProgressBar.duration(seconds)
    }
}
