import Foundation

/// Why an SVG has no PNG copy.
public enum RasterizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `rsvg-convert` is not on PATH.
    case toolMissing
    /// `rsvg-convert` could not be started or failed on this file.
    case failed(svg: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case .toolMissing:
            "no PNG copies: rsvg-convert is not on PATH; install librsvg2-bin (Debian, Ubuntu) or librsvg (Homebrew) for them"
        case .failed(let svg, let status, let message):
            "\(svg): rsvg-convert failed (exit status \(status))\(message.isEmpty ? "" : ": \(message)"); the SVG itself is unchanged"
        }
    }
}

/// PNG copies of the charts, for places that do not show SVG, made by librsvg's `rsvg-convert`
/// when it is installed. Optional by design: it returns a reason instead of throwing, so a missing
/// tool never stops the work that made the chart.
///
/// ```swift
/// if case .failure(let reason) = SVGRasterizer.png(svg: chart, to: chart.deletingPathExtension().appendingPathExtension("png")) {
///     warn(reason.description)
/// }
/// ```
public enum SVGRasterizer {
    /// The path of `rsvg-convert` on `PATH`, nil when it is not there.
    public static func toolPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("rsvg-convert").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Renders `svg` to `png` at the SVG's own size (`rsvg-convert -o PNG SVG`).
    /// - Returns: `png` once written, else why not (the tool is missing, or it failed: its exit
    ///   status and message). A half-written PNG is removed.
    public static func png(svg: URL, to png: URL) -> Result<URL, RasterizeError> {
        guard let tool = toolPath() else { return .failure(.toolMissing) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-o", png.path, svg.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(.failed(svg: svg.path, status: -1, message: "could not start \(tool): \(error.localizedDescription)"))
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: png.path) else {
            try? FileManager.default.removeItem(at: png)
            return .failure(.failed(svg: svg.path, status: process.terminationStatus,
                                    message: message.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return .success(png)
    }
}
