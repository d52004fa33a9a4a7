import Crypto
import Foundation
import SwitchboardCore

/// A message read for people and agents (`switchboard email parse`, `receive_emails`): the headers that matter,
/// the text and HTML bodies, and the attachments, chosen as a mail reader would.
///
/// `text` is the first text/plain leaf that is not an attachment, depth first, not inside a forwarded message,
/// and in a multipart/related only its root; `html` likewise. `attachments` are the other leaves that are marked
/// as attachments, have a file name, or are not text (a forwarded message is one).
public struct ParsedEmail: Sendable {
    public struct Attachment: Sendable {
        public var filename: String?
        public var contentType: String
        public var bytes: [UInt8]

        public var sha256: String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
    }

    public var subject: String?
    public var from: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var date: MailDate?
    public var messageID: String?
    public var text: String?
    public var html: String?
    public var attachments: [Attachment]
    /// What could not be read, part by part; the rest is still here.
    public var problems: [String]

    /// Reads a message.
    /// - Throws: `invalid_input` when the bytes have no header field at all (not a message).
    public init(parsing bytes: [UInt8]) throws {
        let root = MIMEParser.parse(bytes)
        guard !root.headers.fields.isEmpty else {
            throw IntegrationError.invalidInput("not an e-mail message: no header field before the first empty line")
        }
        subject = root.headers.raw("Subject").map { MIMEText.decodeUnstructured($0) }
        from = root.headers["From"].map(AddressList.parse) ?? []
        to = root.headers.all("To").flatMap(AddressList.parse)
        cc = root.headers.all("Cc").flatMap(AddressList.parse)
        date = root.headers["Date"].flatMap { MailDate(parsing: $0) }
        messageID = root.headers["Message-ID"].map { $0.trimming(" \t\r\n<>") }.flatMap {
            $0.isEmpty ? nil : $0
        }
        text = nil
        html = nil
        attachments = []
        problems = []
        walk(root, path: "1", root: true, relatedRoot: true)
    }

    private mutating func walk(_ part: MIMEPart, path: String, root: Bool, relatedRoot: Bool) {
        if let problem = part.problem { problems.append("part \(path) (\(part.contentType.value)): \(problem)") }
        if part.isMultipart && !part.parts.isEmpty {
            let related = part.contentType.value == "multipart/related"
            for (index, child) in part.parts.enumerated() {
                walk(
                    child,
                    path: "\(path).\(index + 1)",
                    root: false,
                    relatedRoot: relatedRoot && (!related || index == 0)
                )
            }
            return
        }
        if part.isMessage && !root {
            attachments.append(
                Attachment(filename: part.filename, contentType: part.contentType.value, bytes: part.body)
            )
            return
        }
        let type = part.contentType.value
        let inline = !part.isAttachment && relatedRoot
        if inline && type == "text/plain" && text == nil {
            text = Self.lineFeeds(part.text)
        } else if inline && type == "text/html" && html == nil {
            html = Self.lineFeeds(part.text)
        } else if part.isAttachment || part.filename != nil || !type.hasPrefix("text/") {
            attachments.append(Attachment(filename: part.filename, contentType: type, bytes: part.body))
        }
    }

    /// Text with CRLF (and lone CR) line ends as LF.
    static func lineFeeds(_ text: String) -> String { LineEnds.lineFeeds(text) }

    /// The `email parse` JSON.
    public var json: JSONValue {
        func addresses(_ list: [MailAddress]) -> JSONValue {
            .array(list.map { ["name": $0.name.map { .string($0) } ?? .null, "address": .string($0.address)] })
        }
        var out: [String: JSONValue] = [
            "subject": subject.map { .string($0) } ?? .null,
            "from": addresses(from), "to": addresses(to), "cc": addresses(cc),
            "date": date.map { .string($0.text) } ?? .null,
            "message_id": messageID.map { .string($0) } ?? .null,
            "text": text.map { .string($0) } ?? .null,
            "html": html.map { .string($0) } ?? .null,
            "attachments": .array(
                attachments.map {
                    [
                        "filename": $0.filename.map { .string($0) } ?? .null, "content_type": .string($0.contentType),
                        "size": .int($0.bytes.count), "sha256": .string($0.sha256),
                    ]
                }
            ),
        ]
        if !problems.isEmpty { out["problems"] = .array(problems.map { .string($0) }) }
        return .object(out)
    }
}
