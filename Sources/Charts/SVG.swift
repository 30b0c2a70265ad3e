import Foundation

/// The SVG pieces every chart shares: the document's opening (white background, a title), a
/// centred message for empty input, text escaping, coordinates and colours. Every chart is a
/// standalone document that opens in any browser and can be inlined in HTML: no scripts, no ids,
/// no external fonts or styles. Only `escape` is public (the report escapes its HTML with it).
public enum SVG {
    static let fontFamily = "Helvetica, Arial, sans-serif"
    static let textColor = "#222222", axisColor = "#444444", gridColor = "#e5e5e5", mutedColor = "#888888"

    /// About how wide a character of 12 px Helvetica is, for laying out labels without measuring.
    static let characterWidth = 7.0

    /// `<?xml …?>`, the `<svg>` element, a white background and the title centred on top (16 px
    /// bold, shortened with "…" when it would not fit; the whole title is the document's `<title>`).
    static func open(width: Double, height: Double, title: String) -> String {
        let fitting = Int((width - 24) / 9.5)   // 16 px bold is about 9.5 px a character
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="\(fontFamily)" font-size="12">
        <rect width="100%" height="100%" fill="#ffffff"/>

        """
        if title.count > fitting { out += "<title>\(escape(title))</title>\n" }
        out += "<text x=\"\(number(width / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" fill=\"\(textColor)\">\(escape(shorten(title, to: fitting)))</text>\n"
        return out
    }

    static let close = "</svg>\n"

    /// A grey sentence in the middle of the chart, for input with nothing to draw.
    static func message(_ text: String, width: Double, height: Double) -> String {
        "<text class=\"message\" x=\"\(number(width / 2))\" y=\"\(number(height / 2))\" text-anchor=\"middle\" fill=\"\(mutedColor)\">\(escape(text))</text>\n"
    }

    /// Coordinates with two decimals, the precision a screen needs.
    static func number(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// Text made safe for XML and HTML, in element content and in quoted attributes: `&`, `<`, `>`,
    /// `"` and `'` as entities; the control characters XML 1.0 forbids are dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// The text cut to `limit` characters, the last one "…", when it is longer.
    static func shorten(_ text: String, to limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    /// `color` mixed with white: 0 gives white, 1 the colour itself. `color` is `#rrggbb`.
    static func tint(_ color: String, _ amount: Double) -> String {
        let hex = color.hasPrefix("#") ? String(color.dropFirst()) : color
        guard hex.count == 6, let value = Int(hex, radix: 16) else { return color }
        let amount = min(1, max(0, amount))
        let channels = [(value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF].map { channel in
            Int((255 - Double(255 - channel) * amount).rounded())
        }
        return String(format: "#%02x%02x%02x", channels[0], channels[1], channels[2])
    }
}
