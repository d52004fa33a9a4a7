/// One value of an IMAP response (RFC 9051 §4): an atom or number, a string (quoted or literal), a
/// parenthesised list, or NIL.
package indirect enum IMAPValue: Sendable, Equatable {
    case atom(String)
    case string([UInt8])
    case list([IMAPValue])
    case null

    /// The text of an atom or a string.
    package var text: String? {
        switch self {
        case .atom(let text): return text
        case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    package var bytes: [UInt8]? {
        switch self {
        case .string(let bytes): return bytes
        case .atom(let text): return Array(text.utf8)
        default: return nil
        }
    }

    package var list: [IMAPValue]? {
        if case .list(let items) = self { return items }
        return nil
    }

    package var number: Int? {
        if case .atom(let text) = self { return Int(text) }
        return nil
    }
}

/// One complete server response: untagged (`* ...`), a continuation request (`+ ...`) or tagged
/// (`A7 OK ...`), with any literals already in place.
package struct IMAPResponse: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case untagged
        case continuation
        case tagged(String)
    }

    package var kind: Kind
    /// The values after the tag, in order: `OK [CODE] text` is `[atom OK, ...]`; `5 FETCH (...)` is
    /// `[atom 5, atom FETCH, list]`.
    package var values: [IMAPValue]
    /// A status response's bracketed code (`AUTHENTICATIONFAILED`, `TRYCREATE`), upper-cased, with its arguments.
    package var code: [String]
    /// A status response's human-readable text.
    package var text: String

    /// `OK`, `NO`, `BAD`, `BYE` or `PREAUTH` for a status response.
    package var status: String? {
        guard let first = values.first?.text?.uppercased(),
            ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(first)
        else { return nil }
        return first
    }
}

