import Foundation
import SwitchboardCore

/// `type: smtp`: sends through a pool of authenticated SMTP sessions and, with an `imap:` block, reads, flags
/// and moves mail over IMAP.
public struct SMTPMailer: EmailService {
    public let defaultFrom: MailAddress?
    let pool: SMTPPool
    let imap: IMAPSettings?

    init(settings: SMTPSettings, imap: IMAPSettings?, from: MailAddress?, maximumConnections: Int) {
        pool = SMTPPool(settings: settings, maximum: maximumConnections)
        self.imap = imap
        defaultFrom = from
    }

    public func send(_ draft: EmailDraft, message: [UInt8], messageID: String) async throws -> SendResult {
        let recipients = draft.recipients
        let sender = draft.from.address
        return try await pool.withSession { session in
            try await session.send(from: sender, to: recipients, message: message)
        }
    }

    private func mailbox() throws -> IMAPSettings {
        guard let imap else { throw Self.noMailbox }
        return imap
    }

    public func receive(_ query: MailQuery) async throws -> [ReceivedEmail] {
        try await IMAPSession.with(try mailbox()) { session in
            try await session.open(folder: query.folder, readOnly: true)
            var criteria: [IMAPSession.Argument] = query.unseenOnly ? [.atom("UNSEEN")] : []
            if let since = query.imapSince { criteria += [.atom("SINCE"), .atom(since)] }
            if let from = query.from { criteria += [.atom("FROM"), .text(from)] }
            if let subject = query.subject { criteria += [.atom("SUBJECT"), .text(subject)] }
            if [query.from, query.subject].contains(where: { $0?.unicodeScalars.contains { !$0.isASCII } == true }) {
                criteria.insert(contentsOf: [.atom("CHARSET"), .atom("UTF-8")], at: 0)
            }
            var uids = try await session.search(criteria)
            if let limit = query.backendLimit, uids.count > limit { uids.removeFirst(uids.count - limit) }
            var out: [ReceivedEmail] = []
            // In batches, so one response never holds more than a few hundred messages.
            var start = 0
            while start < uids.count {
                let batch = Array(uids[start..<min(uids.count, start + 200)])
                for message in try await session.fetch(batch) {
                    out.append(ReceivedEmail(uid: String(message.uid), flags: message.flags, bytes: message.body ?? []))
                }
                start += batch.count
            }
            return out
        }
    }

    public func fetch(folder: String, uid: String) async throws -> ReceivedEmail? {
        guard let number = UInt32(uid) else { throw IntegrationError.invalidInput("uid '\(uid)' is not an IMAP uid") }
        return try await IMAPSession.with(try mailbox()) { session in
            try await session.open(folder: folder, readOnly: true)
            return try await session.fetch([number]).first.map {
                ReceivedEmail(uid: String($0.uid), flags: $0.flags, bytes: $0.body ?? [])
            }
        }
    }

    private static func numbers(_ uids: [String]) throws -> [UInt32] {
        try uids.map { uid in
            guard let number = UInt32(uid) else {
                throw IntegrationError.invalidInput("uid '\(uid)' is not an IMAP uid")
            }
            return number
        }
    }

    public func markRead(folder: String, uids: [String]) async throws -> [String] {
        let numbers = try Self.numbers(uids)
        return try await IMAPSession.with(try mailbox()) { session in
            try await session.open(folder: folder, readOnly: false)
            let found = try await session.fetch(numbers, items: "(UID FLAGS)").map(\.uid)
            try await session.addFlags(found, ["\\Seen"])
            return found.map(String.init)
        }
    }

    public func move(folder: String, uids: [String], to target: String) async throws -> [String] {
        let numbers = try Self.numbers(uids)
        return try await IMAPSession.with(try mailbox()) { session in
            let folders = try await session.mailboxes()
            guard folders.contains(where: { $0.caseInsensitiveCompare(target) == .orderedSame }) else {
                throw IntegrationError(
                    code: .notFound,
                    message: "folder '\(target)' does not exist (folders: \(folders.joined(separator: ", ")))"
                )
            }
            try await session.open(folder: folder, readOnly: false)
            let found = try await session.fetch(numbers, items: "(UID FLAGS)").map(\.uid)
            try await session.move(
                found,
                to: folders.first { $0.caseInsensitiveCompare(target) == .orderedSame } ?? target
            )
            return found.map(String.init)
        }
    }

    public func shutdown() async throws { await pool.shutdown() }
}
