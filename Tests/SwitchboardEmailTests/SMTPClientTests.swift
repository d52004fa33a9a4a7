import Foundation
import SwitchboardCore
import SwitchboardTesting
import Synchronization
import Testing

@testable import SwitchboardEmail

/// The SMTP client against a scripted server, through the manager: the exact retry classes (a drop before the
/// final dot is retried on a new connection; after it, never), one AUTH after a 535, per-recipient results,
/// PIPELINING, dot-stuffing, RSET between pooled messages, and XOAUTH2's exact bytes.
@Suite struct SMTPClientTests {
    /// What the fake server does.
    struct Script: Sendable {
        enum DataFate: Sendable {
            case accept
            /// Closes the connection after reading the final dot, before replying.
            case dropAfterFinalDot
            /// Closes the connection when DATA arrives, on the first connection only.
            case dropAtDataOnce
            case reply(String)
        }

        var extensions = ["PIPELINING", "SIZE 1000000", "8BITMIME", "AUTH PLAIN LOGIN XOAUTH2"]
        var acceptPassword = "pw"
        var data: DataFate = .accept
        var unknownRecipients: Set<String> = []
        var mailReply = "250 2.1.0 Ok"
    }

    /// Everything the server saw: commands (AUTH lines included) and message bodies, per connection.
    final class Log: Sendable {
        let commands = Mutex<[String]>([])
        let bodies = Mutex<[[String]]>([])
        func add(_ line: String) { commands.withLock { $0.append(line) } }
        var all: [String] { commands.withLock { $0 } }
        func count(_ prefix: String) -> Int { all.filter { $0.uppercased().hasPrefix(prefix.uppercased()) }.count }
    }

    static func server(_ script: Script, log: Log) async throws -> TestLineServer {
        let connectionNumber = Mutex(0)
        return try await TestLineServer { talk in
            let number = connectionNumber.withLock {
                $0 += 1
                return $0
            }
            try await talk.write("220 fake.test ESMTP ready\r\n")
            // Like Postfix: DATA needs an accepted MAIL and at least one accepted RCPT.
            var mailAccepted = false
            var recipients = 0
            while let line = try await talk.readLine() {
                log.add(line)
                let verb = line.uppercased()
                if verb.hasPrefix("EHLO") {
                    let lines = ["fake.test"] + script.extensions
                    var reply = ""
                    for (index, text) in lines.enumerated() {
                        reply += "250\(index == lines.count - 1 ? " " : "-")\(text)\r\n"
                    }
                    try await talk.write(reply)
                } else if verb.hasPrefix("AUTH PLAIN ") {
                    let encoded = String(line.dropFirst("AUTH PLAIN ".count))
                    let decoded = Data(base64Encoded: encoded).map { [UInt8]($0) } ?? []
                    let password = decoded.split(separator: 0, omittingEmptySubsequences: false).last ?? []
                    try await talk.write(
                        String(decoding: password, as: UTF8.self) == script.acceptPassword
                            ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Error: authentication failed\r\n"
                    )
                } else if verb.hasPrefix("AUTH XOAUTH2 ") {
                    try await talk.write("235 2.7.0 Accepted\r\n")
                } else if verb.hasPrefix("MAIL FROM:") {
                    mailAccepted = script.mailReply.hasPrefix("250")
                    try await talk.write(script.mailReply + "\r\n")
                } else if verb.hasPrefix("RCPT TO:<") {
                    let address = String(line.dropFirst("RCPT TO:<".count).prefix { $0 != ">" })
                    let known = mailAccepted && !script.unknownRecipients.contains(address)
                    if known { recipients += 1 }
                    try await talk.write(
                        !known
                            ? "550 5.1.1 <\(address)>: Recipient address rejected: User unknown\r\n"
                            : "250 2.1.5 Ok\r\n"
                    )
                } else if verb == "DATA" {
                    if case .dropAtDataOnce = script.data, number == 1 { return }
                    guard mailAccepted, recipients > 0 else {
                        try await talk.write("503 5.5.1 Error: need RCPT command\r\n")
                        continue
                    }
                    try await talk.write("354 End data with <CR><LF>.<CR><LF>\r\n")
                    guard let body = try await talk.readLines(until: ".") else { return }
                    log.bodies.withLock { $0.append(body) }
                    switch script.data {
                    case .accept, .dropAtDataOnce: try await talk.write("250 2.0.0 Ok: queued as ABC\r\n")
                    case .dropAfterFinalDot: return
                    case .reply(let text): try await talk.write(text + "\r\n")
                    }
                } else if verb == "RSET" {
                    mailAccepted = false
                    recipients = 0
                    try await talk.write("250 2.0.0 Ok\r\n")
                } else if verb == "QUIT" {
                    try await talk.write("221 2.0.0 Bye\r\n")
                    return
                } else {
                    try await talk.write("502 5.5.2 Error: command not recognized\r\n")
                }
            }
        }
    }

