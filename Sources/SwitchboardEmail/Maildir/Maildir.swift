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

    public func receive(folder: String, unseenOnly: Bool, limit: Int?) async throws -> [ReceivedEmail] {
        let directory = try Self.folderPath(path, folder)
        var found: [(String, String, [String])] = []
        for sub in ["new", "cur"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + sub)) ?? []
            for name in names where !name.hasPrefix(".") {
                var flags: [String] = []
                if let marker = name.range(of: ":2,") {
                    for letter in name[marker.upperBound...] {
                        switch letter {
                        case "S": flags.append("\\Seen")
                        case "R": flags.append("\\Answered")
                        case "F": flags.append("\\Flagged")
                        case "T": flags.append("\\Deleted")
                        case "D": flags.append("\\Draft")
                        default: break
                        }
                    }
                }
                if unseenOnly && flags.contains("\\Seen") { continue }
                found.append((name, directory + "/" + sub + "/" + name, flags))
            }
        }
        found.sort { $0.0 < $1.0 }
        if let limit, found.count > limit { found.removeFirst(found.count - limit) }
        return try found.map { name, file, flags in
            ReceivedEmail(
                uid: String(name.split(separator: ":").first ?? Substring(name)),
                flags: flags,
                bytes: [UInt8](try FileIO.readAll(file, limit: 64 << 20, what: "message"))
            )
        }
    }
}
