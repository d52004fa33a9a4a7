import Foundation
import SwitchboardCore
import SwitchboardTesting
import Testing

@testable import SwitchboardEmail

/// Whole messages: the mail-parser samples (RFC examples and Dovecot's), the body and attachment choice, and
/// mutated input that must never crash or hang.
@Suite struct MIMEMessageTests {
    static let folders = ["mail-parser-rfc", "mail-parser-thirdparty-dovecot"]

    static func samples() throws -> [(String, [UInt8])] {
        try folders.flatMap { folder in
            let directory = MIMEHeaderTests.fixtures.appendingPathComponent(folder)
            return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }
                .sorted().map {
                    ("\(folder)/\($0)", [UInt8](try Data(contentsOf: directory.appendingPathComponent($0))))
                }
        }
    }

    /// The subject mail-parser found (its first part's `subject` header), if any.
    static func referenceSubject(_ name: String) throws -> String? {
        let url = MIMEHeaderTests.fixtures.appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let parts = json?["parts"] as? [[String: Any]]
        let headers = parts?.first?["headers"] as? [[String: Any]]
        let subject = headers?.first { $0["name"] as? String == "subject" }?["value"] as? [String: Any]
        return subject?["Text"] as? String
    }

    @Test func everySampleParsesWithTheReferenceSubject() throws {
        let all = try Self.samples()
        #expect(all.count == 30)
        for (name, bytes) in all {
            let email = try ParsedEmail(parsing: bytes)
            if let subject = try Self.referenceSubject(name) {
                #expect(email.subject == subject, "\(name)")
            }
            _ = email.json.jsonString()
        }
    }

    @Test func bodiesAndAttachmentsAreChosenAsAReaderWould() throws {
        // RFC 8621 §4.1.4's structure: mixed(text, alternative(related(html, image)), attachment ...).
        let jmap = try ParsedEmail(
            parsing: try Data(contentsOf: MIMEHeaderTests.fixtures.appendingPathComponent("mail-parser-rfc/007.eml"))
                .map { $0 }
        )
        #expect(jmap.text != nil && jmap.html != nil)
        #expect(!jmap.attachments.isEmpty)
        let message = """
            From: =?UTF-8?Q?Ren=C3=A9e?= <renee@example.com>
            To: a@example.com, "B, Person" <b@example.com>
            Subject: =?UTF-8?B?UXVhcnRhbHN6YWhsZW4g4oKs?=
            Date: Wed, 2 Dec 2026 09:30:00 -0500
            Message-ID: <abc@example.com>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            preamble
            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Gr=FC=DFe,=20
            bis bald=
             !
            --inner
            Content-Type: text/html; charset=utf-8

            <p>Grüße</p>
            --inner--
            --outer
            Content-Type: application/octet-stream; name="data.bin"
            Content-Transfer-Encoding: base64

            AAEC/w==
            --outer
            Content-Type: text/plain
            Content-Disposition: attachment; filename*=utf-8''%C3%BCbersicht.txt

            notes
            --outer
            Content-Type: application/x-broken
            Content-Transfer-Encoding: x-rot13

            whatever
            --outer--
            epilogue
            """
        let email = try ParsedEmail(parsing: Array(message.utf8))
        #expect(email.subject == "Quartalszahlen €")
        #expect(email.from == [MailAddress(name: "Renée", address: "renee@example.com")])
        #expect(email.to.map(\.address) == ["a@example.com", "b@example.com"])
        #expect(email.to.last?.name == "B, Person")
        #expect(email.date?.text == "2026-12-02T09:30:00-05:00")
        #expect(email.messageID == "abc@example.com")
        #expect(email.text == "Grüße, \nbis bald !")
        #expect(email.html == "<p>Grüße</p>")
        #expect(email.attachments.map(\.filename) == ["data.bin", "übersicht.txt", nil])
        #expect(email.attachments.first?.bytes == [0, 1, 2, 255])
        #expect(email.problems.count == 1 && email.problems[0].contains("x-rot13"), "\(email.problems)")
        let json = email.json
        #expect(json["cc"] == [])
        #expect(json["attachments"]?.arrayValue?.first?["sha256"]?.stringValue?.count == 64)
        #expect(throws: Error.self) { try ParsedEmail(parsing: Array("\n\njust a body".utf8)) }
        let bare = try ParsedEmail(parsing: Array("Subject: hi\n\nbody\n".utf8))
        #expect(bare.text == "body\n" && bare.html == nil && bare.from.isEmpty && bare.date == nil)
    }

    @Test func mutatedMessagesNeverCrash() async throws {
        var generator = SplitMix(seed: 2026)
        let seeds = try Self.samples().map(\.1)
        for round in 0..<1_500 {
            await Task.yield()
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...10, using: &generator) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: at)
                case 2:
                    bytes.insert(contentsOf: Array("\r\n--=?;\"".utf8).shuffled(using: &generator).prefix(3), at: at)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...60, using: &generator))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                }
            }
            if let email = try? ParsedEmail(parsing: bytes) { _ = email.json.jsonString() }
        }
        // Deep nesting stops at the limit instead of recursing without end.
        var deep = "Content-Type: multipart/mixed; boundary=b0\n\n"
        for level in 1..<200 { deep += "--b\(level - 1)\nContent-Type: multipart/mixed; boundary=b\(level)\n\n" }
        let nested = try ParsedEmail(parsing: Array(deep.utf8))
        #expect(nested.problems.contains { $0.contains("deeper than") })
    }
}