/// Why a response could not be read; the session ends, the process never does.
package struct IMAPParseError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// Parses the bytes of one response, exactly as they came over the wire (literal bytes follow their
/// `{n}` CRLF marker). Bounded: nesting deeper than 64 and malformed input are errors, never a crash or a hang.
package struct IMAPResponseParser {
    private let bytes: [UInt8]
    private var index = 0
    private static let maximumDepth = 64

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    package static func parse(_ bytes: [UInt8]) throws -> IMAPResponse {
        var parser = IMAPResponseParser(bytes)
        return try parser.response()
    }

    private var atEnd: Bool { index >= bytes.count }
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ what: String) -> IMAPParseError {
        let start = max(0, index - 20)
        let end = min(bytes.count, index + 20)
        let near = String(decoding: bytes[start..<end], as: UTF8.self).filter { !$0.isNewline }
        return IMAPParseError(message: "malformed IMAP response (\(what) at byte \(index), near '\(near)')")
    }

    private mutating func response() throws -> IMAPResponse {
        let kind: IMAPResponse.Kind
        if current == UInt8(ascii: "*") {
            kind = .untagged
            index += 1
        } else if current == UInt8(ascii: "+") {
            index += 1
            if current == UInt8(ascii: " ") { index += 1 }
            return IMAPResponse(kind: .continuation, values: [], code: [], text: restOfLine())
        } else {
            let tag = atomText()
            guard !tag.isEmpty else { throw fail("a response starts with neither *, + nor a tag") }
            kind = .tagged(tag)
        }
        try space()
        var values: [IMAPValue] = []
        var code: [String] = []
        var text = ""
        // A status response: OK/NO/BAD/BYE/PREAUTH [code] text; the text is free-form and not tokenised.
        let word = peekAtom().uppercased()
        if ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(word) {
            values.append(.atom(atomText()))
            if current == UInt8(ascii: " ") { index += 1 }
            if current == UInt8(ascii: "[") {
                index += 1
                var inside: [UInt8] = []
                var depth = 0
                while let byte = current, byte != UInt8(ascii: "]") || depth > 0, byte != 13, byte != 10 {
                    if byte == UInt8(ascii: "(") { depth += 1 }
                    if byte == UInt8(ascii: ")") { depth = max(0, depth - 1) }
                    inside.append(byte)
                    index += 1
                }
                guard current == UInt8(ascii: "]") else { throw fail("an unclosed [ in a status response") }
                index += 1
                code = String(decoding: inside, as: UTF8.self).split(separator: " ").map(String.init)
                if let first = code.first { code[0] = first.uppercased() }
                if current == UInt8(ascii: " ") { index += 1 }
            }
            text = restOfLine()
            return IMAPResponse(kind: kind, values: values, code: code, text: text)
        }
        // Data: values up to the end of the line. CAPABILITY and friends are atoms; FETCH carries a list.
        while !atEnd, current != 13, current != 10 {
            values.append(try value(depth: 0))
            if current == UInt8(ascii: " ") { index += 1 }
        }
        guard !values.isEmpty else { throw fail("a response with nothing after its tag") }
        return IMAPResponse(kind: kind, values: values, code: code, text: text)
    }

    private mutating func space() throws {
        guard current == UInt8(ascii: " ") else { throw fail("a missing space") }
        index += 1
    }

    private func peekAtom() -> String {
        var end = index
        while end < bytes.count, Self.isAtomByte(bytes[end]) { end += 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    private mutating func atomText() -> String {
        let start = index
        while let byte = current, Self.isAtomByte(byte) || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") {
            // `BODY[1.2]<0>` is one token: brackets belong to the atom until the closing one.
            if byte == UInt8(ascii: "[") {
                while let inner = current, inner != UInt8(ascii: "]"), inner != 13, inner != 10 { index += 1 }
                if current == UInt8(ascii: "]") { index += 1 }
                continue
            }
            if byte == UInt8(ascii: "]") { break }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func restOfLine() -> String {
        let start = index
        while let byte = current, byte != 13, byte != 10 { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// ATOM-CHAR, plus the `\` of flags and the `*` of `\*` and uid sets.
    private static func isAtomByte(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return byte >= 0x80 }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "%"),
            UInt8(ascii: "["), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    private mutating func value(depth: Int) throws -> IMAPValue {
        guard depth < Self.maximumDepth else { throw fail("lists nested deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw fail("the response ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "("):
            index += 1
            var items: [IMAPValue] = []
            while true {
                while current == UInt8(ascii: " ") { index += 1 }
                guard let next = current else { throw fail("an unclosed (") }
                if next == UInt8(ascii: ")") {
                    index += 1
                    return .list(items)
                }
                if next == 13 || next == 10 { throw fail("a line ends inside a list") }
                items.append(try value(depth: depth + 1))
            }
        case UInt8(ascii: "\""):
            index += 1
            var out: [UInt8] = []
            while let next = current {
                index += 1
                if next == UInt8(ascii: "\"") { return .string(out) }
                if next == UInt8(ascii: "\\") {
                    guard let escaped = current else { break }
                    out.append(escaped)
                    index += 1
                    continue
                }
                if next == 13 || next == 10 { throw fail("a line break inside a quoted string") }
                out.append(next)
            }
            throw fail("an unterminated quoted string")
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            if byte == UInt8(ascii: "~") { index += 1 }  // literal8 (RFC 3516)
            guard current == UInt8(ascii: "{") else { throw fail("a ~ without a literal") }
            index += 1
            var count = 0
            var digits = 0
            while let digit = current, (0x30...0x39).contains(digit) {
                count = count * 10 + Int(digit - 0x30)
                digits += 1
                index += 1
                guard count <= Int(Int32.max) else { throw fail("a literal too large") }
            }
            if current == UInt8(ascii: "+") { index += 1 }
            guard digits > 0, current == UInt8(ascii: "}") else { throw fail("a malformed literal size") }
            index += 1
            if current == 13 { index += 1 }
            guard current == 10 else { throw fail("a literal size not followed by CRLF") }
            index += 1
            guard bytes.count - index >= count else { throw fail("a literal shorter than its size") }
            let out = Array(bytes[index..<index + count])
            index += count
            return .string(out)
        case UInt8(ascii: ")"):
            throw fail("an unexpected )")
        default:
            let text = atomText()
            guard !text.isEmpty else { throw fail("an unexpected byte 0x\(String(byte, radix: 16))") }
            if text.uppercased() == "NIL" { return .null }
            return .atom(text)
        }
    }
}

/// Splits the byte stream into responses: a line, and when it ends with a literal marker `{n}`, n more bytes and
/// the line that continues it. Pure, for the fuzzer; the session drives the same logic over a connection.
package enum IMAPFraming {
    /// The size of the literal a line announces at its end (`{123}` or `{123+}`), if any.
    package static func literalSize(atEndOf line: some Collection<UInt8>) -> Int? {
        let bytes = Array(line.suffix(24))
        guard bytes.last == UInt8(ascii: "}") else { return nil }
        var index = bytes.count - 2
        if index >= 0, bytes[index] == UInt8(ascii: "+") { index -= 1 }
        var value = 0
        var multiplier = 1
        var digits = 0
        while index >= 0, (0x30...0x39).contains(bytes[index]) {
            value += Int(bytes[index] - 0x30) * multiplier
            multiplier *= 10
            digits += 1
            index -= 1
            if digits > 10 { return nil }
        }
        guard digits > 0, index >= 0, bytes[index] == UInt8(ascii: "{") else { return nil }
        return value
    }
}
