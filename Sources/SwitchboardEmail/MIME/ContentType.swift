import Foundation

/// A `Content-Type` or `Content-Disposition` value: the type (lower-cased) and its parameters, with quoting,
/// RFC 2231 continuations (`name*0*=`, `name*1=`) and charsets (`utf-8''%E2%82%AC`), and RFC 2047 words that
/// some mailers put in file names.
public struct MIMEParameters: Sendable, Hashable {
    /// `text/plain`, `attachment`; lower-cased.
    public var value: String
    /// Parameter names lower-cased.
    public var parameters: [String: String]

    public init(value: String, parameters: [String: String] = [:]) {
        self.value = value
        self.parameters = parameters
    }

    public init(parsing text: String) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" && quoted {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
                current.append(c)
            } else if c == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        pieces.append(current)
        value = (pieces.first ?? "").trimming(" \t\r\n").lowercased()
        var plain: [String: String] = [:]
        var continued: [String: [(Int, String, Bool)]] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimming(" \t\r\n").lowercased()
            var raw = String(piece[piece.index(after: equals)...]).trimming(" \t\r\n")
            if raw.hasPrefix("\"") && raw.hasSuffix("\"") && raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            var extended = false
            if name.hasSuffix("*") {
                extended = true
                name.removeLast()
            }
            if let star = name.firstIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
                continued[String(name[..<star]), default: []].append((index, raw, extended))
            } else if extended {
                plain[name] = Self.extendedValue(raw, first: true).text
            } else if plain[name] == nil {
                plain[name] = raw
            }
        }
        for (name, parts) in continued {
            var bytes: [UInt8] = []
            var charset: String?
            for (i, part) in parts.sorted(by: { $0.0 < $1.0 }).enumerated() {
                if part.2 {
                    let decoded = Self.extendedValue(part.1, first: i == 0)
                    if i == 0 { charset = decoded.charset }
                    bytes += decoded.bytes
                } else {
                    bytes += Array(part.1.utf8)
                }
            }
            plain[name] = Charsets.decode(bytes, charset: charset).text
        }
        parameters = plain.mapValues { $0.contains("=?") ? MIMEText.decodeUnstructured($0) : $0 }
    }

    /// `charset'language'percent-encoded` (the first segment), or percent-encoded (the rest).
    static func extendedValue(_ raw: String, first: Bool) -> (bytes: [UInt8], charset: String?, text: String) {
        var charset: String?
        var encoded = Substring(raw)
        if first {
            let parts = raw.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 {
                charset = String(parts[0])
                encoded = parts[2]
            }
        }
        var bytes: [UInt8] = []
        let utf8 = Array(encoded.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == 0x25, i + 2 < utf8.count,
                let v = UInt8(String(decoding: utf8[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return (bytes, charset, Charsets.decode(bytes, charset: charset).text)
    }
}
