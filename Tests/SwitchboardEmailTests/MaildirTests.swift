import Foundation
import SwitchboardCore
import SwitchboardEmail
import SwitchboardTesting
import Testing

/// Writing messages (MessageBuilder through send_email) and the Maildir: what is sent reads back intact.
@Suite struct MaildirTests {
    static func withMaildir<Result>(_ body: (IntegrationManager, String) async throws -> Result) async throws -> Result
    {
        try await ServiceHarness.withServices(
            [EmailAdapters.family()],
            yaml: { directory in "mail:\n  type: maildir\n  path: \(directory)/mail\n  from: Team <team@example.com>\n"
            },
            prefix: "maildir"
        ) { manager, directory in try await body(manager, directory) }
    }

    @Test func aSentMessageReadsBackIntact() async throws {
        try await Self.withMaildir { manager, directory in
            let binary = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let result = try await manager.execute(
                service: "mail",
                operation: "send_email",
                input: [
                    "to": ["Bob <bob@example.com>", "carol@例え.jp"], "cc": "dave@example.com",
                    "bcc": ["hidden@example.com"],
                    "subject": "Quartalsbericht für Q3 — mit Anhängen, and a long subject that needs folding",
                    "text": "Hallo Bob,\nanbei die Zahlen.\n", "html": "<p>Hallo <b>Bob</b></p>",
                    "attachments": [
                        ["filename": "data.bin", "content_base64": .string(Data(binary).base64EncodedString())],
                        [
                            "filename": "Übersicht 2026.txt",
                            "content_base64": .string(Data("ä\n".utf8).base64EncodedString()),
                        ],
                    ],
                ]
            )
            #expect(result["accepted"]?.arrayValue?.count == 4)
            let outbox = directory + "/mail/outbox/new"
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
            #expect(files.count == 1 && files[0].hasSuffix(".eml"))
            let attributes = try FileManager.default.attributesOfItem(atPath: outbox + "/" + files[0])
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: outbox + "/" + files[0])))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("hidden@example.com"), "Bcc never in the headers")
            #expect(text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 998 })
            let email = try ParsedEmail(parsing: bytes)
            #expect(email.subject == "Quartalsbericht für Q3 — mit Anhängen, and a long subject that needs folding")
            #expect(email.from == [MailAddress(name: "Team", address: "team@example.com")])
            #expect(email.to.map(\.address) == ["bob@example.com", "carol@例え.jp"])
            #expect(email.cc.map(\.address) == ["dave@example.com"])
            #expect(email.text == "Hallo Bob,\nanbei die Zahlen.\n")
            #expect(email.html == "<p>Hallo <b>Bob</b></p>")
            #expect(email.messageID == result["message_id"]?.stringValue)
            #expect(email.attachments.map(\.filename) == ["data.bin", "Übersicht 2026.txt"])
            #expect(email.attachments.first?.bytes == binary)
            #expect(email.problems.isEmpty)

            // What arrives in the inbox lists, parsed, without being marked read.
            try FileManager.default.createDirectory(
                atPath: directory + "/mail/inbox/new",
                withIntermediateDirectories: true
            )
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/mail/inbox/new/1.eml"))
            try FileManager.default.createDirectory(
                atPath: directory + "/mail/inbox/cur",
                withIntermediateDirectories: true
            )
            try Data("From: x@example.com\r\nSubject: old\r\n\r\nseen\r\n".utf8)
                .write(to: URL(fileURLWithPath: directory + "/mail/inbox/cur/0.eml:2,S"))
            let all = try await manager.execute(service: "mail", operation: "receive_emails", input: [:])
            #expect(all["messages"]?.arrayValue?.compactMap { $0["subject"]?.stringValue } == ["old", email.subject!])
            #expect(all["messages"]?.arrayValue?.first?["flags"] == ["\\Seen"])
            let unseen = try await manager.execute(
                service: "mail",
                operation: "receive_emails",
                input: ["unseen_only": true]
            )
            #expect(unseen["messages"]?.arrayValue?.count == 1)
            #expect(unseen["messages"]?.arrayValue?.first?["uid"] == "1.eml")

            // An attachment saved into a directory, by index and by name; a missing one names what there is.
            try FileManager.default.createDirectory(atPath: directory + "/saved", withIntermediateDirectories: true)
            let saved = try await manager.execute(
                service: "mail",
                operation: "get_attachment",
                input: ["uid": "1.eml", "index": 0, "destination": .string(directory + "/saved")]
            )
            #expect(saved["path"]?.stringValue == directory + "/saved/data.bin")
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/saved/data.bin"))) == binary)
            let byName = try await manager.execute(
                service: "mail",
                operation: "get_attachment",
                input: ["uid": "1.eml", "filename": "Übersicht 2026.txt", "destination": .string(directory + "/u.txt")]
            )
            #expect(byName["size"] == 3)
            await #expect {
                try await manager.execute(
                    service: "mail",
                    operation: "get_attachment",
                    input: ["uid": "1.eml", "filename": "nope.pdf", "destination": .string(directory + "/x")]
                )
            } throws: { error in (error as? IntegrationError)?.message.contains("0: data.bin") == true }

            // Read, then moved: the flags and folders follow.
            let marked = try await manager.execute(service: "mail", operation: "mark_read", input: ["uids": ["1.eml"]])
            #expect(marked["marked"] == ["1.eml"])
            let none = try await manager.execute(
                service: "mail",
                operation: "receive_emails",
                input: ["unseen_only": true]
            )
            #expect(none["messages"]?.arrayValue?.isEmpty == true)
            let moved = try await manager.execute(
                service: "mail",
                operation: "move",
                input: ["uids": ["1.eml", "0.eml"], "folder": "archive"]
            )
            #expect(moved["moved"] == ["1.eml", "0.eml"])
            let archive = try await manager.execute(
                service: "mail",
                operation: "receive_emails",
                input: ["folder": "archive"]
            )
            #expect(archive["messages"]?.arrayValue?.count == 2)
            #expect(archive["messages"]?.arrayValue?.allSatisfy { $0["flags"] == ["\\Seen"] } == true)
            let inbox = try await manager.execute(service: "mail", operation: "receive_emails", input: [:])
            #expect(inbox["messages"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func badInputIsRefusedBeforeAnythingIsSent() async throws {
        try await Self.withMaildir { manager, directory in
            func refused(_ input: JSONValue, _ text: String) async {
                await #expect {
                    try await manager.execute(service: "mail", operation: "send_email", input: input)
                } throws: { error in
                    guard let error = error as? IntegrationError else { return false }
                    return error.code == .invalidInput && error.message.contains(text)
                }
            }
            await refused(["to": ["bob@example.com", "not an address"], "text": "x"], "to[1] 'not an address'")
            await refused(["to": "bob@", "text": "x"], "to 'bob@'")
            await refused(
                ["to": "bob@example.com", "subject": "Hi\r\nBcc: evil@example.com", "text": "x"],
                "line break"
            )
            await refused(
                ["to": "bob@example.com", "attachments": [.string(directory + "/missing.pdf")]],
                "missing.pdf"
            )
            await refused(["to": "bob@example.com", "from": "Eve <eve@@example.com>"], "from")
            #expect(!FileManager.default.fileExists(atPath: directory + "/mail/outbox/new"), "nothing was sent")
        }
    }
}
