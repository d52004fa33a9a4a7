/// RFC 5545 §3.1 content lines: unfolding and parsing on input, quoting and folding on output. Works on bytes;
/// a line is folded at 75 octets and never inside a UTF-8 character.
enum ContentLines {
    /// Calls `body` with every unfolded content line of `bytes`, parsed. Blank lines are skipped.
    static func forEach(in bytes: [UInt8], _ body: (ICalProperty) throws -> Void) throws {
        var logical: [UInt8] = []
        logical.reserveCapacity(128)
        var lineNumber = 0
        var startLine = 0
        var index = 0
        let count = bytes.count
        // A UTF-8 byte-order mark at the start is not content.
        if count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        while index < count {
            lineNumber += 1
            var end = index
            while end < count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
            let isContinuation = bytes[index] == 0x20 || bytes[index] == 0x09
            if isContinuation && !logical.isEmpty {
                logical.append(contentsOf: bytes[(index + 1)..<end])
            } else {
                if !logical.isEmpty { try body(parse(logical, line: startLine)) }
                logical.removeAll(keepingCapacity: true)
                if end > index && !isContinuation { logical.append(contentsOf: bytes[index..<end]) }
                startLine = lineNumber
            }
            // CRLF, LF, or a bare CR.
            if end < count && bytes[end] == 0x0D { end += 1 }
            if end < count && bytes[end] == 0x0A { end += 1 }
            index = end
        }
        if !logical.isEmpty { try body(parse(logical, line: startLine)) }
    }

    /// One unfolded line: `name *(";" param) ":" value`.
    static func parse(_ line: [UInt8], line number: Int) throws -> ICalProperty {
        var i = 0
        let n = line.count
        while i < n && line[i] != 0x3B && line[i] != 0x3A { i += 1 }
        let name = String(decoding: line[0..<i], as: UTF8.self).trimmingSpaces
        guard !name.isEmpty else {
            throw ICalendarError(line: number, "a line with no property name: \(preview(line))")
        }
        guard i < n else {
            throw ICalendarError(line: number, "\(name) has no ':' before its value")
        }
        guard name.utf8.allSatisfy({ isNameByte($0) }) else {
            throw ICalendarError(line: number, "\(preview(line)) is not a property (a name is letters, digits and -)")
        }
        var parameters: [ICalParameter] = []
        while i < n && line[i] == 0x3B {
            i += 1
            let nameStart = i
            while i < n && line[i] != 0x3D && line[i] != 0x3B && line[i] != 0x3A { i += 1 }
            let parameterName = String(decoding: line[nameStart..<i], as: UTF8.self).trimmingSpaces
            guard !parameterName.isEmpty, i < n, line[i] == 0x3D else {
                throw ICalendarError(
                    line: number,
                    parameterName.isEmpty
                        ? "\(name) has an empty parameter (';;' or ';=')"
                        : "parameter \(parameterName) of \(name) has no '=' and value"
                )
            }
            i += 1
            var values: [String] = []
            while true {
                if i < n && line[i] == 0x22 {
                    let start = i + 1
                    i = start
                    while i < n && line[i] != 0x22 { i += 1 }
                    guard i < n else {
                        throw ICalendarError(
                            line: number,
                            "parameter \(parameterName) of \(name) has an unclosed quote"
                        )
                    }
                    values.append(String(decoding: line[start..<i], as: UTF8.self))
                    i += 1
                } else {
                    let start = i
                    // A backslash keeps the next character in the value (some producers escape , ; : there).
                    while i < n && line[i] != 0x2C && line[i] != 0x3B && line[i] != 0x3A {
                        i += line[i] == 0x5C && i + 1 < n ? 2 : 1
                    }
                    values.append(String(decoding: line[start..<i], as: UTF8.self))
                }
                if i < n && line[i] == 0x2C {
                    i += 1
                    continue
                }
                break
            }
            parameters.append(ICalParameter(name: parameterName, values: values))
        }
        guard i < n, line[i] == 0x3A else {
            throw ICalendarError(line: number, "\(name) has no ':' before its value")
        }
        return ICalProperty(
            name: name,
            parameters: parameters,
            value: String(decoding: line[(i + 1)...], as: UTF8.self),
            line: number
        )
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2D
            || b == 0x5F || b == 0x2E || b == 0x2F
    }

    static func preview(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(40), as: UTF8.self)
        return "'" + text + (line.count > 40 ? "…'" : "'")
    }

    // MARK: Writing

    /// Appends `property` as folded content line(s), each ending in CRLF.
    static func write(_ property: ICalProperty, into out: inout [UInt8]) {
        var line: [UInt8] = Array(property.name.utf8)
        for parameter in property.parameters {
            line.append(0x3B)
            line.append(contentsOf: parameter.name.utf8)
            line.append(0x3D)
            for (index, value) in parameter.values.enumerated() {
                if index > 0 { line.append(0x2C) }
                // Quote values with ':', ';' or ','; a double quote cannot appear in a parameter value at all.
                let clean = value.utf8.filter { $0 != 0x22 && $0 != 0x0D && $0 != 0x0A }
                let quote = clean.contains { $0 == 0x3A || $0 == 0x3B || $0 == 0x2C || $0 == 0x5C }
                if quote { line.append(0x22) }
                line.append(contentsOf: clean)
                if quote { line.append(0x22) }
            }
        }
        line.append(0x3A)
        // A raw line break in a value would start a new property: never write one.
        for byte in property.value.utf8 where byte != 0x0D && byte != 0x0A { line.append(byte) }
        fold(line, into: &out)
    }

    /// Splits a line into chunks of at most 75 octets (the first) and 74 plus the leading space (the rest),
    /// moving each split back to the start of a UTF-8 character.
    static func fold(_ line: [UInt8], into out: inout [UInt8]) {
        var start = 0
        var limit = 75
        while line.count - start > limit {
            var split = start + limit
            while split > start + 1 && (line[split] & 0xC0) == 0x80 { split -= 1 }
            out.append(contentsOf: line[start..<split])
            out.append(contentsOf: [0x0D, 0x0A, 0x20])
            start = split
            limit = 74
        }
        out.append(contentsOf: line[start...])
        out.append(contentsOf: [0x0D, 0x0A])
    }
}

/// TEXT values (RFC 5545 §3.3.11): `\\`, `\;`, `\,` and `\n` escapes.
public enum ICalText {
    /// Escapes a string for a TEXT value; line breaks become `\n`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r":
                out += "\\n"
                previousCR = true
                continue
            case "\n": if !previousCR { out += "\\n" }
            default: out.unicodeScalars.append(scalar)
            }
            previousCR = false
        }
        return out
    }

    /// Unescapes a TEXT value; `\N` is a line break too, and an unknown escape keeps its character.
    public static func unescape(_ value: String) -> String {
        guard value.utf8.contains(0x5C) else { return value }
        var out = ""
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                switch scalar {
                case "n", "N": out += "\n"
                default: out.unicodeScalars.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if escaping { out += "\\" }
        return out
    }

    /// Splits a multi-valued TEXT value (`CATEGORIES:a,b\,c`) at unescaped commas, unescaping each.
    public static func splitList(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                current.unicodeScalars.append("\\")
                current.unicodeScalars.append(scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "," {
                parts.append(unescape(current))
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        parts.append(unescape(current))
        return parts
    }
}
