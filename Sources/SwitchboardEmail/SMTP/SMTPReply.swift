import NIOCore

/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines, with the RFC 3463 enhanced code when
/// the server gives one.
package struct SMTPReply: Sendable, CustomStringConvertible {
    package var code: Int
    package var lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx.
    package var isPositive: Bool { (200..<300).contains(code) }
    /// 3xx (354 after DATA, 334 during AUTH).
    package var isIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: the server may accept the same later.
    package var isTransient: Bool { (400..<500).contains(code) }

    /// The text, lines joined by a space, with no control characters.
    package var text: String {
        lines.joined(separator: " ").filter { !($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) }
    }

    package var description: String { "\(code) \(text)" }

    /// Reads one reply, which may span lines (`250-...`, then `250 ...`).
    /// - Throws: `service_error` when a line is not an SMTP reply line.
    static func read(from connection: MailConnection, timeout: Duration) async throws -> SMTPReply {
        var lines: [String] = []
        var code: Int?
        while true {
            let line = try await connection.readLine(timeout: timeout, maximum: 64 * 1024)
            let bytes = Array(line.readableBytesView)
            guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (0x30...0x39).contains($0) }),
                bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
            else {
                throw SMTPError.protocolViolation(
                    "not an SMTP reply: \(String(decoding: bytes.prefix(80), as: UTF8.self))"
                )
            }
            let value = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
            if let code, code != value {
                throw SMTPError.protocolViolation("a multi-line reply changed its code from \(code) to \(value)")
            }
            code = value
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") { return SMTPReply(code: value, lines: lines) }
            if lines.count > 1000 { throw SMTPError.protocolViolation("a reply of more than 1000 lines") }
        }
    }
}

/// What went wrong in an SMTP exchange, before it is given Switchboard's error shape.
package enum SMTPError: Error, Sendable {
    case protocolViolation(String)
}

/// The extensions an EHLO reply announced (RFC 5321 §4.1.1.1).
package struct SMTPExtensions: Sendable {
    package var keywords: [String: [String]] = [:]

    package init(_ reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let first = words.first else { continue }
            keywords[first.uppercased()] = Array(words.dropFirst())
        }
    }

    package func has(_ keyword: String) -> Bool { keywords[keyword] != nil }

    /// The SASL mechanisms offered, upper-cased.
    package var authMechanisms: Set<String> {
        Set((keywords["AUTH"] ?? []).map { $0.uppercased() })
    }

    /// The largest message the server accepts (SIZE), when it says.
    package var maximumSize: Int? {
        guard let value = keywords["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }
}
