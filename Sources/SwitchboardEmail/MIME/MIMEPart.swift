import Crypto
import Foundation

/// One part of a message (the message itself is the root): its headers, content type, disposition, decoded body
/// (for a leaf), sub-parts (a multipart, or the message inside `message/rfc822`), and what went wrong reading it.
public struct MIMEPart: Sendable {
    package var headers: HeaderFields
    public var contentType: MIMEParameters
    public var disposition: MIMEParameters?
    /// A leaf's body, transfer encoding undone.
    public var body: [UInt8]
    public var parts: [MIMEPart]
    /// A problem reading this part (an unknown transfer encoding, a multipart without its boundary); the rest of
    /// the message is still read.
    public var problem: String?

    public var isMultipart: Bool { contentType.value.hasPrefix("multipart/") }
    public var isMessage: Bool { contentType.value == "message/rfc822" || contentType.value == "message/global" }

    /// The file name: `Content-Disposition: filename`, else `Content-Type: name`.
    public var filename: String? {
        let name = disposition?.parameters["filename"] ?? contentType.parameters["name"]
        return name.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var isAttachment: Bool { disposition?.value == "attachment" }

    /// A text leaf's body as Unicode, through its charset.
    public var text: String { Charsets.decode(body, charset: contentType.parameters["charset"]).text }
}

/// Reads a message (RFC 5322, MIME RFC 2045–2049): the header block, then the body as one leaf or a tree of
/// multiparts (to a depth of 64), `message/rfc822` parts as messages of their own. Never fails on malformed
/// input past the headers: problems are recorded on the part they concern.
public enum MIMEParser {
    static let maximumDepth = 64

    /// Parses a whole message.
    public static func parse(_ bytes: [UInt8]) -> MIMEPart {
        parsePart(bytes[...], depth: 0, defaultType: "text/plain")
    }

    static func parsePart(_ bytes: ArraySlice<UInt8>, depth: Int, defaultType: String) -> MIMEPart {
        let (headerBytes, bodyBytes) = split(bytes)
        let headers = HeaderFields(parsing: headerBytes)
        var contentType = MIMEParameters(parsing: headers["Content-Type"] ?? defaultType)
        if !contentType.value.contains("/") { contentType.value = defaultType }
        let disposition = headers["Content-Disposition"].map { MIMEParameters(parsing: $0) }
        var part = MIMEPart(
            headers: headers,
            contentType: contentType,
            disposition: disposition,
            body: [],
            parts: [],
            problem: nil
        )
        guard depth < maximumDepth else {
            part.problem = "nested deeper than \(maximumDepth) parts; the rest is not read"
            return part
        }
        let encoding = (headers["Content-Transfer-Encoding"] ?? "7bit").trimming(" \t\r\n\"").lowercased()
        if part.isMultipart, let boundary = contentType.parameters["boundary"], !boundary.isEmpty {
            let childDefault = contentType.value == "multipart/digest" ? "message/rfc822" : "text/plain"
            let sections = multipartSections(bodyBytes, boundary: Array(boundary.utf8))
            if sections.isEmpty {
                part.problem = "multipart without any part delimited by its boundary \(boundary)"
                part.body = Array(bodyBytes)
            }
            part.parts = sections.map { parsePart($0, depth: depth + 1, defaultType: childDefault) }
            return part
        }
        if part.isMultipart {
            part.problem = "multipart without a boundary parameter; read as one part"
        }
        var decoded: [UInt8]
        switch encoding {
        case "base64": decoded = Base64Lenient.decode(bodyBytes)
        case "quoted-printable": decoded = QuotedPrintable.decode(Array(bodyBytes))
        case "7bit", "8bit", "binary", "": decoded = Array(bodyBytes)
        default:
            decoded = Array(bodyBytes)
            part.problem = "unknown Content-Transfer-Encoding \(encoding); the body is read as it stands"
        }
        if part.isMessage && encoding != "base64" && encoding != "quoted-printable" {
            part.parts = [parsePart(decoded[...], depth: depth + 1, defaultType: "text/plain")]
        }
        // A text body's final line break belongs to the delimiter in a multipart, not the text.
        part.body = decoded
        return part
    }

    /// The header block and the body: split at the first empty line (CRLF or LF).
    static func split(_ bytes: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        var i = bytes.startIndex
        // A part that starts with a blank line has no headers.
        if bytes.first == 0x0A { return (bytes[i..<i], bytes[(i + 1)...]) }
        if bytes.starts(with: [0x0D, 0x0A]) { return (bytes[i..<i], bytes[(i + 2)...]) }
        while i < bytes.endIndex {
            guard let newline = bytes[i...].firstIndex(of: 0x0A) else { break }
            var next = newline + 1
            if next < bytes.endIndex && bytes[next] == 0x0D { next += 1 }
            if next < bytes.endIndex && bytes[next] == 0x0A { return (bytes[..<newline], bytes[(next + 1)...]) }
            if next >= bytes.endIndex { return (bytes[..<newline], bytes[bytes.endIndex...]) }
            i = newline + 1
        }
        return (bytes, bytes[bytes.endIndex...])
    }

    /// The sections between `--boundary` lines, up to `--boundary--` (preamble and epilogue dropped). The line
    /// break before each delimiter belongs to the delimiter.
    static func multipartSections(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> [ArraySlice<UInt8>] {
        var sections: [ArraySlice<UInt8>] = []
        var sectionStart: Int?
        var lineStart = body.startIndex
        let delimiter: [UInt8] = [0x2D, 0x2D] + boundary
        while lineStart < body.endIndex {
            let lineEnd = body[lineStart...].firstIndex(of: 0x0A) ?? body.endIndex
            let line = body[lineStart..<lineEnd]
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let closing = rest.starts(with: [0x2D, 0x2D])
                if closing || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    if let start = sectionStart {
                        var end = lineStart
                        if end > start && body[end - 1] == 0x0A { end -= 1 }
                        if end > start && body[end - 1] == 0x0D { end -= 1 }
                        sections.append(body[start..<max(start, end)])
                    }
                    if closing { return sections }
                    sectionStart = lineEnd < body.endIndex ? lineEnd + 1 : body.endIndex
                }
            }
            lineStart = lineEnd < body.endIndex ? lineEnd + 1 : body.endIndex
        }
        // No closing delimiter: what follows the last one is a part too.
        if let start = sectionStart, start <= body.endIndex { sections.append(body[start...]) }
        return sections
    }
}