    /// A manager with the e-mail family and one `type: smtp` service on `port`.
    static func withManager<T: Sendable>(
        port: Int,
        extra: String = "",
        maxConnections: Int = 10,
        _ body: (IntegrationManager) async throws -> T
    ) async throws -> T {
        let temporary = TemporaryDirectory(prefix: "smtp")
        let directory = temporary.path
        do {
            let yaml = """
                email:
                  type: smtp
                  from: ann@example.com
                  read_timeout_ms: 5000
                \(extra)
                  smtp: {host: 127.0.0.1, port: \(port), security: none, username: ann@example.com, password: pw, allow_insecure: true}
                integrations:
                  email: {max_connections: \(maxConnections)}
                """
            let file = directory + "/config.yaml"
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
            let family = EmailAdapters.family()
            let configuration = try ConfigurationLoader(registry: SchemaRegistry(families: [family]), environment: [:])
                .load(path: file)
            let manager = IntegrationManager()
            let statuses = try manager.bootstrap(
                configuration: configuration,
                families: [family],
                environment: AdapterEnvironment(dataDirectory: directory)
            )
            #expect(statuses.first { $0.name == "email" }?.isAvailable == true, "\(statuses)")
            do {
                let value = try await manager.withBackgroundWork { try await body(manager) }
                try? await manager.shutdown()
                withExtendedLifetime(temporary) {}
                return value
            } catch {
                try? await manager.shutdown()
                throw error
            }
        }
    }

    static func send(_ manager: IntegrationManager, _ input: JSONValue, key: String? = nil) async throws -> JSONValue {
        try await manager.execute(
            service: "email",
            operation: "send_email",
            input: input,
            options: IntegrationManager.Options(idempotencyKey: key)
        )
    }

    /// The error one send ends with, or nil when it succeeds (any error but an IntegrationError fails the test).
    static func sendError(_ manager: IntegrationManager, _ input: JSONValue, key: String? = nil) async
        -> IntegrationError?
    {
        do {
            _ = try await send(manager, input, key: key)
            return nil
        } catch let error as IntegrationError {
            return error
        } catch {
            Issue.record("not an IntegrationError: \(error)")
            return nil
        }
    }

