import Foundation
import SwitchboardCore
import SwitchboardTesting
import Testing

@testable import SwitchboardEmail

/// The IMAP session against a scripted server: a response framed on the event loop (a literal split across
/// writes, holding CRLFs and what looks like another literal), and a literal larger than allowed, which ends
/// the call at once instead of being read.
@Suite struct IMAPClientTests {
    static let literal = "Subject: ünï {5}\r\n\r\nline one {12}\r\n* 2 FETCH (UID 9)\r\nlast"

    /// A PREAUTH server that answers EXAMINE, UID SEARCH and UID FETCH; the FETCH literal goes in pieces.
    static func server(announcing size: Int? = nil) async throws -> TestLineServer {
        try await TestLineServer { talk in
            try await talk.write("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n")
            while let line = try await talk.readLine() {
                let words = line.split(separator: " ")
                guard words.count >= 2 else { continue }
                let tag = words[0]
                let verb = words[1].uppercased() + (words.count > 2 ? " " + words[2].uppercased() : "")
                if verb.hasPrefix("EXAMINE") {
                    try await talk.write("* 1 EXISTS\r\n* OK [UIDVALIDITY 3] ok\r\n\(tag) OK [READ-ONLY] done\r\n")
                } else if verb == "UID SEARCH" {
                    try await talk.write("* SEARCH 7\r\n\(tag) OK done\r\n")
                } else if verb == "UID FETCH" {
                    let bytes = Array(literal.utf8)
                    try await talk.write("* 1 FETCH (UID 7 FLAGS (\\Seen) BODY[] {\(size ?? bytes.count)}\r\n")
                    if size != nil { continue }  // announces more than the client takes: it must stop reading
                    try await talk.write(String(decoding: bytes[..<20], as: UTF8.self))
                    try await talk.write(String(decoding: bytes[20...], as: UTF8.self))
                    try await talk.write(")\r\n\(tag) OK done\r\n")
                } else if verb.hasPrefix("LOGOUT") {
                    try await talk.write("* BYE bye\r\n\(tag) OK done\r\n")
                    return
                } else {
                    try await talk.write("\(tag) BAD unknown\r\n")
                }
            }
        }
    }

    static func settings(port: Int, maximumLiteral: Int = 1 << 20) -> IMAPSettings {
        var settings = IMAPSettings(
            endpoint: MailEndpoint(host: "127.0.0.1", port: port, security: .none),
            credentials: MailCredentials(username: "ann")
        )
        settings.allowInsecure = true
        settings.timeout = .seconds(5)
        settings.maximumLiteral = maximumLiteral
        return settings
    }

    @Test func aLiteralSplitAcrossWritesIsReadWhole() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let fetched = try await IMAPSession.with(Self.settings(port: server.port)) { session in
            try await session.open(folder: "inbox", readOnly: true)
            let uids = try await session.search([])
            return try await session.fetch(uids)
        }
        #expect(fetched.count == 1)
        #expect(fetched.first?.uid == 7)
        #expect(fetched.first?.flags == ["\\Seen"])
        #expect(fetched.first?.body == Array(Self.literal.utf8))
    }

    @Test func aLiteralOverTheLimitEndsTheCallWithoutRetry() async throws {
        let server = try await Self.server(announcing: 50_000_000)
        defer { Task { await server.shutdown() } }
        let error = await #expect(throws: IntegrationError.self) {
            try await IMAPSession.with(Self.settings(port: server.port, maximumLiteral: 1 << 20)) { session in
                try await session.open(folder: "inbox", readOnly: true)
                return try await session.fetch([7])
            }
        }
        #expect(error?.message.contains("a literal of 50000000 bytes, more than the 1048576 allowed") == true)
        #expect(error?.transience == .never)
    }
}
