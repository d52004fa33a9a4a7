import Crypto
import Foundation
import SwitchboardCore

/// A message to send, as the `send_email` input describes it.
public struct EmailDraft: Sendable {
    public struct Attachment: Sendable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress] = []
    /// Recipients that never appear in the headers.
    public var bcc: [MailAddress] = []
    public var replyTo: [MailAddress] = []
    public var subject: String?
    public var text: String?
    public var html: String?
    public var attachments: [Attachment] = []
    public var inReplyTo: String?
    public var references: [String] = []

    public init(from: MailAddress, to: [MailAddress]) {
        self.from = from
        self.to = to
    }

    /// Every envelope recipient: To, Cc and Bcc, each once.
    public var recipients: [String] {
        var seen: Set<String> = []
        return (to + cc + bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }
}

/// Writes a draft as an RFC 5322 / MIME message: encoded words for non-ASCII header text, RFC 2231 file names,
/// multipart/alternative for text and HTML, multipart/mixed for attachments, base64 and quoted-printable bodies,
/// lines within 78 characters. A CR or LF in any header value is refused, never passed on.
package enum MessageBuilder {
    /// The message's bytes (CRLF line ends) and its Message-ID (without angle brackets).
    package static func build(_ draft: EmailDraft, date: Date, messageID: String? = nil) throws -> (
        bytes: [UInt8], messageID: String
    ) {
        for (field, value) in [("subject", draft.subject), ("in_reply_to", draft.inReplyTo)]
            + draft.references.map({ ("references", $0) })
        {
            if let value, hasLineBreak(value) {
                throw IntegrationError.invalidInput(
                    "\(field) holds a line break (CR or LF), which would inject a header; remove it"
                )
            }
        }
        for address in [draft.from] + draft.to + draft.cc + draft.bcc + draft.replyTo {
            if let name = address.name, hasLineBreak(name) {
                throw IntegrationError.invalidInput(
                    "the name of \(address.address) holds a line break (CR or LF); remove it"
                )
            }
        }
        let domain = draft.from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let id = messageID ?? "\(UUID().uuidString.lowercased())@\(domain)"
        var headers: [(String, String)] = [
            ("Date", rfc5322Date(date)), ("From", addressList([draft.from])), ("To", addressList(draft.to)),
        ]
        if !draft.cc.isEmpty { headers.append(("Cc", addressList(draft.cc))) }
        if !draft.replyTo.isEmpty { headers.append(("Reply-To", addressList(draft.replyTo))) }
        headers.append(("Message-ID", "<\(id)>"))
        if let reply = draft.inReplyTo { headers.append(("In-Reply-To", angled(reply))) }
        if !draft.references.isEmpty {
            headers.append(("References", draft.references.map(angled).joined(separator: " ")))
        }
        headers.append(("Subject", encodeWords(draft.subject ?? "")))
        headers.append(("MIME-Version", "1.0"))
        var out = ""
        for (name, value) in headers { out += fold(name + ": " + value) + "\r\n" }
        out += body(draft)
        return (Array(out.utf8), id)
    }

    /// Whether `text` holds a CR or LF anywhere (bytes, not characters: "\r\n" is one Character).
    package static func hasLineBreak(_ text: String) -> Bool { text.utf8.contains { $0 == 0x0D || $0 == 0x0A } }

    static func angled(_ id: String) -> String {
        let bare = id.trimming(" <>")
        return "<\(bare)>"
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    static func addressList(_ addresses: [MailAddress]) -> String {
        addresses.map { address in
            guard let name = address.name, !name.isEmpty else { return address.address }
            let isPlain = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " ") }
            let display = isPlain ? name : (name.allSatisfy(\.isASCII) ? quoted(name) : encodeWords(name))
            return "\(display) <\(address.address)>"
        }.joined(separator: ", ")
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// RFC 2047 B-encoded UTF-8 words for text that is not plain ASCII, each word within 75 characters and never
    /// splitting a character.
    static func encodeWords(_ text: String) -> String {
        guard !text.allSatisfy({ $0.isASCII && $0 != "=" || $0 == " " }) || text.contains("=?") else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes of UTF-8 become 60 characters of base64: with "=?UTF-8?B?" and "?=", 72.
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: " ")
    }

    /// Folds a header line at spaces to stay within 78 characters where it can.
    static func fold(_ line: String) -> String {
        guard line.count > 78 else { return line }
        var out = ""
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty && current.count + 1 + word.count > 76 {
                out += current + "\r\n"
                current = " " + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        return out + current
    }

    static func boundary() -> String {
        "=_sb_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func body(_ draft: EmailDraft) -> String {
        let textPart = draft.text.map { textLeaf($0, subtype: "plain") }
        let htmlPart = draft.html.map { textLeaf($0, subtype: "html") }
        var content: String
        switch (textPart, htmlPart) {
        case (let t?, let h?):
            let b = boundary()
            content =
                "Content-Type: multipart/alternative; boundary=\"\(b)\"\r\n\r\n--\(b)\r\n\(t)\r\n--\(b)\r\n\(h)\r\n--\(b)--\r\n"
        case (let t?, nil): content = t
        case (nil, let h?): content = h
        case (nil, nil): content = textLeaf("", subtype: "plain")
        }
        guard !draft.attachments.isEmpty else { return content }
        let b = boundary()
        var mixed = "Content-Type: multipart/mixed; boundary=\"\(b)\"\r\n\r\n--\(b)\r\n\(content)\r\n"
        for attachment in draft.attachments { mixed += "--\(b)\r\n" + attachmentLeaf(attachment) + "\r\n" }
        return mixed + "--\(b)--\r\n"
    }

    /// A text leaf: 7bit when it is short-lined ASCII, else quoted-printable UTF-8.
    static func textLeaf(_ text: String, subtype: String) -> String {
        let bytes = LineEnds.lineFeeds(Array(text.utf8))
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8 + 128)
        if bytes.allSatisfy({ $0 < 0x80 }) && lines.allSatisfy({ $0.count <= 76 }) {
            out += "Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8
            for (index, line) in lines.enumerated() {
                if index > 0 { out += [0x0D, 0x0A] }
                out += line
            }
        } else {
            out +=
                "Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                .utf8
            for (index, line) in lines.enumerated() {
                if index > 0 { out += [0x0D, 0x0A] }
                quotedPrintable(line, into: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One line as quoted-printable, soft-broken within 76 characters.
    static func quotedPrintable(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        quotedPrintable(bytes[...], into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// One line as quoted-printable (RFC 2045 §6.7), appended to `out`: a space or tab at the line's end is
    /// encoded, and a soft break (`=` CRLF) keeps every encoded line within 76 characters.
    static func quotedPrintable(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var lineLength = 0
        let last = bytes.endIndex - 1
        for index in bytes.indices {
            let byte = bytes[index]
            let plain = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && index != last)
            let width = plain ? 1 : 3
            if lineLength + width > 75 {
                out += [UInt8(ascii: "="), 0x0D, 0x0A]
                lineLength = 0
            }
            if plain {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
            lineLength += width
        }
    }

    static func attachmentLeaf(_ attachment: EmailDraft.Attachment) -> String {
        var name = "filename=" + quoted(attachment.filename)
        var typeName = "name=" + quoted(attachment.filename)
        if !attachment.filename.allSatisfy(\.isASCII) {
            let encoded = attachment.filename.utf8.map { byte -> String in
                let safe =
                    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || "-._~".utf8.contains(byte)
                return safe ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
            }.joined()
            name = "filename*=utf-8''" + encoded
            typeName = "name=\"" + encodeWords(attachment.filename) + "\""
        }
        let base64 = Data(attachment.bytes).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        return "Content-Type: \(attachment.contentType); \(typeName)\r\nContent-Disposition: attachment; \(name)\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + base64
    }
}
