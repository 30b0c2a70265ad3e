import Foundation

/// The document as GitHub Markdown. Text from the records is escaped (so a prompt holding `<script>`
/// or `*` shows as written); charts are linked as the SVG files written beside the report; the parts
/// a person writes are `> ✍️` blockquotes.
enum MarkdownRenderer {
    static func render(_ document: ReportDocument) -> String {
        var out = "# \(escape(document.title))\n\n"
        for block in document.blocks { out += render(block, indent: "") + "\n" }
        return out
    }

    /// A block, each line prefixed with `indent` (for blocks inside list items); ends with a newline.
    private static func render(_ block: ReportBlock, indent: String) -> String {
        switch block {
        case .heading(let level, let text):
            return indent + String(repeating: "#", count: max(1, min(6, level))) + " " + escape(text) + "\n"
        case .paragraph(let inlines):
            return indent + inline(inlines) + "\n"
        case .list(let ordered, let items):
            var out = ""
            for (index, item) in items.enumerated() {
                let marker = ordered ? "\(index + 1). " : "- "
                let nested = indent + String(repeating: " ", count: marker.count)
                out += indent + marker + inline(item.text) + "\n"
                for child in item.blocks {
                    // A blank line before a nested code block or quote keeps GitHub from running it into the item's text.
                    if case .list = child {} else { out += "\n" }
                    out += render(child, indent: nested)
                }
            }
            return out
        case .table(let header, let rows):
            func line(_ cells: [String]) -> String { indent + "| " + cells.map(cell).joined(separator: " | ") + " |\n" }
            var out = line(header)
            out += indent + "|" + header.indices.map { $0 == 0 ? "---" : "--:" }.map { "\($0)|" }.joined() + "\n"
            for row in rows { out += line(row) }
            return out
        case .code(let text):
            let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: text) + 1))
            return ([fence] + text.components(separatedBy: "\n") + [fence]).map { indent + $0 }.joined(separator: "\n") + "\n"
        case .figure(let chart):
            return indent + "![\(escape(chart.title))](\(chart.fileName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? chart.fileName))\n"
        case .prompt(let prompt):
            var lines = ["> ✍️ **Replace this:** " + escape(prompt.instruction)]
            if !prompt.hints.isEmpty {
                lines += [">", "> Hints from the numbers:"] + prompt.hints.map { "> - " + escape($0) }
            }
            return lines.map { indent + $0 }.joined(separator: "\n") + "\n"
        }
    }

    private static func inline(_ inlines: [ReportInline]) -> String {
        inlines.map { part in
            switch part {
            case .text(let text): escape(text)
            case .strong(let text): "**" + escape(text) + "**"
            case .emphasis(let text): "*" + escape(text) + "*"
            case .code(let text): code(text)
            case .placeholder(let text): "*" + escape(text) + "*"
            }
        }.joined()
    }

    /// Inline code that survives backticks inside it (a longer fence, padded with spaces).
    private static func code(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        let fence = String(repeating: "`", count: longestRun(of: "`", in: flat) + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return fence + pad + flat + pad + fence
    }

    /// A table cell: escaped, on one line.
    private static func cell(_ text: String) -> String {
        escape(text.replacingOccurrences(of: "\n", with: " "))
    }

    /// Markdown's punctuation and HTML's `<`, `>`, `&` backslash-escaped; newlines become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "&", "!", "~":
                out.append("\\")
                out.append(character)
            case "\n", "\r":
                out.append(" ")
            default:
                out.append(character)
            }
        }
        return out
    }

    private static func longestRun(of character: Character, in text: String) -> Int {
        var longest = 0, current = 0
        for c in text {
            current = c == character ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}
