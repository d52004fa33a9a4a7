import Foundation
import NIOCore
import SwitchboardCore

/// RFC 5321 §4.5.3.2's minimum timeouts; `read_timeout_ms` replaces them all (for tests and impatient users).
package struct SMTPTimeouts: Sendable {
    package var greeting: Duration = .seconds(300)
    package var command: Duration = .seconds(300)
    package var dataInitiation: Duration = .seconds(120)
    package var dataBlock: Duration = .seconds(180)
    package var dataTermination: Duration = .seconds(600)

    package init() {}

    package init(all: Duration) {
        (greeting, command, dataInitiation, dataBlock, dataTermination) = (all, all, all, all, all)
    }
}

/// How to reach and log in to an SMTP server.
package struct SMTPSettings: Sendable {
    package var endpoint: MailEndpoint
    package var credentials: MailCredentials?
    /// The name sent with EHLO.
    package var heloName = "localhost"
    package var timeouts = SMTPTimeouts()
    /// Credentials may go over a connection without TLS (`allow_insecure: true`).
    package var allowInsecure = false

    package init(endpoint: MailEndpoint, credentials: MailCredentials? = nil) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    var server: String { "the SMTP server \(endpoint.host):\(endpoint.port)" }
}

/// One authenticated SMTP session, ready for transactions. Open with ``open(_:)``; reusable after a transaction
/// that ended with a reply (RSET comes first).
package struct SMTPSession: Sendable {
    package let connection: MailConnection
    package let extensions: SMTPExtensions
    package let settings: SMTPSettings

    /// Connects, reads the greeting, says EHLO, upgrades with STARTTLS (refusing a server that does not offer
    /// it), says EHLO again and authenticates once. Every failure here is before any message: not sent.
    package static func open(_ settings: SMTPSettings) async throws -> SMTPSession {
        let connection = try await MailConnection.connect(to: settings.endpoint)
        do {
            let session = try await handshake(connection, settings)
            return session
        } catch {
            await connection.close()
            throw classify(error, settings: settings, afterFinalDot: false)
        }
    }

    private static func handshake(_ connection: MailConnection, _ settings: SMTPSettings) async throws -> SMTPSession {
        let timeouts = settings.timeouts
        let greeting: SMTPReply
        do {
            greeting = try await SMTPReply.read(from: connection, timeout: timeouts.greeting)
        } catch MailWireError.timeout(let after) {
            throw IntegrationError(
                code: .timeout,
                message: "\(settings.server) sent no greeting within \(after.secondsText); nothing was sent",
                transience: .notSent,
                hint: settings.endpoint.security == .tls
                    ? nil : "if this port speaks implicit TLS (as 465 does), set smtp.security: tls"
            )
        }
        guard greeting.code == 220 else { throw SMTPFailure.reply(greeting, during: "the greeting") }
        var extensions = try await ehlo(connection, settings)
        if settings.endpoint.security == .starttls {
            guard extensions.has("STARTTLS") else {
                throw IntegrationError(
                    code: .connectionFailed,
                    message: "\(settings.server) does not offer STARTTLS; refusing to continue in the clear",
                    transience: .never,
                    hint:
                        "use security: tls for an implicit-TLS port (465), or security: none with allow_insecure: true"
                )
            }
            try await connection.write(Array("STARTTLS\r\n".utf8))
            let reply = try await SMTPReply.read(from: connection, timeout: timeouts.command)
            guard reply.code == 220 else { throw SMTPFailure.reply(reply, during: "STARTTLS") }
            try await connection.startTLS()
            extensions = try await ehlo(connection, settings)
        }
        if let credentials = settings.credentials {
            guard settings.endpoint.security != .none || settings.allowInsecure else {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "refusing to send credentials to \(settings.server) over a connection without TLS",
                    hint: "use security: starttls or tls, or set allow_insecure: true"
                )
            }
            try await authenticate(connection, credentials, extensions, settings)
        }
        return SMTPSession(connection: connection, extensions: extensions, settings: settings)
    }

    private static func ehlo(_ connection: MailConnection, _ settings: SMTPSettings) async throws -> SMTPExtensions {
        try await connection.write(Array("EHLO \(settings.heloName)\r\n".utf8))
        let reply = try await SMTPReply.read(from: connection, timeout: settings.timeouts.command)
        guard reply.code == 250 else { throw SMTPFailure.reply(reply, during: "EHLO") }
        return SMTPExtensions(reply)
    }

    /// One AUTH exchange; a refusal (535) ends it: no other mechanism is tried.
    private static func authenticate(
        _ connection: MailConnection,
        _ credentials: MailCredentials,
        _ extensions: SMTPExtensions,
        _ settings: SMTPSettings
    ) async throws {
        let mechanism = try credentials.choose(offered: extensions.authMechanisms, server: settings.server)
        let timeout = settings.timeouts.command
        var reply: SMTPReply
        switch mechanism {
        case .plain:
            guard let password = credentials.password else { throw missingPassword(settings) }
            let response = SASLMechanism.plainResponse(username: credentials.username, password: password)
            try await connection.write(Array("AUTH PLAIN \(response)\r\n".utf8))
            reply = try await SMTPReply.read(from: connection, timeout: timeout)
        case .login:
            guard let password = credentials.password else { throw missingPassword(settings) }
            try await connection.write(Array("AUTH LOGIN\r\n".utf8))
            reply = try await SMTPReply.read(from: connection, timeout: timeout)
            if reply.code == 334 {
                try await connection.write(Array((SASLMechanism.base64(credentials.username) + "\r\n").utf8))
                reply = try await SMTPReply.read(from: connection, timeout: timeout)
            }
            if reply.code == 334 {
                try await connection.write(Array((SASLMechanism.base64(password.reveal()) + "\r\n").utf8))
                reply = try await SMTPReply.read(from: connection, timeout: timeout)
            }
        case .xoauth2:
            guard let fetch = credentials.accessToken else {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "auth: xoauth2 needs OAuth 2.0 settings (token_uri, client_id, ...) on the service",
                    hint: "see docs/EMAIL.md"
                )
            }
            let token = try await fetch()
            let response = SASLMechanism.xoauth2Response(username: credentials.username, token: token)
            try await connection.write(Array("AUTH XOAUTH2 \(response)\r\n".utf8))
            reply = try await SMTPReply.read(from: connection, timeout: timeout)
            if reply.code == 334 {
                // The server's JSON error challenge: answer with an empty line to get the final reply.
                try await connection.write(Array("\r\n".utf8))
                reply = try await SMTPReply.read(from: connection, timeout: timeout)
            }
        }
        guard reply.code == 235 else {
            throw IntegrationError(
                code: .unauthorized,
                message: "\(settings.server) refused the credentials of \(credentials.username) (\(reply))",
                transience: .never,
                status: reply.code,
                hint: "check username and password (or the OAuth 2.0 token); no other mechanism was tried"
            )
        }
    }

    private static func missingPassword(_ settings: SMTPSettings) -> IntegrationError {
        IntegrationError(code: .invalidConfiguration, message: "\(settings.server): a username needs a password")
    }

    /// RSET before reusing a pooled session; `false` when the session is no longer usable.
    package func reset() async -> Bool {
        do {
            try await connection.write(Array("RSET\r\n".utf8))
            let reply = try await SMTPReply.read(from: connection, timeout: settings.timeouts.command)
            return reply.code == 250
        } catch {
            return false
        }
    }

    /// QUIT and close.
    package func quit() async {
        try? await connection.write(Array("QUIT\r\n".utf8))
        _ = try? await SMTPReply.read(from: connection, timeout: .seconds(5))
        await connection.close()
    }

    /// One mail transaction: MAIL, RCPT for each recipient, DATA, the message, the final dot.
    ///
    /// - Returns: the result per recipient, and whether the session can carry another message.
    /// - Throws: before the final dot is written, errors are `not sent` (retryable); after it, a drop or a
    ///   timeout is "may have been sent" and never retried.
    package func send(from sender: String, to recipients: [String], message: [UInt8]) async throws -> (
        SendResult, reusable: Bool
    ) {
        var finalDotWritten = false
        do {
            return try await transaction(sender, recipients, message, &finalDotWritten)
        } catch {
            throw Self.classify(error, settings: settings, afterFinalDot: finalDotWritten)
        }
    }

    private func transaction(
        _ sender: String,
        _ recipients: [String],
        _ message: [UInt8],
        _ finalDotWritten: inout Bool
    ) async throws -> (SendResult, reusable: Bool) {
        let international =
            !sender.utf8.allSatisfy { $0 < 0x80 } || recipients.contains { !$0.utf8.allSatisfy { $0 < 0x80 } }
        if international && !extensions.has("SMTPUTF8") {
            throw IntegrationError(
                code: .invalidInput,
                message: "\(settings.server) does not accept internationalised addresses (no SMTPUTF8)",
                hint: "use the ASCII (punycode) form of the domain, or another server"
            )
        }
        let data = SMTPData.encode(message)
        var mail = "MAIL FROM:<\(sender)>"
        if extensions.maximumSize != nil { mail += " SIZE=\(data.count)" }
        if extensions.has("8BITMIME"), message.contains(where: { $0 >= 0x80 }) { mail += " BODY=8BITMIME" }
        if international { mail += " SMTPUTF8" }
        let commands = [mail] + recipients.map { "RCPT TO:<\($0)>" } + ["DATA"]
        let timeouts = settings.timeouts
        var replies: [SMTPReply] = []
        if extensions.has("PIPELINING") {
            try await connection.write(Array((commands.joined(separator: "\r\n") + "\r\n").utf8))
            for (index, _) in commands.enumerated() {
                let timeout = index == commands.count - 1 ? timeouts.dataInitiation : timeouts.command
                replies.append(try await SMTPReply.read(from: connection, timeout: timeout))
            }
        } else {
            for (index, command) in commands.enumerated() {
                try await connection.write(Array((command + "\r\n").utf8))
                let timeout = index == commands.count - 1 ? timeouts.dataInitiation : timeouts.command
                let reply = try await SMTPReply.read(from: connection, timeout: timeout)
                replies.append(reply)
                if index == 0 && !reply.isPositive { break }
                if index == commands.count - 2 && !replies.dropFirst().contains(where: \.isPositive) { break }
            }
        }
        let mailReply = replies[0]
        guard mailReply.isPositive else {
            if replies.count == commands.count, replies.last?.code == 354 { try await abandonData() }
            throw SMTPFailure.reply(mailReply, during: "MAIL FROM")
        }
        var accepted: [String] = []
        var rejected: [SendResult.Rejection] = []
        for (index, recipient) in recipients.enumerated() {
            guard index + 1 < replies.count else { break }
            let reply = replies[index + 1]
            if reply.isPositive {
                accepted.append(recipient)
            } else {
                rejected.append(.init(address: recipient, code: reply.code, message: reply.text))
            }
        }
        let dataReply = replies.count == commands.count ? replies[commands.count - 1] : nil
        guard !accepted.isEmpty else {
            if dataReply?.code == 354 { try await abandonData() }
            throw SMTPFailure.noRecipient(rejected)
        }
        guard let dataReply, dataReply.code == 354 else {
            throw SMTPFailure.reply(dataReply ?? SMTPReply(code: 503, lines: ["no DATA reply"]), during: "DATA")
        }
        // The message, dot-stuffed, ending with CRLF.CRLF; once written, the server may deliver it.
        finalDotWritten = true
        try await connection.write(data)
        let final = try await SMTPReply.read(from: connection, timeout: timeouts.dataTermination)
        guard final.isPositive else {
            finalDotWritten = false  // the server answered: it did not take the message
            throw SMTPFailure.reply(final, during: "the end of DATA")
        }
        return (SendResult(accepted: accepted, rejected: rejected), true)
    }

    /// After a pipelined DATA got 354 although nothing may be sent (RFC 2920 servers reject DATA then, so this
    /// is a defensive path): the connection is closed mid-DATA, which no server takes as a message, rather than
    /// ending an empty one with a lone dot. The caller's error then discards the session.
    private func abandonData() async throws {
        await connection.close()
    }

    private static func isTimeout(_ error: any Error) -> Bool {
        if case MailWireError.timeout = error { return true }
        return false
    }

    /// Gives an SMTP failure Switchboard's error shape and its exact retry class.
    static func classify(_ error: any Error, settings: SMTPSettings, afterFinalDot: Bool) -> any Error {
        switch error {
        case let error as SMTPFailure:
            return error.integrationError(server: settings.server)
        case let error as SMTPError:
            guard case .protocolViolation(let text) = error else { return error }
            return IntegrationError(
                code: .serviceError,
                message: "\(settings.server) answered outside the protocol: \(text)",
                transience: afterFinalDot ? .never : .notSent
            )
        case is MailWireError, is ChannelError, is IOError:
            let what = MailConnection.describe(error)
            if afterFinalDot {
                return IntegrationError(
                    code: isTimeout(error) ? .timeout : .connectionFailed,
                    message:
                        "\(settings.server): \(what) after the whole message was handed over; it may have been sent, so it is not sent again",
                    transience: .never,
                    hint: "look for the message (its Message-ID) in the recipient's mailbox before sending it again",
                    underlying: error
                )
            }
            return IntegrationError(
                code: isTimeout(error) ? .timeout : .connectionFailed,
                message: "\(settings.server): \(what) before the message was handed over; it was not sent",
                transience: .notSent,
                underlying: error
            )
        default:
            if let failure = MailConnection.permanentTLSFailure(
                error,
                server: settings.server,
                security: settings.endpoint.security
            ) {
                return failure
            }
            if !(error is IntegrationError), !(error is CancellationError) {
                return IntegrationError(
                    code: .connectionFailed,
                    message: "\(settings.server): \(MailConnection.describe(error))",
                    transience: afterFinalDot ? .never : .notSent,
                    underlying: error
                )
            }
            return error
        }
    }
}

