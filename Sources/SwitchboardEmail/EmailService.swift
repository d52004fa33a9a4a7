import SwitchboardCore

/// What one e-mail backend does (SMTP with IMAP, an HTTP e-mail API, a local Maildir). ``EmailIntegration``
/// builds the operations on it.
public protocol EmailService: Sendable {
    /// The sender when neither the call nor the draft names one.
    var defaultFrom: MailAddress? { get }

    /// Sends (or delivers) one message: `draft` as the caller described it, `message` as MessageBuilder wrote it
    /// (what SMTP and a Maildir carry), to `draft.recipients`.
    func send(_ draft: EmailDraft, message: [UInt8], messageID: String) async throws -> SendResult

    /// The messages of `query.folder`, newest last: every one that may match (``MailQuery/since`` is applied
    /// exactly by the caller), at most ``MailQuery/backendLimit`` of them.
    func receive(_ query: MailQuery) async throws -> [ReceivedEmail]

    /// One message of `folder` by its uid, or nil.
    func fetch(folder: String, uid: String) async throws -> ReceivedEmail?

    /// Marks messages read (`\Seen`); returns the uids it found.
    func markRead(folder: String, uids: [String]) async throws -> [String]

    /// Moves messages to another folder; returns the uids it moved.
    func move(folder: String, uids: [String], to target: String) async throws -> [String]

    func shutdown() async throws
}

extension EmailService {
    public func shutdown() async throws {}

    static var noMailbox: IntegrationError {
        IntegrationError(
            code: .unknownOperation,
            message: "this service sends only; it has no mailbox to read",
            transience: .never,
            hint: "configure an smtp service with an imap: block, or a maildir, to receive"
        )
    }

    public func fetch(folder: String, uid: String) async throws -> ReceivedEmail? { throw Self.noMailbox }
    public func markRead(folder: String, uids: [String]) async throws -> [String] { throw Self.noMailbox }
    public func move(folder: String, uids: [String], to target: String) async throws -> [String] {
        throw Self.noMailbox
    }
}

/// What a send achieved, recipient by recipient.
public struct SendResult: Sendable {
    public struct Rejection: Sendable {
        public var address: String
        public var code: Int
        public var message: String
    }

    public var accepted: [String]
    public var rejected: [Rejection]
    /// The id the service gave the message, when it names its own (an HTTP API's `X-Message-Id`).
    public var messageID: String?

    public init(accepted: [String], rejected: [Rejection] = [], messageID: String? = nil) {
        self.accepted = accepted
        self.rejected = rejected
        self.messageID = messageID
    }
}

/// A received message: its mailbox id, flags and bytes.
public struct ReceivedEmail: Sendable {
    public var uid: String
    public var flags: [String]
    public var bytes: [UInt8]

    public init(uid: String, flags: [String], bytes: [UInt8]) {
        self.uid = uid
        self.flags = flags
        self.bytes = bytes
    }
}

/// RFC 5322 addr-spec checks, internationalised domains and local parts included.
package enum AddressCheck {
    /// `text` as one address (a display name may come with it: `Ann <ann@example.com>`).
    /// - Throws: `invalid_input` naming `field` and the text.
    package static func mailbox(_ text: String, field: String) throws -> MailAddress {
        let parsed = AddressList.parse(text)
        guard parsed.count == 1, let address = parsed.first, isAddrSpec(address.address) else {
            throw IntegrationError.invalidInput("\(field) '\(text)' is not an e-mail address")
        }
        return address
    }

    package static func isAddrSpec(_ address: String) -> Bool {
        guard address.count <= 320, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty, domain.count <= 255 else { return false }
        let specials = Set("()<>[]:;@\\,\" \t\r\n")
        guard
            !local.contains(where: { specials.contains($0) || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 || domain == "localhost" else { return false }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else { return false }
        }
        return true
    }
}
