// Jinja's built-in filters that chat templates use, with jinja2's behaviour (jinja2/filters.py) under
// transformers' settings (no autoescape, its own `tojson`). This file: the registry and the filters on
// single values; TemplateFilters+Sequences.swift has those on lists and dicts.

import Foundation

enum TemplateFilters {
    typealias Filter = @Sendable (Value, Arguments) throws(TemplateError) -> Value

    /// Whether `name` is a filter this renderer implements.
    static func isKnown(_ name: String) -> Bool { filters[name] != nil }

    /// Applies the filter `name` to `value`.
    static func apply(_ name: String, to value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        guard let filter = filters[name] else { throw .unsupported("the filter '\(name)'") }
        return try filter(value, arguments)
    }

    private static let filters: [String: Filter] = [
        "trim": trim, "length": length, "count": length, "tojson": tojson, "string": string,
        "int": int, "float": float, "lower": lower, "upper": upper, "capitalize": capitalize, "title": title,
        "default": defaultValue, "d": defaultValue, "safe": safe, "escape": escape, "e": escape,
        "replace": replace, "indent": indent, "abs": abs, "round": round, "wordcount": wordcount, "center": center,
        "first": first, "last": last, "join": join, "list": list, "map": map, "select": select, "reject": reject,
        "selectattr": selectattr, "rejectattr": rejectattr, "items": items, "dictsort": dictsort,
        "reverse": reverse, "sort": sort, "unique": unique, "sum": sum, "min": min, "max": max,
    ]

    // MARK: helpers

    /// jinja2's `soft_str`: strings (and markup) stay as they are, anything else becomes `str(value)`.
    static func softString(_ value: Value) throws(TemplateError) -> Value {
        value.stringValue != nil ? value : .string(try value.text())
    }

    /// Applies a str -> str function, keeping a markup string markup (as Markup's methods do).
    private static func mapText(_ value: Value, _ transform: (String) throws(TemplateError) -> String) throws(TemplateError) -> Value {
        let text = try softString(value)
        let result = try transform(text.stringValue ?? "")
        if case .markup = text { return .markup(result) }
        return .string(result)
    }

