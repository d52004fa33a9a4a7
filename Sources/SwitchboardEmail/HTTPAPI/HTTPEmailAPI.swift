import Foundation
import SwitchboardCore
import SwitchboardHTTP

/// An HTTP e-mail API in SendGrid v3's shape (the seed's `email_config.yaml`): `POST {base_url}{send_path}`
/// (default `https://api.sendgrid.com/v3` and `/mail/send`) with `Authorization: Bearer {api_key}` and the
/// documented JSON body (`personalizations`, `from`, `reply_to_list`, `subject`, `content`, `attachments`,
/// `headers`); the `X-Message-Id` answer header is the message id. Receiving is not part of such an API.
public struct HTTPEmailAPI: EmailService {
    public let defaultFrom: MailAddress?
    let settings: HTTPServiceSettings
    let transport: HTTPTransport
    let authenticator: any Authenticator
    let sendPath: String
    let ownsTransport: Bool

    public init(
        settings: HTTPServiceSettings,
        transport: HTTPTransport,
        authenticator: any Authenticator,
        from: MailAddress?,
        sendPath: String = "/mail/send",
        ownsTransport: Bool = false
    ) {
        self.settings = settings
        self.transport = transport
        self.authenticator = authenticator
        defaultFrom = from
        self.sendPath = sendPath
        self.ownsTransport = ownsTransport
    }

    public func shutdown() async throws {
        if ownsTransport { try await transport.shutdown() }
    }

    /// The request body for `draft`.
    static func body(_ draft: EmailDraft) -> JSONValue {
        func mailbox(_ address: MailAddress) -> JSONValue {
            var out: [String: JSONValue] = ["email": .string(address.address)]
            if let name = address.name, !name.isEmpty { out["name"] = .string(name) }
            return .object(out)
        }
        var personalization: [String: JSONValue] = ["to": .array(draft.to.map(mailbox))]
        if !draft.cc.isEmpty { personalization["cc"] = .array(draft.cc.map(mailbox)) }
        if !draft.bcc.isEmpty { personalization["bcc"] = .array(draft.bcc.map(mailbox)) }
        var body: [String: JSONValue] = [
            "personalizations": [.object(personalization)], "from": mailbox(draft.from),
            "subject": .string(draft.subject ?? ""),
        ]
        var content: [JSONValue] = []
        // The API wants text/plain first, then text/html.
        if let text = draft.text { content.append(["type": "text/plain", "value": .string(text)]) }
        if let html = draft.html { content.append(["type": "text/html", "value": .string(html)]) }
        if content.isEmpty { content.append(["type": "text/plain", "value": " "]) }
        body["content"] = .array(content)
        if !draft.replyTo.isEmpty { body["reply_to_list"] = .array(draft.replyTo.map(mailbox)) }
        if !draft.attachments.isEmpty {
            body["attachments"] = .array(
                draft.attachments.map {
                    [
                        "content": .string(Data($0.bytes).base64EncodedString()), "filename": .string($0.filename),
                        "type": .string($0.contentType), "disposition": "attachment",
                    ]
                }
            )
        }
        var headers: [String: JSONValue] = [:]
        if let reply = draft.inReplyTo { headers["In-Reply-To"] = .string(MessageBuilder.angled(reply)) }
        if !draft.references.isEmpty {
            headers["References"] = .string(draft.references.map(MessageBuilder.angled).joined(separator: " "))
        }
        if !headers.isEmpty { body["headers"] = .object(headers) }
        return .object(body)
    }

    public func send(_ draft: EmailDraft, message: [UInt8], messageID: String) async throws -> SendResult {
        let response = try await transport.send(
            TransportRequest(
                method: "POST",
                url: try settings.url(path: sendPath),
                headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                body: TransportBody(Data(Self.body(draft).jsonString().utf8))
            ),
            settings: settings,
            authenticator: authenticator
        )
        return SendResult(accepted: draft.recipients, messageID: response.header("X-Message-Id"))
    }

    public func receive(_ query: MailQuery) async throws -> [ReceivedEmail] {
        throw IntegrationError(
            code: .unknownOperation,
            message: "\(settings.service) is an HTTP sending API; it has no mailbox to read",
            transience: .never,
            hint: "configure an smtp service with an imap: block, or a maildir, to receive"
        )
    }
}
