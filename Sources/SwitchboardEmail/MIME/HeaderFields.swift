import Foundation
import SwitchboardCore

/// A message's or part's header block (RFC 5322 §2.2): fields in order, unfolded, looked up case-insensitively.
package struct HeaderFields: Sendable {
    /// (name as written, raw value after the colon, not decoded). A fold is kept as `\n` followed by the
    /// continuation line's leading whitespace; ``unfold(_:)`` removes it as RFC 5322 §2.2.3 says.
    package var fields: [(name: String, value: String)]

    package init(fields: [(name: String, value: String)]) { self.fields = fields }

    /// Parses a header block (without the blank line that ends it). Lines without a colon are skipped (real mail
    /// has them; they are not fatal); folded lines join the field before them.
    package init(parsing bytes: ArraySlice<UInt8>) {
        var fields: [(String, String)] = []
        var current: [UInt8] = []
        func flush() {
            guard !current.isEmpty else { return }
            defer { current.removeAll(keepingCapacity: true) }
            guard let colon = current.firstIndex(of: 0x3A) else { return }
            let name = String(decoding: current[..<colon], as: UTF8.self).trimming(" \t")
            guard !name.isEmpty, !name.contains(" ") else { return }
            var value = Array(current[(colon + 1)...])
            while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
            fields.append((name, MIMEText.string(value)))
        }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var end = index
            while end < bytes.endIndex && bytes[end] != 0x0A { end += 1 }
            var line = bytes[index..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if let first = line.first, first == 0x20 || first == 0x09 {
                if !current.isEmpty {
                    current.append(0x0A)
                    current.append(contentsOf: line)
                }
            } else {
                flush()
                current.append(contentsOf: line)
            }
            index = end < bytes.endIndex ? end + 1 : end
        }
        flush()
        self.fields = fields
    }

    /// The first field called `name` (any case), unfolded.
    package subscript(_ name: String) -> String? {
        raw(name).map(Self.unfold)
    }

    /// The first field called `name` as written, folds kept (for unstructured text, whose decoding treats a fold
    /// inside an encoded word differently from one between words).
    package func raw(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every field called `name`, unfolded.
    package func all(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map { Self.unfold($0.value) }
    }

    /// RFC 5322 unfolding: the line break of a fold goes, its whitespace stays.
    package static func unfold(_ value: String) -> String {
        value.contains("\n") ? value.replacingOccurrences(of: "\n", with: "") : value
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool { ASCII.caseInsensitiveEquals(self, other) }
}

extension StringProtocol {
    /// The text without the characters of `set` at either end.
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}

/// Text helpers: raw header bytes as a string (UTF-8 when valid, else Latin-1, as old mail was 8-bit), and
/// RFC 2047 encoded words.
package enum MIMEText {
    package static func string(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// An unstructured value (Subject) decoded, from its raw form (folds as `\n`): encoded words
    /// (`=?charset?Q|B?text?=`) turned to text, a fold inside an encoded word removed, a fold between words read
    /// as one space, the whitespace between two adjacent encoded words dropped, and an encoded word set off from
    /// text that touches it by a space.
    package static func decodeUnstructured(_ value: String) -> String {
        let chars = Array(value)
        var out = ""
        var i = 0
        var lastWasEncoded = false
        var pendingSpace = ""
        func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" || c == "\r" {
                // A fold: one space for the break and the whitespace around it.
                i += 1
                while i < chars.count && (isSpace(chars[i]) || chars[i] == "\n" || chars[i] == "\r") { i += 1 }
                if pendingSpace.isEmpty && out.last.map(isSpace) != true { pendingSpace = " " }
                continue
            }
            if isSpace(c) {
                pendingSpace.append(c)
                i += 1
                continue
            }
            if c == "=", i + 1 < chars.count, chars[i + 1] == "?", let (decoded, next) = encodedWord(chars, from: i) {
                if lastWasEncoded {
                    pendingSpace = ""  // between two encoded words: nothing
                } else if pendingSpace.isEmpty && !out.isEmpty && !(out.last.map(isSpace) ?? true) {
                    pendingSpace = " "
                }
                out += pendingSpace + decoded
                pendingSpace = ""
                lastWasEncoded = true
                i = next
                continue
            }
            if lastWasEncoded && pendingSpace.isEmpty { pendingSpace = " " }
            out += pendingSpace
            pendingSpace = ""
            out.append(c)
            lastWasEncoded = false
            i += 1
        }
        return out.trimming(" \t")
    }

    /// The encoded word starting at `chars[start]` (`=?`), decoded, and the index after it; a fold inside it is
    /// removed, literal spaces kept (mailers put them in Q words).
    static func encodedWord(_ chars: [Character], from start: Int) -> (String, Int)? {
        var i = start + 2
        var charset = ""
        while i < chars.count && chars[i] != "?" {
            if chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || charset.count > 64 { return nil }
            charset.append(chars[i])
            i += 1
        }
        guard i + 2 < chars.count, !charset.isEmpty, chars[i + 2] == "?" else { return nil }
        let encoding = chars[i + 1]
        guard "BbQq".contains(encoding) else { return nil }
        i += 3
        var payload = ""
        while i + 1 < chars.count && !(chars[i] == "?" && chars[i + 1] == "=") {
            if chars[i] == "\n" || chars[i] == "\r" {
                i += 1
                while i < chars.count && (chars[i] == " " || chars[i] == "\t") { i += 1 }
                continue
            }
            payload.append(chars[i])
            i += 1
        }
        guard i + 1 < chars.count else { return nil }
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language
        let bytes: [UInt8]
        if encoding == "B" || encoding == "b" {
            bytes = Base64Lenient.decode(Array(payload.utf8))
        } else {
            bytes = QuotedPrintable.decode(Array(payload.utf8), underscoreIsSpace: true)
        }
        return (Charsets.decode(bytes, charset: charset).text, i + 2)
    }

}

/// Base64 that tolerates what real mail has: line breaks, spaces, missing padding, trailing garbage.
package enum Base64Lenient {
    static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = Int8(i)
        }
        t[Int(UInt8(ascii: "-"))] = 62  // base64url, seen in the wild
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    package static func decode(_ input: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in input {
            if byte == 0x3D { break }  // padding: the end
            let value = table[Int(byte)]
            if value < 0 { continue }
            buffer = (buffer << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}

/// Quoted-printable (RFC 2045 §6.7), and the Q encoding of encoded words (RFC 2047 §4.2: `_` is a space).
package enum QuotedPrintable {
    /// Decodes quoted-printable (RFC 2045 §6.7; with `underscoreIsSpace`, RFC 2047's Q encoding): `=XX` is a
    /// byte, `=` before optional blanks and a line end is a soft break, and anything malformed is kept as is.
    /// One pass over raw buffers: the output is never longer than the input.
    package static func decode(_ input: [UInt8], underscoreIsSpace: Bool = false) -> [UInt8] {
        input.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: source.count) { target, written in
                let count = source.count
                var i = 0
                var o = 0
                @inline(__always) func hex(_ b: UInt8) -> UInt8? {
                    switch b {
                    case 0x30...0x39: b - 0x30
                    case 0x41...0x46: b - 0x37
                    case 0x61...0x66: b - 0x57
                    default: nil
                    }
                }
                while i < count {
                    let b = source[i]
                    if b == 0x3D {
                        // A soft line break: "=" then optional spaces then CRLF or LF.
                        var j = i + 1
                        while j < count && (source[j] == 0x20 || source[j] == 0x09) { j += 1 }
                        if j < count && source[j] == 0x0D { j += 1 }
                        if j < count && source[j] == 0x0A {
                            i = j + 1
                            continue
                        }
                        if j >= count && j > i + 1 {
                            i = j
                            continue
                        }
                        if i + 2 < count, let h = hex(source[i + 1]), let l = hex(source[i + 2]) {
                            target[o] = h << 4 | l
                            o += 1
                            i += 3
                            continue
                        }
                        target[o] = b
                    } else if b == 0x5F && underscoreIsSpace {
                        target[o] = 0x20
                    } else {
                        target[o] = b
                    }
                    o += 1
                    i += 1
                }
                written = o
            }
        }
    }
}
