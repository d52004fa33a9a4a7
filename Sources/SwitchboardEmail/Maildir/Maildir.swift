import Foundation
import SwitchboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Mail as Maildir folders (`tmp`, `new`, `cur`): sending delivers into `<path>/outbox` (written in `tmp`, renamed
/// into `new` as `<unique>.eml`, mode 0600, so a person can open it); receiving reads `<path>/<folder>`
/// (`inbox` by default), with the flags of the `:2,` suffix. The embedded `email` service is `<data-dir>/mail`.
public struct MaildirMailbox: EmailService {
    public let path: String
    public let defaultFrom: MailAddress?

    public init(path: String, from: MailAddress?) {
        self.path = path
        defaultFrom = from
    }

    static func folderPath(_ root: String, _ folder: String) throws -> String {
        guard !folder.isEmpty, !folder.contains("/"), folder != ".", folder != ".." else {
            throw IntegrationError.invalidInput("folder '\(folder)' is not a folder name")
        }
        return root + "/" + folder.lowercased()
    }

    public func send(_ draft: EmailDraft, message: [UInt8], messageID: String) async throws -> SendResult {
        let outbox = try Self.folderPath(path, "outbox")
        for sub in ["tmp", "new", "cur"] { try FileIO.ensureDirectory(outbox + "/" + sub) }
        let unique =
            "\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString.prefix(12).lowercased()).\(ProcessInfo.processInfo.processIdentifier)"
        let temporary = outbox + "/tmp/" + unique + ".eml"
        try FileIO.writeAtomically(Data(message), to: temporary, permissions: 0o600)
        guard rename(temporary, outbox + "/new/" + unique + ".eml") == 0 else {
            unlink(temporary)
            throw IntegrationError(code: .internalError, message: "cannot deliver into \(outbox)/new")
        }
        return SendResult(accepted: draft.recipients)
    }

    public func receive(_ query: MailQuery) async throws -> [ReceivedEmail] {
        let directory = try Self.folderPath(path, query.folder)
        var found: [(String, String, [String])] = []
        for sub in ["new", "cur"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + sub)) ?? []
            for name in names where !name.hasPrefix(".") {
                let flags = Self.flags(of: name)
                if query.unseenOnly && flags.contains("\\Seen") { continue }
                found.append((name, directory + "/" + sub + "/" + name, flags))
            }
        }
        found.sort { $0.0 < $1.0 }
        if let limit = query.backendLimit, found.count > limit { found.removeFirst(found.count - limit) }
        return try found.map { name, file, flags in
            ReceivedEmail(
                uid: String(name.split(separator: ":").first ?? Substring(name)),
                flags: flags,
                bytes: [UInt8](try FileIO.readAll(file, limit: 64 << 20, what: "message"))
            )
        }
    }

    /// The IMAP-style flags of a Maildir file name's `:2,` suffix.
    static func flags(of name: String) -> [String] {
        guard let marker = name.range(of: ":2,") else { return [] }
        return name[marker.upperBound...].compactMap { letter in
            switch letter {
            case "S": "\\Seen"
            case "R": "\\Answered"
            case "F": "\\Flagged"
            case "T": "\\Deleted"
            case "D": "\\Draft"
            default: nil
            }
        }
    }

    /// The file of message `uid` in `folder` (`new` or `cur`, any flags), checked to be a plain name.
    func file(folder: String, uid: String) throws -> (path: String, sub: String, name: String)? {
        guard !uid.isEmpty, !uid.contains("/"), !uid.hasPrefix(".") else {
            throw IntegrationError.invalidInput("uid '\(uid)' is not a message of this Maildir")
        }
        let directory = try Self.folderPath(path, folder)
        for sub in ["new", "cur"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + sub)) ?? []
            if let name = names.first(where: { $0 == uid || $0.hasPrefix(uid + ":") }) {
                return (directory + "/" + sub + "/" + name, sub, name)
            }
        }
        return nil
    }

    public func fetch(folder: String, uid: String) async throws -> ReceivedEmail? {
        guard let found = try file(folder: folder, uid: uid) else { return nil }
        return ReceivedEmail(
            uid: uid,
            flags: Self.flags(of: found.name),
            bytes: [UInt8](try FileIO.readAll(found.path, limit: 64 << 20, what: "message"))
        )
    }

    public func markRead(folder: String, uids: [String]) async throws -> [String] {
        var marked: [String] = []
        for uid in uids {
            guard let found = try file(folder: folder, uid: uid) else { continue }
            var base = found.name
            var flags = ""
            if let marker = base.range(of: ":2,") {
                flags = String(base[marker.upperBound...])
                base = String(base[..<marker.lowerBound])
            }
            if !flags.contains("S") { flags = String((flags + "S").sorted()) }
            let directory = try Self.folderPath(path, folder)
            try FileIO.ensureDirectory(directory + "/cur")
            guard rename(found.path, directory + "/cur/" + base + ":2," + flags) == 0 else {
                throw IntegrationError(code: .internalError, message: "cannot mark \(uid) read in \(directory)")
            }
            marked.append(uid)
        }
        return marked
    }

    public func move(folder: String, uids: [String], to target: String) async throws -> [String] {
        let destination = try Self.folderPath(path, target)
        var moved: [String] = []
        for uid in uids {
            guard let found = try file(folder: folder, uid: uid) else { continue }
            try FileIO.ensureDirectory(destination + "/" + found.sub)
            guard rename(found.path, destination + "/" + found.sub + "/" + found.name) == 0 else {
                throw IntegrationError(code: .internalError, message: "cannot move \(uid) to \(destination)")
            }
            moved.append(uid)
        }
        return moved
    }
}
