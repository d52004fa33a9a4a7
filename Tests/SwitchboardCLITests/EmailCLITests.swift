import Foundation
import SwitchboardTesting
import Testing

/// `switchboard email parse` as a user runs it.
@Suite struct EmailCLITests {
    static let message = """
        From: Ann Lee <ann@example.com>\r
        To: bob@example.com\r
        Subject: =?ISO-8859-1?Q?Bericht_f=FCr_Q3?=\r
        Date: Thu, 3 Dec 2026 15:04:05 +0100\r
        Message-ID: <q3@example.com>\r
        Content-Type: multipart/mixed; boundary="b"\r
        \r
        --b\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        Anbei der Bericht.\r
        --b\r
        Content-Type: application/pdf\r
        Content-Disposition: attachment; filename="q3.pdf"\r
        Content-Transfer-Encoding: base64\r
        \r
        JVBERi0xLjQK\r
        --b--\r

        """

    @Test func parsePrintsTheMessageShape() async throws {
        let scratch = Scratch()
        let file = scratch.write("q3.eml", Self.message)
        let result = try await CLI.call(["email", "parse", file, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["subject"] as? String == "Bericht für Q3")
        #expect((json?["from"] as? [[String: Any]])?.first?["name"] as? String == "Ann Lee")
        #expect((json?["to"] as? [[String: Any]])?.first?["address"] as? String == "bob@example.com")
        #expect(json?["cc"] as? [Any] != nil && (json?["cc"] as? [Any])?.isEmpty == true)
        #expect(json?["date"] as? String == "2026-12-03T15:04:05+01:00")
        #expect(json?["message_id"] as? String == "q3@example.com")
        #expect(json?["text"] as? String == "Anbei der Bericht.")
        #expect(json?["html"] is NSNull)
        let attachment = (json?["attachments"] as? [[String: Any]])?.first
        #expect(attachment?["filename"] as? String == "q3.pdf")
        #expect(attachment?["size"] as? Int == 9)
        #expect(attachment?["sha256"] as? String == "e5c62df5dab5c87b6a015ef3d43597074d1eec433b15f51aec63b8582d0e4ab4")
        let text = try await CLI.call(["email", "parse", "-"], stdin: Self.message)
        #expect(text.status == 0)
        #expect(text.stdout.contains("Subject: Bericht für Q3") && text.stdout.contains("Anbei der Bericht."))
        let garbage = try await CLI.call(["email", "parse", "-"], stdin: "\n\nno headers")
        #expect(garbage.status == 2 && garbage.stderr.contains("not an e-mail message"), "\(garbage.stderr)")
        let missing = try await CLI.call(["email", "parse", scratch.path + "/nope.eml"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.eml"))
    }
}

/// `switchboard email send` and `list` on the embedded Maildir, with no configuration.
@Suite struct EmailMaildirCLITests {
    @Test func sendAndListWithNoConfiguration() async throws {
        let scratch = Scratch()
        let common = ["--data-dir", scratch.path + "/data"]
        let attachment = scratch.write("report.pdf", "%PDF-1.4\n")
        let sent = try await CLI.call(
            [
                "email", "send", "--to", "alice@example.com", "--subject", "Q3 — numbers", "--text", "Attached.",
                "--attach", attachment, "--json",
            ]
                + common
        )
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains(#""accepted":["alice@example.com"]"#), "\(sent.stdout)")
        let outbox = scratch.path + "/data/mail/outbox/new"
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
        #expect(files.count == 1)
        let parsed = try await CLI.call(["email", "parse", outbox + "/" + files[0], "--json"])
        #expect(
            parsed.stdout.contains(#""subject":"Q3 — numbers""#)
                && parsed.stdout.contains(#""address":"switchboard@localhost""#)
        )
        #expect(parsed.stdout.contains(#""filename":"report.pdf""#))
        let bad = try await CLI.call(["email", "send", "--to", "alice@", "--subject", "x", "--text", "y"] + common)
        #expect(bad.status == 2 && bad.stderr.contains("'alice@'"), "\(bad.stderr)")
        // A missing attachment and a header with a line break: exit 2, named, and nothing written.
        let missing = try await CLI.call(
            [
                "email", "send", "--to", "bob@example.com", "--subject", "x", "--text", "y", "--attach",
                scratch.path + "/absent.pdf",
            ] + common
        )
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("attachments[0]: cannot read \(scratch.path)/absent.pdf"), "\(missing.stderr)")
        let injected = try await CLI.call(
            ["email", "send", "--to", "bob@example.com", "--subject", "x\r\nBcc: eve@example.com", "--text", "y"]
                + common
        )
        #expect(injected.status == 2)
        #expect(injected.stderr.contains("subject holds a line break"), "\(injected.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox).count == 1)
        try FileManager.default.createDirectory(
            atPath: scratch.path + "/data/mail/inbox/new",
            withIntermediateDirectories: true
        )
        try FileManager.default.copyItem(
            atPath: outbox + "/" + files[0],
            toPath: scratch.path + "/data/mail/inbox/new/a.eml"
        )
        let list = try await CLI.call(["email", "list"] + common)
        #expect(
            list.status == 0 && list.stdout.contains("switchboard@localhost  Q3 — numbers"),
            "\(list.stdout) \(list.stderr)"
        )
        #expect(list.stdout.hasPrefix("a.eml  "), "the uid leads the line: \(list.stdout)")
        // The filters work the same on the Maildir as over IMAP.
        let matching = try await CLI.call(["email", "list", "--subject", "q3 —", "--from", "SWITCHBOARD@"] + common)
        #expect(matching.stdout.contains("Q3 — numbers"), "\(matching.stdout) \(matching.stderr)")
        let other = try await CLI.call(["email", "list", "--subject", "Q4"] + common)
        #expect(other.stdout == "no messages in inbox\n")
        let future = try await CLI.call(["email", "list", "--since", "2999-01-01"] + common)
        #expect(future.stdout == "no messages in inbox\n")
    }
}
