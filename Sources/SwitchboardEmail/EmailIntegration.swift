import Foundation
import SwitchboardCore

/// The e-mail operations on any ``EmailService``: `send_email` (the seed's `email_data` as its whole input) and
/// `receive_emails`.
public struct EmailIntegration: Integration {
    public let kind: String
    let mail: any EmailService

    public init(kind: String, mail: any EmailService) {
        self.kind = kind
        self.mail = mail
    }

    public func shutdown() async throws { try await mail.shutdown() }

    public var operations: [OperationDescriptor] { Self.table.descriptors }

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        try await Self.table.run(operation, on: self, input: input, context: context)
    }

    static let addresses: JSONValue = ["type": ["string", "array"], "items": ["type": "string"]]

    static let table = OperationTable<EmailIntegration>([
        .init(
            OperationDescriptor(
                name: "send_email",
                summary:
                    "Send one message: to, cc, bcc, subject, text, html, attachments (paths or {filename, content_type, content_base64})",
                inputSchema: [
                    "type": "object", "required": ["to"],
                    "properties": [
                        "from": ["type": "string"], "to": addresses, "cc": addresses, "bcc": addresses,
                        "reply_to": addresses, "subject": ["type": ["string", "null"]],
                        "text": ["type": ["string", "null"]], "html": ["type": ["string", "null"]],
                        "attachments": ["type": "array", "items": ["type": ["string", "object"]]],
                        "in_reply_to": ["type": ["string", "null"]], "references": addresses,
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .nonIdempotent
            )
        ) { adapter, input, context in try await adapter.send(input, context) },
        .init(
            OperationDescriptor(
                name: "receive_emails",
                summary:
                    "The messages of a folder (default inbox), parsed; since (a day), from and subject (parts of "
                    + "them) narrow it; listing never marks them read",
                inputSchema: [
                    "type": "object",
                    "properties": [
                        "folder": ["type": "string", "minLength": 1], "since": ["type": "string"],
                        "from": ["type": "string", "minLength": 1], "subject": ["type": "string", "minLength": 1],
                        "unseen_only": ["type": "boolean"], "limit": ["type": "integer", "minimum": 1],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.receive(input) },
        .init(
            OperationDescriptor(
                name: "get_attachment",
                summary: "Save one attachment of a message (by index from 0, or by filename) into destination",
                inputSchema: [
                    "type": "object", "required": ["uid", "destination"],
                    "properties": [
                        "uid": ["type": ["string", "integer"]], "folder": ["type": "string", "minLength": 1],
                        "index": ["type": "integer", "minimum": 0], "filename": ["type": "string"],
                        "destination": ["type": "string", "minLength": 1],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.attachment(input) },
        .init(
            OperationDescriptor(
                name: "mark_read",
                summary: "Mark messages read",
                inputSchema: [
                    "type": "object", "required": ["uids"],
                    "properties": ["uids": uids, "folder": ["type": "string", "minLength": 1]],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, _ in
            let marked = try await adapter.mail.markRead(folder: folder(input), uids: try uidList(input))
            return ["marked": .array(marked.map { .string($0) })]
        },
        .init(
            OperationDescriptor(
                name: "move",
                summary: "Move messages to another folder (from_folder, default inbox)",
                inputSchema: [
                    "type": "object", "required": ["uids", "folder"],
                    "properties": [
                        "uids": uids, "folder": ["type": "string", "minLength": 1],
                        "from_folder": ["type": "string", "minLength": 1],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, _ in
            let moved = try await adapter.mail.move(
                folder: input["from_folder"]?.stringValue ?? "inbox",
                uids: try uidList(input),
                to: input["folder"]?.stringValue ?? ""
            )
            return ["moved": .array(moved.map { .string($0) })]
        },
    ])

    static let uids: JSONValue = ["type": "array", "items": ["type": ["string", "integer"]]]

    static func folder(_ input: JSONValue) -> String { input["folder"]?.stringValue ?? "inbox" }

    static func uidList(_ input: JSONValue) throws -> [String] {
        let list = (input["uids"]?.arrayValue ?? []).map { $0.stringValue ?? $0.intValue.map(String.init) ?? "" }
        guard !list.isEmpty, !list.contains("") else { throw IntegrationError.invalidInput("uids names no message") }
        return list
    }

    func attachment(_ input: JSONValue) async throws -> JSONValue {
        let uid = input["uid"]?.stringValue ?? input["uid"]?.intValue.map(String.init) ?? ""
        guard let message = try await mail.fetch(folder: Self.folder(input), uid: uid) else {
            throw IntegrationError(
                code: .notFound,
                message: "no message \(uid) in \(Self.folder(input))",
                transience: .never
            )
        }
        let email = try ParsedEmail(parsing: message.bytes)
        let chosen: ParsedEmail.Attachment?
        if let name = input["filename"]?.stringValue {
            chosen = email.attachments.first { $0.filename == name }
        } else {
            let index = input["index"]?.intValue ?? 0
            chosen = index < email.attachments.count ? email.attachments[index] : nil
        }
        guard let attachment = chosen else {
            let names = email.attachments.enumerated().map { "\($0.offset): \($0.element.filename ?? "(no name)")" }
            throw IntegrationError(
                code: .notFound,
                message: "message \(uid) has no such attachment; it has "
                    + (names.isEmpty ? "none" : names.joined(separator: ", ")),
                transience: .never
            )
        }
        var destination = input["destination"]?.stringValue ?? ""
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            let safe = (attachment.filename ?? "attachment").replacingOccurrences(of: "/", with: "_")
            destination += (destination.hasSuffix("/") ? "" : "/") + (safe.hasPrefix(".") ? "_" + safe : safe)
        }
        let parent = (destination as NSString).deletingLastPathComponent
        guard parent.isEmpty || FileManager.default.fileExists(atPath: parent) else {
            throw IntegrationError.invalidInput("destination's directory \(parent) does not exist")
        }
        try FileIO.writeAtomically(Data(attachment.bytes), to: destination, permissions: 0o600)
        return [
            "path": .string(destination), "size": .int(attachment.bytes.count), "sha256": .string(attachment.sha256),
        ]
    }

    /// The draft `input` describes, every address and file checked before anything is sent.
    func draft(_ input: JSONValue) throws -> EmailDraft {
        func list(_ key: String) throws -> [MailAddress] {
            let values: [String]
            switch input[key] {
            case .string(let one)?: values = [one]
            case .array(let items)?: values = items.compactMap(\.stringValue)
            default: values = []
            }
            return try values.enumerated().map { index, text in
                try AddressCheck.mailbox(text, field: values.count == 1 ? key : "\(key)[\(index)]")
            }
        }
        let from: MailAddress
        if let given = input["from"]?.stringValue {
            from = try AddressCheck.mailbox(given, field: "from")
        } else if let configured = mail.defaultFrom {
            from = configured
        } else {
            throw IntegrationError.invalidInput(
                "no sender: give from, or set from: in the service's configuration"
            )
        }
        let to = try list("to")
        guard !to.isEmpty else { throw IntegrationError.invalidInput("to names no recipient") }
        var draft = EmailDraft(from: from, to: to)
        draft.cc = try list("cc")
        draft.bcc = try list("bcc")
        draft.replyTo = try list("reply_to")
        draft.subject = input["subject"]?.stringValue
        draft.text = input["text"]?.stringValue
        draft.html = input["html"]?.stringValue
        draft.inReplyTo = input["in_reply_to"]?.stringValue
        switch input["references"] {
        case .string(let one)?: draft.references = one.split(separator: " ").map(String.init)
        case .array(let items)?: draft.references = items.compactMap(\.stringValue)
        default: break
        }
        for (index, item) in (input["attachments"]?.arrayValue ?? []).enumerated() {
            if let path = item.stringValue {
                let data: Data
                do {
                    data = try FileIO.readAll(path, limit: 64 << 20, what: "attachments[\(index)]")
                } catch let error as IntegrationError {
                    throw IntegrationError.invalidInput(error.message)
                }
                draft.attachments.append(
                    .init(
                        filename: (path as NSString).lastPathComponent,
                        contentType: Self.contentType(of: path),
                        bytes: [UInt8](data)
                    )
                )
            } else {
                guard let name = item["filename"]?.stringValue, !name.isEmpty,
                    let encoded = item["content_base64"]?.stringValue,
                    let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters)
                else {
                    throw IntegrationError.invalidInput(
                        "attachments[\(index)] needs filename and content_base64 (base64), or is a file path"
                    )
                }
                if MessageBuilder.hasLineBreak(name) || name.contains("\"") {
                    throw IntegrationError.invalidInput("attachments[\(index)].filename holds a line break or quote")
                }
                draft.attachments.append(
                    .init(
                        filename: name,
                        contentType: item["content_type"]?.stringValue ?? Self.contentType(of: name),
                        bytes: [UInt8](bytes)
                    )
                )
            }
        }
        return draft
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "txt": "text/plain"
        case "html", "htm": "text/html"
        case "csv": "text/csv"
        case "json": "application/json"
        case "ics": "text/calendar"
        case "zip": "application/zip"
        default: "application/octet-stream"
        }
    }

    func send(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        let draft = try draft(input)
        let (bytes, id) = try MessageBuilder.build(draft, date: context.clock.wallTime)
        let result = try await mail.send(draft, message: bytes, messageID: id)
        return [
            "message_id": .string(result.messageID ?? id), "accepted": .array(result.accepted.map { .string($0) }),
            "rejected": .array(
                result.rejected.map {
                    ["address": .string($0.address), "code": .int($0.code), "message": .string($0.message)]
                }
            ),
        ]
    }

    func receive(_ input: JSONValue) async throws -> JSONValue {
        let since = try input["since"]?.stringValue.map { text -> String in
            let day = String(text.prefix(10))
            guard MailQuery.day(day) != nil, text.count == 10 || text.dropFirst(10).first == "T" else {
                throw IntegrationError.invalidInput("since '\(text)' is not a date such as 2026-12-01")
            }
            return day
        }
        let query = MailQuery(
            folder: input["folder"]?.stringValue ?? "inbox",
            unseenOnly: input["unseen_only"]?.boolValue ?? false,
            since: since,
            from: input["from"]?.stringValue,
            subject: input["subject"]?.stringValue,
            limit: input["limit"]?.intValue
        )
        var out: [JSONValue] = []
        for message in try await mail.receive(query) {
            let email: ParsedEmail
            do {
                email = try ParsedEmail(parsing: message.bytes)
            } catch {
                // Listed, not dropped: the caller sees that the message is there and why it cannot be read.
                if query.isFiltered { continue }
                out.append([
                    "uid": .string(message.uid), "flags": .array(message.flags.map { .string($0) }),
                    "error": .string("the message cannot be read: \(error)"),
                ])
                continue
            }
            if let since {
                guard let date = email.date, date.text.prefix(10) >= since else { continue }
            }
            // The server narrowed by FROM/SUBJECT on raw headers; the decoded ones decide.
            if let from = query.from {
                let matches = email.from.contains {
                    $0.address.localizedCaseInsensitiveContains(from)
                        || $0.name?.localizedCaseInsensitiveContains(from) == true
                }
                guard matches else { continue }
            }
            if let subject = query.subject {
                guard email.subject?.localizedCaseInsensitiveContains(subject) == true else { continue }
            }
            guard case .object(var fields) = email.json else { continue }
            fields["uid"] = .string(message.uid)
            fields["flags"] = .array(message.flags.map { .string($0) })
            out.append(.object(fields))
        }
        if let limit = query.limit, out.count > limit { out.removeFirst(out.count - limit) }
        return ["messages": .array(out)]
    }
}
