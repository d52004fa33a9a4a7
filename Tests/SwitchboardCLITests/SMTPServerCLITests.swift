import Crypto
import Foundation
import SwitchboardCore
import SwitchboardTesting
import Testing

/// `switchboard email` and `switchboard call email …` with `type: smtp` against the real Postfix (submission,
/// STARTTLS or implicit TLS, AUTH) and Dovecot (IMAP) that `scripts/services up mail` starts on loopback. Every
/// test marks its messages with a token of its own, so the suites share the mailboxes safely.
@Suite struct SMTPServerCLITests {
    /// The running servers, from the environment `scripts/services up mail` exports; a test fails without them.
    struct Servers {
        let environment: [String: String]
        init() throws {
            let environment = ProcessInfo.processInfo.environment
            _ = try #require(
                environment["SMTP_PORT"],
                "run the tests with scripts/test (it starts Postfix and Dovecot)"
            )
            self.environment = environment
        }
        subscript(_ key: String) -> String { environment[key] ?? "" }
    }

    /// A `type: smtp` service named `email`; `smtp`/`imap` are extra keys of the blocks, `user` picks alice or bob.
    static func config(
        _ servers: Servers,
        scratch: Scratch,
        name: String = "mail.yaml",
        host: String? = nil,
        smtp: String = "",
        imap: String = "",
        password: String = "${SMTP_PASSWORD}",
        user: String? = nil
    ) -> String {
        let host = host ?? servers["SMTP_HOST"]
        let smtpPort = smtp.contains("port:") ? "" : "port: \(servers["SMTP_PORT"]), "
        let imapPort = imap.contains("port:") ? "" : "port: \(servers["IMAP_PORT"])"
        return scratch.write(
            name,
            """
            email:
              type: smtp
              smtp: {host: \(host), \(smtpPort)username: \(user ?? servers["SMTP_USER"]), password: "\(password)", \
            ca_file: \(servers["MAIL_CA_FILE"])\(smtp.isEmpty ? "" : ", " + smtp)}
              imap: {\(imapPort)\(imap.isEmpty ? "" : (imapPort.isEmpty ? "" : ", ") + imap)}
            """
        )
    }

    /// Lists `folder` until a message whose subject contains `token` is there (Postfix delivers through its
    /// queue, so a sent message lands a moment later), and returns it with the whole listing.
    static func waitFor(
        _ token: String,
        config: String,
        folder: String = "inbox",
        extra: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> JSONValue {
        for _ in 0..<100 {
            let list = try await CLI.call(
                ["email", "list", "--folder", folder, "--json", "--config", config] + extra,
                environment: environment
            )
            #expect(list.status == 0, "\(list.stderr)")
            let messages = try JSONValue.parse(list.stdout)["messages"]?.arrayValue ?? []
            if let found = messages.first(where: { $0["subject"]?.stringValue?.contains(token) == true }) {
                return found
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no message with \(token) arrived in \(folder)")
        throw CancellationError()
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test func aRichMessageArrivesIntactAndIsReadFlaggedMovedAndUnpacked() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch)
        let bobConfig = Self.config(
            servers,
            scratch: scratch,
            name: "bob.yaml",
            password: "${MAIL_SECOND_PASSWORD}",
            user: servers["MAIL_SECOND_USER"]
        )
        let token = "t\(UUID().uuidString.prefix(8))"
        var binary = [UInt8](repeating: 0, count: 300_000)
        for index in binary.indices { binary[index] = UInt8(truncatingIfNeeded: index &* 7919 >> 5) }
        let binaryPath = scratch.path + "/chart.png"
        try Data(binary).write(to: URL(fileURLWithPath: binaryPath))
        let textAttachment = Data("Überblick – naïve café résumé\r\n.leading dot\nlast line".utf8)
        let textPath = scratch.path + "/résumé.txt"
        try textAttachment.write(to: URL(fileURLWithPath: textPath))
        let subject = "Grüße \(token) — Q3 ✓ 日本語 and a subject long enough to be folded across several lines"
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--bcc", servers["MAIL_SECOND_USER"], "--subject", subject,
            "--text", "Plain ✓\n.a line starting with a dot", "--html", "<p>Hello <b>wörld</b></p>",
            "--attach", binaryPath, "--attach", textPath, "--json", "--config", config,
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        let output = try JSONValue.parse(sent.stdout)
        #expect(output["accepted"]?.arrayValue?.count == 2)
        #expect(output["rejected"]?.arrayValue?.isEmpty == true)

        let message = try await Self.waitFor(token, config: config)
        #expect(message["subject"]?.stringValue == subject)
        #expect(message["text"]?.stringValue?.contains("Plain ✓\n.a line starting with a dot") == true)
        #expect(message["html"]?.stringValue?.contains("<b>wörld</b>") == true)
        let attachments = message["attachments"]?.arrayValue ?? []
        #expect(attachments.map { $0["filename"]?.stringValue } == ["chart.png", "résumé.txt"])
        #expect(attachments.first?["sha256"]?.stringValue == Self.sha256(Data(binary)))
        #expect(attachments.last?["sha256"]?.stringValue == Self.sha256(textAttachment))
        // The Bcc recipient got it, and no copy names them.
        let bobs = try await Self.waitFor(token, config: bobConfig)
        #expect(bobs["subject"]?.stringValue == subject)
        let stored = try FileManager.default.subpathsOfDirectory(atPath: servers["MAIL_DIR"] + "/maildirs")
            .filter { $0.contains("/new/") || $0.contains("/cur/") }
            .map { servers["MAIL_DIR"] + "/maildirs/" + $0 }
            .compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }
            .filter { $0.contains(output["message_id"]?.stringValue ?? "none") }
        #expect(stored.count == 2)
        #expect(stored.allSatisfy { !$0.lowercased().contains("\nbcc:") && !$0.contains(servers["MAIL_SECOND_USER"]) })

        // Listing twice does not mark it read.
        let again = try await Self.waitFor(token, config: config)
        #expect(again["flags"]?.arrayValue?.contains("\\Seen") == false)
        let uid = try #require(again["uid"]?.stringValue)

        // get_attachment by filename into a directory, and by index into a file.
        let saved = try await CLI.call([
            "call", "email", "get_attachment", "--input",
            #"{"uid": "\#(uid)", "filename": "résumé.txt", "destination": "\#(scratch.path)"}"#, "--config", config,
        ])
        #expect(saved.status == 0, "\(saved.stderr)")
        let savedText = FileManager.default.contents(atPath: scratch.path + "/résumé.txt")
        #expect(savedText == textAttachment)
        let byIndex = try await CLI.call([
            "call", "email", "get_attachment", "--input",
            #"{"uid": \#(uid), "index": 0, "destination": "\#(scratch.path)/copy.png"}"#, "--config", config,
        ])
        #expect(byIndex.status == 0, "\(byIndex.stderr)")
        #expect(FileManager.default.contents(atPath: scratch.path + "/copy.png") == Data(binary))

        // mark_read: gone from --unseen, flagged \Seen.
        let read = try await CLI.call([
            "call", "email", "mark_read", "--input", #"{"uids": ["\#(uid)"]}"#, "--config", config,
        ])
        #expect(read.status == 0, "\(read.stderr)")
        let unseen = try await CLI.call(["email", "list", "--unseen", "--json", "--config", config])
        #expect(unseen.status == 0)
        #expect(!unseen.stdout.contains(token))
        let flagged = try await Self.waitFor(token, config: config)
        #expect(flagged["flags"]?.arrayValue?.contains("\\Seen") == true)

        // move to Archive: there, and no longer in the inbox.
        let moved = try await CLI.call([
            "call", "email", "move", "--input", #"{"uids": ["\#(uid)"], "folder": "Archive"}"#, "--config", config,
        ])
        #expect(moved.status == 0, "\(moved.stderr)")
        let archived = try await Self.waitFor(token, config: config, folder: "Archive")
        #expect(archived["subject"]?.stringValue == subject)
        let inbox = try await CLI.call(["email", "list", "--json", "--config", config])
        #expect(!inbox.stdout.contains(token))
    }

    @Test func startTLSIsUsedWhereTheServerRefusesPlaintext() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch, host: servers["MAIL_STRICT_HOST"])
        let token = "s\(UUID().uuidString.prefix(8))"
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", "Grüße \(token)", "--text", "x", "--config",
            config,
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        _ = try await Self.waitFor(token, config: config)
        // from and subject: searched on the server (CHARSET UTF-8 for non-ASCII), decided on the decoded headers.
        let bySubject = try await CLI.call(["email", "list", "--subject", "grüße \(token)", "--config", config])
        #expect(bySubject.status == 0, "\(bySubject.stderr)")
        #expect(bySubject.stdout.split(separator: "\n").count == 1, "\(bySubject.stdout)")
        #expect(bySubject.stdout.contains(token))
        let bySender = try await CLI.call([
            "email", "list", "--subject", token, "--from", servers["SMTP_USER"], "--config", config,
        ])
        #expect(bySender.stdout.contains(token), "\(bySender.stdout) \(bySender.stderr)")
        let otherSender = try await CLI.call([
            "email", "list", "--subject", token, "--from", "nobody@example.com", "--config", config,
        ])
        #expect(otherSender.stdout == "no messages in inbox\n")
        // since: narrowed by the server (SINCE), decided exactly on the message's Date.
        let old = try await CLI.call(["email", "list", "--since", "2000-01-01", "--config", config])
        #expect(old.status == 0)
        #expect(old.stdout.contains(token), "\(old.stdout)")
        let future = try await CLI.call(["email", "list", "--since", "2999-01-01", "--limit", "3", "--config", config])
        #expect(future.status == 0)
        #expect(future.stdout == "no messages in inbox\n")
        let invalid = try await CLI.call(["email", "list", "--since", "2026-02-30", "--config", config])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("since '2026-02-30' is not a date"))
    }

    @Test func implicitTLSWorksForBothProtocols() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(
            servers,
            scratch: scratch,
            smtp: "port: \(servers["SMTPS_PORT"]), security: tls",
            imap: "port: \(servers["IMAPS_PORT"]), security: tls"
        )
        let token = "i\(UUID().uuidString.prefix(8))"
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", token, "--text", "x", "--config", config,
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        _ = try await Self.waitFor(token, config: config)
    }

    @Test func aWrongPasswordIsOneRefusedCallThatShowsNoSecret() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch, password: "not-the-password-4711")
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", "x", "--text", "x", "--config", config,
        ])
        #expect(sent.status == 1)
        #expect(sent.stderr.contains("535"), "\(sent.stderr)")
        #expect(!sent.stderr.contains("not-the-password-4711"))
        let list = try await CLI.call(["email", "list", "--config", config])
        #expect(list.status == 1)
        #expect(list.stderr.lowercased().contains("authentication"), "\(list.stderr)")
        #expect(!list.stderr.contains("not-the-password-4711"))
    }

    @Test func aMessageOverTheServersLimitIsRefusedWithTheReason() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch)
        let big = scratch.path + "/big.bin"
        try Data(count: 11 << 20).write(to: URL(fileURLWithPath: big))
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", "big", "--text", "x", "--attach", big,
            "--config", config,
        ])
        #expect(sent.status == 1)
        #expect(sent.stderr.contains("552"), "\(sent.stderr)")
        #expect(sent.stderr.contains("larger than the server accepts"), "\(sent.stderr)")
    }

    @Test func aMissingFolderIsNotFoundAndNamesTheFolders() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch)
        let list = try await CLI.call(["email", "list", "--folder", "Nowhere", "--config", config])
        #expect(list.status == 1)
        #expect(list.stderr.contains("Nowhere"), "\(list.stderr)")
        #expect(list.stderr.contains("Archive"), "\(list.stderr)")
    }

    @Test func credentialsOverPlaintextAreRefusedBeforeConnecting() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let config = Self.config(servers, scratch: scratch, smtp: "security: none")
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", "x", "--text", "x", "--config", config,
        ])
        #expect(sent.status == 2)
        #expect(sent.stderr.contains("email.smtp"), "\(sent.stderr)")
        #expect(sent.stderr.contains("allow_insecure"), "\(sent.stderr)")
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let servers = try Servers()
        let scratch = Scratch()
        let file = scratch.write(
            "mail.yaml",
            """
            email:
              type: smtp
              smtp: {host: \(servers["SMTP_HOST"]), port: \(servers["SMTP_PORT"]), username: \(servers["SMTP_USER"]), \
            password: "${SMTP_PASSWORD}"}
            """
        )
        let sent = try await CLI.call([
            "email", "send", "--to", servers["SMTP_USER"], "--subject", "x", "--text", "x", "--config", file,
        ])
        #expect(sent.status == 1)
        #expect(sent.stderr.lowercased().contains("certificate"), "\(sent.stderr)")
        #expect(sent.stderr.contains("ca_file"), "\(sent.stderr)")
    }

    @Test func theReadmeConfigurationWorksWithOnlyTheServerOverridden() async throws {
        let servers = try Servers()
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("README.md"),
            encoding: .utf8
        )
        let start = try #require(readme.range(of: "```yaml\n# mail.yaml\n"))
        let end = try #require(readme[start.upperBound...].range(of: "```"))
        let scratch = Scratch()
        let config = scratch.write("mail.yaml", String(readme[start.upperBound..<end.lowerBound]))
        let overrides = [
            "--set", "email.smtp.host=\(servers["SMTP_HOST"])", "--set", "email.smtp.port=\(servers["SMTP_PORT"])",
            "--set", "email.smtp.username=\(servers["SMTP_USER"])", "--set",
            "email.smtp.ca_file=\(servers["MAIL_CA_FILE"])",
            "--set", "email.imap.port=\(servers["IMAP_PORT"])", "--set", "email.from=\(servers["SMTP_USER"])",
        ]
        let environment = ["MAIL_PASSWORD": servers["SMTP_PASSWORD"]]
        let token = "r\(UUID().uuidString.prefix(8))"
        scratch.write("body.txt", "the numbers are in")
        let sent = try await CLI.call(
            [
                "email", "send", "--to", servers["SMTP_USER"], "--subject", token, "--text",
                "@" + scratch.path + "/body.txt",
                "--config", config,
            ] + overrides,
            environment: environment
        )
        #expect(sent.status == 0, "\(sent.stderr)")
        let found = try await Self.waitFor(token, config: config, extra: overrides, environment: environment)
        #expect(found["text"]?.stringValue?.trimmingCharacters(in: .newlines) == "the numbers are in")
    }
}
