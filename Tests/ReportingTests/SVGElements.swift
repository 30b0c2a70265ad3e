import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG read with Foundation's XMLParser (libxml2 on Linux; `XMLDocument` is not there), which
/// rejects documents that are not well-formed: every element with its attributes and the text of
/// every element, unescaped.
final class SVGElements: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        /// The element's own text (not its children's).
        var text = ""
        var classes: Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []

    struct ParseFailure: Error, CustomStringConvertible { var description: String }

    static func parse(_ svg: String) throws -> SVGElements {
        let reader = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        guard parser.parse() else {
            throw ParseFailure(description: "line \(parser.lineNumber), column \(parser.columnNumber): \(parser.parserError.map { "\($0)" } ?? "?")")
        }
        return reader
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        _ = open.popLast()
    }

    /// Elements carrying every one of the classes.
    func elements(class names: String...) -> [Element] {
        elements.filter { Set(names).isSubset(of: $0.classes) }
    }

    /// Every element's trimmed text.
    var texts: [String] {
        elements.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }
}