/// A reply that ended a step, or a message no recipient took.
enum SMTPFailure: Error {
    case reply(SMTPReply, during: String)
    case noRecipient([SendResult.Rejection])

    func integrationError(server: String) -> IntegrationError {
        switch self {
        case .reply(let reply, let step):
            // Every refusal comes before the server took the message: a 4xx may be tried again.
            let transient = reply.isTransient
            var code: IntegrationError.Code = transient ? .serviceUnavailable : .serviceError
            var hint: String?
            if reply.code == 552 || reply.code == 523 {
                hint = "the message is larger than the server accepts; send smaller attachments"
            } else if reply.code == 530 || reply.code == 535 || reply.code == 554 && step == "MAIL FROM" {
                code = .unauthorized
                hint = "the server wants an authenticated sender: set smtp.username and smtp.password"
            } else if reply.code == 421 {
                code = .serviceUnavailable
            }
            return IntegrationError(
                code: code,
                message: "\(server) refused \(step): \(reply)",
                transience: transient ? .notSent : .never,
                status: reply.code,
                hint: hint
            )
        case .noRecipient(let rejected):
            let list = rejected.map { "\($0.address) (\($0.code) \($0.message))" }.joined(separator: "; ")
            let transient = !rejected.isEmpty && rejected.allSatisfy { (400..<500).contains($0.code) }
            return IntegrationError(
                code: .serviceError,
                message: "\(server) accepted no recipient, so nothing was sent: \(list)",
                transience: transient ? .notSent : .never,
                status: rejected.first?.code
            )
        }
    }
}

/// The DATA payload: CRLF line ends, dot-stuffed (RFC 5321 §4.5.2), ending with `CRLF.CRLF`.
package enum SMTPData {
    package static func encode(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 8)
        var atLineStart = true
        var index = 0
        let count = message.count
        while index < count {
            let byte = message[index]
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            switch byte {
            case UInt8(ascii: "\r"):
                out.append(13)
                out.append(10)
                if index + 1 < count && message[index + 1] == 10 { index += 1 }
                atLineStart = true
            case UInt8(ascii: "\n"):
                out.append(13)
                out.append(10)
                atLineStart = true
            default:
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart { out.append(contentsOf: [13, 10]) }
        out.append(contentsOf: Array(".\r\n".utf8))
        return out
    }
}
