import Charts
import Foundation

/// `finetune report`: the experiment document of the template `001_…txt`, filled from a run record
/// and its evaluation, as Markdown (`report.md`, charts linked as files beside it) and as one
/// self-contained HTML file (`report.html`, charts inline).
///
/// ```swift
/// let input = ReportInput(run: record, runFile: recordURL, evaluation: evaluation, compute: "this machine: …")
/// let files = try ExperimentReport.write(input, to: runsDirectory.appendingPathComponent("reports/\(record.name)"))
/// ```
public enum ExperimentReport {
    /// The document, built once for both renderings.
    public static func document(_ input: ReportInput) -> ReportDocument {
        ReportDocument(title: ReportSections.title, blocks: ReportSections.blocks(input))
    }

    /// GitHub Markdown; charts are linked by file name (`write` puts them beside the report).
    public static func markdown(_ input: ReportInput) -> String {
        MarkdownRenderer.render(document(input))
    }

    /// One HTML file with inline CSS and the charts' SVG inline: no scripts, no external URLs.
    public static func html(_ input: ReportInput) -> String {
        HTMLRenderer.render(document(input))
    }

    /// Writes `report.md`, `report.html` and each chart's SVG (and a PNG copy where rsvg-convert is
    /// installed) into `folder`, creating it; each file is written to a temporary name and renamed,
    /// so a reader never sees half a file.
    /// - Returns: the files written, the charts first.
    /// - Throws: `ReportError` naming the file that could not be written.
    public static func write(_ input: ReportInput, to folder: URL) throws(ReportError) -> [URL] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .write(path: folder.path, reason: error.localizedDescription)
        }
        var written: [URL] = []
        for chart in ReportSections.charts(input) {
            let name = (chart.fileName as NSString).lastPathComponent   // beside the report, never elsewhere
            let svg = folder.appendingPathComponent(name)
            try writeAtomically(Data(chart.svg.utf8), to: svg)
            written.append(svg)
            let png = svg.deletingPathExtension().appendingPathExtension("png")
            let partial = folder.appendingPathComponent(".\(png.lastPathComponent).partial")
            // Best effort: without rsvg-convert the SVG is the chart (SVGRasterizer.toolPath() says why).
            if case .success = SVGRasterizer.png(svg: svg, to: partial) {
                if rename(partial.path, png.path) == 0 { written.append(png) } else { try? FileManager.default.removeItem(at: partial) }
            }
        }
        let markdown = folder.appendingPathComponent("report.md"), html = folder.appendingPathComponent("report.html")
        let document = document(input)
        try writeAtomically(Data(MarkdownRenderer.render(document).utf8), to: markdown)
        try writeAtomically(Data(HTMLRenderer.render(document).utf8), to: html)
        return written + [markdown, html]
    }

    private static func writeAtomically(_ data: Data, to url: URL) throws(ReportError) {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw .write(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// Why the report could not be written.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    case write(path: String, reason: String)

    public var description: String {
        switch self {
        case .write(let path, let reason):
            "\(path): the report could not be written (\(reason)); check that the folder exists and is writable, or pass another --output"
        }
    }
}