    @Test func aDropAfterTheFinalDotIsMayHaveBeenSentAndNeverRetried() async throws {
        let log = Log()
        var script = Script()
        script.data = .dropAfterFinalDot
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let error = try await Self.withManager(port: server.port) { manager in
            await #expect(throws: IntegrationError.self) {
                try await Self.send(manager, ["to": "bob@example.com", "subject": "once", "text": "x"], key: "k-1")
            }
            return await Self.sendError(manager, ["to": "bob@example.com", "subject": "once", "text": "x"], key: "k-2")
        }
        let failure = try #require(error)
        #expect(failure.message.contains("may have been sent"))
        #expect(failure.transience == .never)
        #expect(failure.attempts ?? 1 == 1)
        // Two calls, each one connection and one DATA: nothing was sent twice, even with an idempotency key.
        #expect(log.count("DATA") == 2)
        #expect(server.connections == 2)
    }

    @Test func aDropBeforeTheFinalDotIsRetriedOnANewConnection() async throws {
        let log = Log()
        var script = Script()
        script.data = .dropAtDataOnce
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let output = try await Self.withManager(port: server.port) { manager in
            try await Self.send(manager, ["to": "bob@example.com", "subject": "retry", "text": "x"])
        }
        #expect(output["accepted"] == ["bob@example.com"])
        #expect(server.connections == 2)
        #expect(log.count("DATA") == 2)
        #expect(log.bodies.withLock { $0.count } == 1)
    }

    @Test func a535EndsTheCallAfterOneAUTH() async throws {
        let log = Log()
        var script = Script()
        script.acceptPassword = "other"
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let error = try await Self.withManager(port: server.port) { manager in
            await Self.sendError(manager, ["to": "bob@example.com", "subject": "s", "text": "x"])
        }
        let failure = try #require(error)
        #expect(failure.code == .unauthorized)
        #expect(failure.transience == .never)
        #expect(log.count("AUTH") == 1)
        #expect(server.connections == 1)
        #expect(!failure.description.contains("pw"))
    }

    @Test func aPartialAcceptanceIsReportedPerRecipient() async throws {
        let log = Log()
        var script = Script()
        script.unknownRecipients = ["ghost@example.com"]
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let output = try await Self.withManager(port: server.port) { manager in
            try await Self.send(
                manager,
                [
                    "to": ["bob@example.com", "ghost@example.com"], "bcc": "carol@example.com", "subject": "s",
                    "text": "x",
                ]
            )
        }
        #expect(output["accepted"] == ["bob@example.com", "carol@example.com"])
        let rejected = output["rejected"]?.arrayValue?.first
        #expect(rejected?["address"] == "ghost@example.com")
        #expect(rejected?["code"]?.intValue == 550)
        // Pipelined: MAIL, the RCPTs and DATA in one group; SIZE given; Bcc only in the envelope.
        let commands = log.all
        #expect(commands.contains { $0.hasPrefix("MAIL FROM:<ann@example.com> SIZE=") })
        #expect(log.count("RCPT TO:<carol@example.com>") == 1)
        let body = log.bodies.withLock { $0.first ?? [] }
        #expect(!body.contains { $0.lowercased().hasPrefix("bcc:") })
        #expect(!body.joined().contains("carol@example.com"))
    }

    @Test func noAcceptedRecipientIsAnErrorAndNoDataIsSent() async throws {
        let log = Log()
        var script = Script()
        script.extensions = ["AUTH PLAIN"]  // no PIPELINING: DATA is never sent
        script.unknownRecipients = ["ghost@example.com"]
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let error = try await Self.withManager(port: server.port) { manager in
            await Self.sendError(manager, ["to": "ghost@example.com", "subject": "s", "text": "x"])
        }
        #expect(error?.message.contains("accepted no recipient") == true)
        #expect(log.count("DATA") == 0)
    }

    @Test func aSizeRejectionSaysWhy() async throws {
        let log = Log()
        var script = Script()
        script.mailReply = "552 5.3.4 Message size exceeds fixed limit"
        let server = try await Self.server(script, log: log)
        defer { Task { await server.shutdown() } }
        let error = try await Self.withManager(port: server.port) { manager in
            await Self.sendError(manager, ["to": "bob@example.com", "subject": "s", "text": "x"])
        }
        #expect(error?.status == 552)
        #expect(error?.hint?.contains("larger than the server accepts") == true)
        #expect(log.bodies.withLock { $0.isEmpty })
        #expect(log.count("MAIL") == 1)
    }

    @Test func pooledSessionsAreResetAndReused() async throws {
        let log = Log()
        let server = try await Self.server(Script(), log: log)
        defer { Task { await server.shutdown() } }
        try await Self.withManager(port: server.port, maxConnections: 1) { manager in
            for index in 0..<3 {
                _ = try await Self.send(
                    manager,
                    ["to": "bob@example.com", "subject": .string("n\(index)"), "text": "x"]
                )
            }
        }
        #expect(server.connections == 1)
        #expect(log.count("AUTH") == 1)
        #expect(log.count("RSET") == 2)
        #expect(log.count("QUIT") == 1)
    }

    @Test func linesStartingWithADotAreStuffed() async throws {
        let log = Log()
        let server = try await Self.server(Script(), log: log)
        defer { Task { await server.shutdown() } }
        try await Self.withManager(port: server.port) { manager in
            _ = try await Self.send(manager, ["to": "bob@example.com", "subject": "dots", "text": ".\n..two\nend"])
        }
        let body = log.bodies.withLock { $0.first ?? [] }
        // The server sees stuffed lines; a reader removes one dot and gets the text back.
        let unstuffed = body.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
        let message = try ParsedEmail(parsing: Array(unstuffed.joined(separator: "\r\n").utf8))
        #expect(message.text == ".\n..two\nend")
        #expect(body.contains(".."))
        #expect(SMTPData.encode(Array(".\r\nx\n.y".utf8)) == Array("..\r\nx\r\n..y\r\n.\r\n".utf8))
    }

    @Test func xoauth2SendsTheTokenInGooglesFormat() {
        let encoded = SASLMechanism.xoauth2Response(username: "ann@example.com", token: "ya29.token")
        let decoded = Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) }
        #expect(decoded == "user=ann@example.com\u{1}auth=Bearer ya29.token\u{1}\u{1}")
        let plain = SASLMechanism.plainResponse(username: "ann", password: Secret("pw"))
        #expect(Data(base64Encoded: plain).map { [UInt8]($0) } == [0] + Array("ann".utf8) + [0] + Array("pw".utf8))
    }

    @Test func aServerWithoutSTARTTLSGetsNoCredentials() async throws {
        let log = Log()
        let server = try await Self.server(Script(), log: log)
        defer { Task { await server.shutdown() } }
        var settings = SMTPSettings(
            endpoint: MailEndpoint(host: "127.0.0.1", port: server.port, security: .starttls),
            credentials: MailCredentials(username: "ann@example.com", password: Secret("pw"))
        )
        settings.timeouts = SMTPTimeouts(all: .seconds(5))
        await #expect(throws: IntegrationError.self) { _ = try await SMTPSession.open(settings) }
        #expect(log.count("AUTH") == 0)
        #expect(log.count("EHLO") == 1)
    }
}