    static func escapeHTML(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&#34;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    // MARK: text

    private static func trim(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let chars = try arguments.bind(["chars"], function: "trim")[0]
        var characters: String?
        if let chars, !chars.isEqual(to: .none) { characters = chars.stringValue }
        return try mapText(value) { PythonText.strip($0, characters) }
    }

    private static func lower(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try mapText(value, PythonText.lower)
    }

    private static func upper(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try mapText(value, PythonText.upper)
    }

    private static func capitalize(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try mapText(value, PythonText.capitalize)
    }

    /// jinja2's `title`: each word (after "-", whitespace or an opening bracket) gets its first code
    /// point upper-cased and the rest lower-cased.
    private static func title(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let scalars = Array(try value.text().unicodeScalars)
        func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
            PythonText.isWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar)
        }
        var result = ""
        var i = 0
        while i < scalars.count {
            let start = i
            let separator = isSeparator(scalars[i])
            while i < scalars.count, isSeparator(scalars[i]) == separator { i += 1 }
            let piece = PythonText.string(scalars[start..<i])
            if separator {
                result += piece
            } else {
                result += PythonText.upper(String(scalars[start])) + PythonText.lower(PythonText.string(scalars[(start + 1)..<i]))
            }
        }
        return .string(result)
    }

    private static func string(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try softString(value)
    }

    private static func safe(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        .markup(try value.text())
    }

    private static func escape(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        if case .markup = value { return value }
        return .markup(escapeHTML(try value.text()))
    }

    private static func replace(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["old", "new", "count"], function: "replace")
        guard let old = slots[0], let new = slots[1] else { throw .runtime("replace() missing required arguments 'old' and 'new'") }
        var count = -1
        if let limit = slots[2], !(limit.isEqual(to: .none)) {
            guard let integer = limit.integerValue else { throw .runtime("'\(limit.typeName)' object cannot be interpreted as an integer") }
            count = integer
        }
        return .string(PythonText.replace(try value.text(), try old.text(), try new.text(), count: count))
    }

    private static func indent(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["width", "first", "blank"], function: "indent")
        let indentation: String
        switch slots[0] {
        case nil: indentation = "    "
        case .some(let width):
            if let text = width.stringValue { indentation = text } else {
                guard let count = width.integerValue else { throw .runtime("can't multiply sequence by non-int of type '\(width.typeName)'") }
                indentation = String(repeating: " ", count: Swift.max(count, 0))
            }
        }
        let lines = PythonText.splitLines(try value.text() + "\n")
        var result: String
        if slots[2]?.isTruthy ?? false {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty { result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
        }
        if slots[1]?.isTruthy ?? false { result = indentation + result }
        if case .markup = value { return .markup(result) }
        return .string(result)
    }

    private static func wordcount(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        var count = 0
        var inWord = false
        for scalar in try value.text().unicodeScalars {
            let isWord = scalar == "_" || TemplateMethods.isAlpha(scalar) || scalar.properties.numericType != nil
            if isWord, !inWord { count += 1 }
            inWord = isWord
        }
        return .int(count)
    }

    private static func center(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let width = try arguments.bind(["width"], function: "center")[0]?.integerValue ?? 80
        return .string(PythonText.center(try value.text(), width: width))
    }

    private static func tojson(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["ensure_ascii", "indent", "separators", "sort_keys"], function: "tojson")
        return .string(try TemplateJSON.encode(value, ensureASCII: slots[0], indent: slots[1], separators: slots[2],
                                               sortKeys: slots[3]))
    }

    private static func length(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        .int(try value.length())
    }

    private static func defaultValue(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["default_value", "boolean"], function: "default")
        let boolean = slots[1]?.isTruthy ?? false
        if value.isUndefined || (boolean && !value.isTruthy) { return slots[0] ?? .string("") }
        return value
    }

    // MARK: numbers

    private static func int(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["default", "base"], function: "int")
        let fallback = slots[0] ?? .int(0)
        try value.requireDefined()
        switch value {
        case .int, .bool: return .int(value.integerValue ?? 0)
        case .double(let number):
            guard number.isFinite else { throw .runtime("cannot convert float \(PythonFloat.repr(number)) to integer") }
            guard let integer = Int(exactly: number.rounded(.towardZero)) else { throw .runtime("integer result is too large") }
            return .int(integer)
        case .string(let text), .markup(let text):
            let base = slots[1]?.integerValue ?? 10
            if let integer = PythonNumbers.parseInt(text, base: base) { return .int(integer) }
            if let number = PythonNumbers.parseFloat(text), number.isFinite, let integer = Int(exactly: number.rounded(.towardZero)) {
                return .int(integer)
            }
            return fallback
        default:
            return fallback
        }
    }

    private static func float(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let fallback = try arguments.bind(["default"], function: "float")[0] ?? .double(0)
        try value.requireDefined()
        switch value {
        case .int, .bool, .double: return .double(value.numberValue ?? 0)
        case .string(let text), .markup(let text): return PythonNumbers.parseFloat(text).map(Value.double) ?? fallback
        default: return fallback
        }
    }

    private static func abs(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try value.requireDefined()
        if let integer = value.integerValue {
            guard integer != .min else { throw .runtime("integer result is too large") }
            return .int(Swift.abs(integer))
        }
        if case .double(let number) = value { return .double(Swift.abs(number)) }
        throw .runtime("bad operand type for abs(): '\(value.typeName)'")
    }

    private static func round(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["precision", "method"], function: "round")
        let precision = slots[0]?.integerValue ?? 0
        let method = slots[1].map { $0.stringValue ?? "" } ?? "common"
        guard ["common", "ceil", "floor"].contains(method) else { throw .runtime("method must be common, ceil or floor") }
        try value.requireDefined()
        guard let number = value.numberValue else { throw .runtime("type \(value.typeName) doesn't define __round__ method") }
        if method == "common" {
            if let integer = value.integerValue { return .int(try PythonNumbers.round(integer, digits: precision)) }
            return .double(PythonNumbers.round(number, digits: precision))
        }
        let scale = Foundation.pow(10.0, Double(precision))
        let scaled = number * scale
        return .double((method == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) / scale)
    }
}
