import Foundation
import NIOCore
import SwitchboardCore

/// How to reach and log in to an IMAP server.
package struct IMAPSettings: Sendable {
    package var endpoint: MailEndpoint
    package var credentials: MailCredentials
    /// Credentials may go over a connection without TLS (`allow_insecure: true`).
    package var allowInsecure = false
    /// How long one response may take.
    package var timeout: Duration = .seconds(120)
    /// The largest literal accepted (a message or a part).
    package var maximumLiteral = 512 << 20

    package init(endpoint: MailEndpoint, credentials: MailCredentials) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    var server: String { "the IMAP server \(endpoint.host):\(endpoint.port)" }
}

/// One logged-in IMAP session (RFC 9051, and the RFC 3501 servers most are): commands one at a time, each
/// answered by its untagged data and its tagged status.
package actor IMAPSession {
    private let connection: MailConnection
    private let settings: IMAPSettings
    private var tagNumber = 0
    private(set) var capabilities: Set<String> = []
    private var selected: (name: String, readOnly: Bool)?

    private init(connection: MailConnection, settings: IMAPSettings) {
        self.connection = connection
        self.settings = settings
    }

    /// Connects, upgrades with STARTTLS before anything else (refusing a server that does not offer it), and
    /// logs in once: a refusal ends the session, no other mechanism is tried.
    package static func open(_ settings: IMAPSettings) async throws -> IMAPSession {
        let connection = try await MailConnection.connect(to: settings.endpoint)
        let session = IMAPSession(connection: connection, settings: settings)
        do {
            try await session.start()
            return session
        } catch {
            await connection.close()
            throw session.classify(error)
        }
    }

    /// Runs `body` on a new session and logs out.
    package static func with<T: Sendable>(
        _ settings: IMAPSettings,
        _ body: (IMAPSession) async throws -> T
    ) async throws -> T {
        let session = try await open(settings)
        do {
            let value = try await body(session)
            await session.logout()
            return value
        } catch {
            await session.logout()
            throw session.classify(error)
        }
    }

    private func start() async throws {
        let greeting: IMAPResponse
        do {
            greeting = try await readResponse()
        } catch MailWireError.timeout(let after) {
            throw IntegrationError(
                code: .timeout,
                message: "\(settings.server) sent no greeting within \(after.secondsText)",
                transience: .always,
                hint: settings.endpoint.security == .tls
                    ? nil : "if this port speaks implicit TLS (as 993 does), set imap.security: tls"
            )
        }
        guard greeting.kind == .untagged, let status = greeting.status, status == "OK" || status == "PREAUTH" else {
            throw IntegrationError(
                code: .serviceUnavailable,
                message: "\(settings.server) did not greet with OK: \(greeting.text)",
                transience: .always
            )
        }
        if greeting.code.first == "CAPABILITY" { capabilities = Set(greeting.code.dropFirst().map { $0.uppercased() }) }
        if capabilities.isEmpty { try await refreshCapabilities() }
        if settings.endpoint.security == .starttls {
            guard capabilities.contains("STARTTLS") else {
                throw IntegrationError(
                    code: .connectionFailed,
                    message: "\(settings.server) does not offer STARTTLS; refusing to log in in the clear",
                    transience: .never,
                    hint:
                        "use security: tls for an implicit-TLS port (993), or security: none with allow_insecure: true"
                )
            }
            try expectOK(try await command("STARTTLS"), "STARTTLS")
            try await connection.startTLS()
            try await refreshCapabilities()
        } else if settings.endpoint.security == .none, !settings.allowInsecure {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "refusing to send credentials to \(settings.server) over a connection without TLS",
                hint: "use security: starttls or tls, or set allow_insecure: true"
            )
        }
        if greeting.status == "PREAUTH" { return }
        try await login()
    }

    private func refreshCapabilities() async throws {
        let answer = try await command("CAPABILITY")
        for response in answer.data where response.values.first?.text?.uppercased() == "CAPABILITY" {
            capabilities = Set(response.values.dropFirst().compactMap { $0.text?.uppercased() })
        }
    }

    private func login() async throws {
        let credentials = settings.credentials
        var offered = Set(capabilities.filter { $0.hasPrefix("AUTH=") }.map { String($0.dropFirst(5)) })
        if !capabilities.contains("LOGINDISABLED") { offered.insert("LOGIN") }
        let mechanism = try credentials.choose(offered: offered, server: settings.server)
        let answer: Answer
        switch mechanism {
        case .login:
            guard let password = credentials.password else { throw missingPassword() }
            answer = try await command(
                "LOGIN",
                arguments: [.text(credentials.username), .text(password.reveal())]
            )
        case .plain:
            guard let password = credentials.password else { throw missingPassword() }
            answer = try await authenticate(
                "PLAIN",
                SASLMechanism.plainResponse(username: credentials.username, password: password)
            )
        case .xoauth2:
            guard let fetch = credentials.accessToken else { throw missingPassword() }
            answer = try await authenticate(
                "XOAUTH2",
                SASLMechanism.xoauth2Response(username: credentials.username, token: try await fetch())
            )
        }
        guard answer.status.status == "OK" else {
            let code = answer.status.code.first ?? ""
            if code == "PRIVACYREQUIRED" {
                throw IntegrationError(
                    code: .forbidden,
                    message: "\(settings.server) refuses to log in without TLS: \(answer.status.text)",
                    hint: "use security: starttls or tls"
                )
            }
            throw IntegrationError(
                code: .unauthorized,
                message:
                    "\(settings.server) refused the credentials of \(credentials.username)\(code.isEmpty ? "" : " [\(code)]"): \(answer.status.text)",
                hint: "check username and password (or the OAuth 2.0 token); no other mechanism was tried"
            )
        }
        if answer.status.code.first == "CAPABILITY" {
            capabilities = Set(answer.status.code.dropFirst().map { $0.uppercased() })
        } else {
            try await refreshCapabilities()
        }
    }

    private func missingPassword() -> IntegrationError {
        IntegrationError(
            code: .invalidConfiguration,
            message: "\(settings.server): no password or token to log in with"
        )
    }

    /// AUTHENTICATE with an initial response (SASL-IR when offered, else after the continuation).
    private func authenticate(_ mechanism: String, _ response: String) async throws -> Answer {
        let tag = nextTag()
        if capabilities.contains("SASL-IR") {
            try await connection.write(Array("\(tag) AUTHENTICATE \(mechanism) \(response)\r\n".utf8))
        } else {
            try await connection.write(Array("\(tag) AUTHENTICATE \(mechanism)\r\n".utf8))
            let next = try await readResponse()
            guard next.kind == .continuation else { return try await finish(tag, first: next) }
            try await connection.write(Array((response + "\r\n").utf8))
        }
        while true {
            let next = try await readResponse()
            if next.kind == .continuation {
                // An error challenge (XOAUTH2's JSON): an empty response asks for the final status.
                try await connection.write(Array("\r\n".utf8))
                continue
            }
            return try await finish(tag, first: next)
        }
    }

    // MARK: - Commands

    /// A command's untagged data and its tagged status.
    package struct Answer: Sendable {
        package var data: [IMAPResponse]
        package var status: IMAPResponse
    }

    /// An argument: an atom written as is, or text written as a quoted string or a literal.
    package enum Argument: Sendable {
        case atom(String)
        case text(String)
    }

    private func nextTag() -> String {
        tagNumber += 1
        return "A\(tagNumber)"
    }

    /// Sends one command and reads to its tagged status. Text arguments that cannot be quoted go as literals
    /// (LITERAL+ when offered, else after the server's continuation).
    @discardableResult
    package func command(_ name: String, arguments: [Argument] = []) async throws -> Answer {
        let tag = nextTag()
        var pending = Array("\(tag) \(name)".utf8)
        for argument in arguments {
            pending.append(UInt8(ascii: " "))
            switch argument {
            case .atom(let atom):
                pending += Array(atom.utf8)
            case .text(let text):
                let bytes = Array(text.utf8)
                let quotable = bytes.count < 1000 && bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
                if quotable {
                    pending.append(UInt8(ascii: "\""))
                    for byte in bytes {
                        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                            pending.append(UInt8(ascii: "\\"))
                        }
                        pending.append(byte)
                    }
                    pending.append(UInt8(ascii: "\""))
                } else if capabilities.contains("LITERAL+") || capabilities.contains("LITERAL-") && bytes.count <= 4096
                {
                    pending += Array("{\(bytes.count)+}\r\n".utf8) + bytes
                } else {
                    pending += Array("{\(bytes.count)}\r\n".utf8)
                    try await connection.write(pending)
                    pending = []
                    let next = try await readResponse()
                    guard next.kind == .continuation else { return try await finish(tag, first: next) }
                    pending = bytes
                }
            }
        }
        pending += [13, 10]
        try await connection.write(pending)
        return try await finish(tag, first: nil)
    }

    /// Reads untagged responses up to the tagged status of `tag`.
    private func finish(_ tag: String, first: IMAPResponse?) async throws -> Answer {
        var data: [IMAPResponse] = []
        var next = first
        while true {
            let response: IMAPResponse
            if let pending = next {
                response = pending
                next = nil
            } else {
                response = try await readResponse()
            }
            switch response.kind {
            case .tagged(let value) where value == tag:
                return Answer(data: data, status: response)
            case .tagged(let other):
                throw IMAPParseError(message: "a status for tag \(other) while \(tag) was waiting")
            case .continuation:
                throw IMAPParseError(message: "an unexpected continuation request")
            case .untagged:
                if response.status == "BYE" {
                    throw IntegrationError(
                        code: .serviceUnavailable,
                        message: "\(settings.server) closed the session: \(response.text)",
                        transience: .always
                    )
                }
                data.append(response)
            }
        }
    }

    /// Reads one response with its literals.
    private func readResponse() async throws -> IMAPResponse {
        let raw = try await connection.readFramed(
            timeout: settings.timeout,
            maximumLine: 1 << 20,
            maximumLiteral: settings.maximumLiteral
        ) { line in IMAPFraming.literalSize(atEndOf: line) }
        return try IMAPResponseParser.parse(Array(raw.readableBytesView))
    }

    /// Fails with a clear error unless the status is OK.
    package func expectOK(_ answer: Answer, _ what: String) throws {
        guard answer.status.status == "OK" else {
            let code = answer.status.code.first ?? ""
            let notFound = code == "NONEXISTENT" || code == "TRYCREATE"
            throw IntegrationError(
                code: notFound ? .notFound : .serviceError,
                message: "\(settings.server) refused \(what)\(code.isEmpty ? "" : " [\(code)]"): \(answer.status.text)",
                status: nil
            )
        }
    }

    /// LOGOUT and close; never throws.
    package func logout() async {
        _ = try? await command("LOGOUT")
        await connection.close()
    }

    nonisolated func classify(_ error: any Error) -> any Error {
        switch error {
        case let error as IMAPParseError:
            return IntegrationError(code: .serviceError, message: "\(settings.server): \(error.message)")
        case MailWireError.literalTooLarge, MailWireError.lineTooLong:
            return IntegrationError(
                code: .serviceError,
                message: "\(settings.server): \(MailConnection.describe(error))",
                transience: .never,
                hint: "the message is larger than this client reads; fetch it with another tool"
            )
        case is MailWireError, is ChannelError, is IOError:
            var code: IntegrationError.Code = .connectionFailed
            if case MailWireError.timeout = error { code = .timeout }
            return IntegrationError(
                code: code,
                message: "\(settings.server): \(MailConnection.describe(error))",
                transience: .always,
                underlying: error
            )
        case is IntegrationError, is CancellationError:
            return error
        default:
            if let failure = MailConnection.permanentTLSFailure(
                error,
                server: settings.server,
                security: settings.endpoint.security
            ) {
                return failure
            }
            return IntegrationError(
                code: .connectionFailed,
                message: "\(settings.server): \(MailConnection.describe(error))",
                transience: .always
            )
        }
    }

    // MARK: - Mailboxes

    /// The mailboxes (LIST "" "*"), decoded from modified UTF-7.
    package func mailboxes() async throws -> [String] {
        let answer = try await command("LIST", arguments: [.text(""), .text("*")])
        try expectOK(answer, "LIST")
        return answer.data.compactMap { response in
            guard response.values.first?.text?.uppercased() == "LIST", response.values.count >= 4,
                let name = response.values[3].bytes
            else { return nil }
            return ModifiedUTF7.decode(String(decoding: name, as: UTF8.self))
        }
    }

    /// SELECT (read-write) or EXAMINE (read-only) `folder`; `inbox` is INBOX in any case.
    package func open(folder: String, readOnly: Bool) async throws {
        let name = folder.caseInsensitiveCompare("inbox") == .orderedSame ? "INBOX" : ModifiedUTF7.encode(folder)
        if let selected, selected.name == name, selected.readOnly == readOnly { return }
        let answer = try await command(readOnly ? "EXAMINE" : "SELECT", arguments: [.text(name)])
        guard answer.status.status == "OK" else {
            let known = (try? await mailboxes()) ?? []
            throw IntegrationError(
                code: .notFound,
                message:
                    "folder '\(folder)' cannot be opened on \(settings.server): \(answer.status.text)\(known.isEmpty ? "" : " (folders: \(known.joined(separator: ", ")))")",
                hint: "name one of the folders the server lists"
            )
        }
        selected = (name, readOnly)
    }

    /// UID SEARCH with `criteria` (atoms: `UNSEEN`, `SINCE 1-Dec-2026`, ...), ascending.
    package func search(_ criteria: [Argument]) async throws -> [UInt32] {
        let answer = try await command("UID SEARCH", arguments: criteria.isEmpty ? [.atom("ALL")] : criteria)
        try expectOK(answer, "UID SEARCH")
        var uids: [UInt32] = []
        for response in answer.data where response.values.first?.text?.uppercased() == "SEARCH" {
            uids += response.values.dropFirst().compactMap { $0.text.flatMap { UInt32($0) } }
        }
        return uids.sorted()
    }

    /// One fetched message.
    package struct Fetched: Sendable {
        package var uid: UInt32
        package var flags: [String]
        package var body: [UInt8]?
        package var envelope: IMAPValue?
        package var bodyStructure: IMAPValue?
    }

    /// UID FETCH of `uids` with `items` (`FLAGS BODY.PEEK[]`: the message without marking it read).
    package func fetch(_ uids: [UInt32], items: String = "(UID FLAGS BODY.PEEK[])") async throws -> [Fetched] {
        guard !uids.isEmpty else { return [] }
        let answer = try await command("UID FETCH", arguments: [.atom(UIDSet.text(uids)), .atom(items)])
        try expectOK(answer, "UID FETCH")
        var out: [UInt32: Fetched] = [:]
        for response in answer.data {
            guard response.values.count >= 3, response.values[1].text?.uppercased() == "FETCH",
                let items = response.values[2].list
            else { continue }
            var fetched = Fetched(uid: 0, flags: [])
            var index = 0
            while index + 1 < items.count {
                let key = items[index].text?.uppercased() ?? ""
                let value = items[index + 1]
                switch key {
                case "UID": fetched.uid = value.text.flatMap { UInt32($0) } ?? 0
                case "FLAGS": fetched.flags = value.list?.compactMap(\.text) ?? []
                case "ENVELOPE": fetched.envelope = value
                case "BODYSTRUCTURE": fetched.bodyStructure = value
                default:
                    if key.hasPrefix("BODY[") || key.hasPrefix("BINARY[") { fetched.body = value.bytes ?? [] }
                }
                index += 2
            }
            guard fetched.uid != 0 else { continue }
            if var existing = out[fetched.uid] {
                if fetched.body != nil { existing.body = fetched.body }
                if !fetched.flags.isEmpty { existing.flags = fetched.flags }
                out[fetched.uid] = existing
            } else {
                out[fetched.uid] = fetched
            }
        }
        return uids.compactMap { out[$0] }
    }

    /// UID STORE `+FLAGS.SILENT (flags)`.
    package func addFlags(_ uids: [UInt32], _ flags: [String]) async throws {
        guard !uids.isEmpty else { return }
        let answer = try await command(
            "UID STORE",
            arguments: [
                .atom(UIDSet.text(uids)), .atom("+FLAGS.SILENT"), .atom("(" + flags.joined(separator: " ") + ")"),
            ]
        )
        try expectOK(answer, "UID STORE")
    }

    /// UID MOVE, or UID COPY then `\Deleted` and (UID) EXPUNGE on servers without MOVE.
    package func move(_ uids: [UInt32], to folder: String) async throws {
        guard !uids.isEmpty else { return }
        let target = folder.caseInsensitiveCompare("inbox") == .orderedSame ? "INBOX" : ModifiedUTF7.encode(folder)
        let set = UIDSet.text(uids)
        if capabilities.contains("MOVE") {
            let answer = try await command("UID MOVE", arguments: [.atom(set), .text(target)])
            try expectOK(answer, "UID MOVE to '\(folder)'")
            return
        }
        try expectOK(try await command("UID COPY", arguments: [.atom(set), .text(target)]), "UID COPY to '\(folder)'")
        try await addFlags(uids, ["\\Deleted"])
        if capabilities.contains("UIDPLUS") {
            try expectOK(try await command("UID EXPUNGE", arguments: [.atom(set)]), "UID EXPUNGE")
        } else {
            try expectOK(try await command("EXPUNGE"), "EXPUNGE")
        }
    }
}

/// A UID set as IMAP writes it: `1:5,9,12:13`.
package enum UIDSet {
    package static func text(_ uids: [UInt32]) -> String {
        let sorted = Array(Set(uids)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}

/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): `&` shifts to modified base64 of UTF-16.
package enum ModifiedUTF7 {
    package static func encode(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            let base64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: ",")
                .replacingOccurrences(of: "=", with: "")
            out += "&" + base64 + "-"
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }

    package static func decode(_ name: String) -> String {
        var out = ""
        var rest = Substring(name)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let dash = after.firstIndex(of: "-") else { return out + rest[amp...] }
            let encoded = after[..<dash]
            if encoded.isEmpty {
                out += "&"
            } else {
                var base64 = encoded.replacingOccurrences(of: ",", with: "/")
                while base64.count % 4 != 0 { base64 += "=" }
                if let data = Data(base64Encoded: base64) {
                    let bytes = [UInt8](data)
                    var units: [UInt16] = []
                    var i = 0
                    while i + 1 < bytes.count {
                        units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
                        i += 2
                    }
                    out += String(decoding: units, as: UTF16.self)
                } else {
                    out += "&" + encoded + "-"
                }
            }
            rest = after[after.index(after: dash)...]
        }
        return out + rest
    }
}
