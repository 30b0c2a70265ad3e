import Foundation

/// The experiment document as structure, written once and rendered as Markdown and as HTML.
public struct ReportDocument: Sendable, Equatable {
    /// The level-1 heading.
    public var title: String
    public var blocks: [ReportBlock]

    public init(title: String, blocks: [ReportBlock]) {
        self.title = title
        self.blocks = blocks
    }

    /// The headings, in order, with their level (the title is level 1).
    public var headings: [(level: Int, text: String)] {
        [(1, title)] + blocks.compactMap { block in
            if case .heading(let level, let text) = block { return (level, text) }
            return nil
        }
    }
}

/// A block of the document.
public enum ReportBlock: Sendable, Equatable {
    /// A section heading, level 2 or 3.
    case heading(level: Int, text: String)
    case paragraph([ReportInline])
    case list(ordered: Bool, items: [ReportListItem])
    /// A table; every row has as many cells as the header.
    case table(header: [String], rows: [[String]])
    /// Preformatted text.
    case code(String)
    /// A chart: the Markdown links the file, the HTML holds the SVG inline.
    case figure(ReportChart)
    /// A part only a person can write: what to write, and hints drawn from the numbers.
    case prompt(ReportPrompt)
}

/// A list item: a line of text and blocks under it (a nested list, a code block).
public struct ReportListItem: Sendable, Equatable {
    public var text: [ReportInline]
    public var blocks: [ReportBlock]

    public init(_ text: [ReportInline], blocks: [ReportBlock] = []) {
        self.text = text
        self.blocks = blocks
    }
}

/// A run of text inside a paragraph or list item.
public enum ReportInline: Sendable, Equatable {
    case text(String)
    case strong(String)
    case emphasis(String)
    case code(String)
    /// A blank the user fills in ("✍️ why you fine-tune").
    case placeholder(String)
}

/// A section the user writes: the instruction, and what the numbers suggest.
public struct ReportPrompt: Sendable, Equatable {
    public var instruction: String
    public var hints: [String]

    public init(instruction: String, hints: [String]) {
        self.instruction = instruction
        self.hints = hints
    }
}
