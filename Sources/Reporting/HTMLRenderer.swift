import Charts
import Foundation

/// The document as one self-contained HTML file: inline CSS, the charts' SVG inline, no scripts,
/// no external URLs, every text escaped; it prints cleanly.
enum HTMLRenderer {
    static func render(_ document: ReportDocument) -> String {
        var body = "<h1>\(escape(document.title))</h1>\n"
        for block in document.blocks { body += render(block) }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(document.title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    static let style = """
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; line-height: 1.5; margin: 0; background: #fff; }
    main { max-width: 940px; margin: 0 auto; padding: 24px 32px 64px; }
    h1 { font-size: 1.9em; border-bottom: 2px solid #ddd; padding-bottom: 0.3em; }
    h2 { font-size: 1.45em; border-bottom: 1px solid #e5e5e5; padding-bottom: 0.2em; margin-top: 1.8em; }
    h3 { font-size: 1.15em; margin-top: 1.4em; }
    code { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; background: #f3f3f3; padding: 0.1em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
    pre { background: #f6f8fa; border: 1px solid #e5e5e5; border-radius: 4px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
    pre code { background: none; padding: 0; }
    table { border-collapse: collapse; margin: 1em 0; }
    th, td { border: 1px solid #d0d0d0; padding: 6px 12px; text-align: right; }
    th:first-child, td:first-child { text-align: left; }
    th { background: #f3f3f3; }
    .prompt { border-left: 4px solid #e3b341; background: #fff8e1; padding: 8px 14px; margin: 0.6em 0; }
    .prompt p { margin: 0.2em 0; }
    .prompt ul { margin: 0.2em 0; }
    .placeholder { background: #fff8e1; font-style: italic; }
    figure { margin: 1.2em 0; }
    figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
    @media print {
      main { max-width: none; padding: 0; }
      h2, h3 { break-after: avoid; }
      figure, table, pre, .prompt { break-inside: avoid; }
      pre { white-space: pre-wrap; }
    }
    """

    private static func render(_ block: ReportBlock) -> String {
        switch block {
        case .heading(let level, let text):
            let level = max(1, min(6, level))
            return "<h\(level)>\(escape(text))</h\(level)>\n"
        case .paragraph(let inlines):
            return "<p>\(inline(inlines))</p>\n"
        case .list(let ordered, let items):
            let tag = ordered ? "ol" : "ul"
            var out = "<\(tag)>\n"
            for item in items {
                out += "<li>" + inline(item.text)
                if !item.blocks.isEmpty { out += "\n" + item.blocks.map(render).joined() }
                out += "</li>\n"
            }
            return out + "</\(tag)>\n"
        case .table(let header, let rows):
            var out = "<table>\n<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in rows { out += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
            return out + "</tbody>\n</table>\n"
        case .code(let text):
            return "<pre><code>\(escape(text))</code></pre>\n"
        case .figure(let chart):
            return "<figure>\n\(inlineSVG(chart.svg))<figcaption>\(escape(chart.title)) (<code>\(escape(chart.fileName))</code>)</figcaption>\n</figure>\n"
        case .prompt(let prompt):
            var out = "<!-- ✍️ replace this box with your own words -->\n<div class=\"prompt\">\n<p>✍️ <strong>Replace this:</strong> \(escape(prompt.instruction))</p>\n"
            if !prompt.hints.isEmpty {
                out += "<p>Hints from the numbers:</p>\n<ul>\n" + prompt.hints.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
            }
            return out + "</div>\n"
        }
    }

    private static func inline(_ inlines: [ReportInline]) -> String {
        inlines.map { part in
            switch part {
            case .text(let text): escape(text)
            case .strong(let text): "<strong>\(escape(text))</strong>"
            case .emphasis(let text): "<em>\(escape(text))</em>"
            case .code(let text): "<code>\(escape(text))</code>"
            case .placeholder(let text): "<span class=\"placeholder\">\(escape(text))</span>"
            }
        }.joined()
    }

    /// An SVG document made fit to sit inside HTML: without its XML declaration and its namespace
    /// attribute (HTML gives inline `<svg>` the SVG namespace itself), and with any `<script>` element
    /// or `on…=` handler attribute removed: the charts have none, so this only guards the promise
    /// that the page runs no code.
    static func inlineSVG(_ svg: String) -> String {
        var text = svg
        if text.hasPrefix("<?xml"), let end = text.range(of: "?>") {
            text = String(text[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        }
        text = text.replacingOccurrences(of: " xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        text = text.replacingOccurrences(of: #"<script\b[\s\S]*?</script\s*>"#, with: "", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: #"<script\b[^>]*>"#, with: "", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: #"\son[a-z]+\s*=\s*("[^"]*"|'[^']*')"#, with: "", options: [.regularExpression, .caseInsensitive])
        return text
    }

    /// `&`, `<`, `>`, `"` and `'` as entities (the charts' escaping: valid in HTML as in XML).
    static func escape(_ text: String) -> String {
        SVG.escape(text)
    }
}
