import Foundation
import SwitchboardTesting
import Testing

@testable import SwitchboardEmail

/// The IMAP response parser: imaptest's expected replies, literals, status codes, and mutated input that must
/// never crash or hang.
@Suite struct IMAPResponseTests {
    static func corpus() throws -> [String] {
        let url = MIMEHeaderTests.fixtures.appendingPathComponent("imap/untagged-responses.txt")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func parse(_ text: String) throws -> IMAPResponse {
        try IMAPResponseParser.parse(Array((text + "\r\n").utf8))
    }

    @Test func imaptestRepliesParse() throws {
        let lines = try Self.corpus()
        #expect(lines.count > 250)
        var failures: [String] = []
        for line in lines {
            do {
                let response = try Self.parse(line)
                #expect(response.kind == .untagged, "\(line)")
                #expect(!response.values.isEmpty, "\(line)")
            } catch {
                failures.append("\(line): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func envelopeWithGroupsAndNIL() throws {
        let response = try Self.parse(
            #"* 1 FETCH (ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" "subject header" (("From Real" NIL "fromuser" "fromdomain.org")) NIL NIL NIL NIL NIL "<reply@to.id>" "<msg@id>"))"#
        )
        #expect(response.values[0] == .atom("1"))
        #expect(response.values[1] == .atom("FETCH"))
        let items = try #require(response.values[2].list)
        #expect(items[0] == .atom("ENVELOPE"))
        let envelope = try #require(items[1].list)
        #expect(envelope.count == 10)
        #expect(envelope[1].text == "subject header")
        #expect(envelope[2].list?.first?.list?[2].text == "fromuser")
        #expect(envelope[3] == .null)
        #expect(envelope[9].text == "<msg@id>")
    }

    @Test func literalsAndBodySectionsAndFlags() throws {
        let body = "Subject: x\r\n\r\n{5}\r\n) \"(\r\n"
        let wire =
            "* 7 FETCH (UID 42 FLAGS (\\Seen $Label \\*) BODY[] {\(body.utf8.count)}\r\n\(body) BODY[1.2]<0> \"q\\\"x\")\r\n"
        let response = try IMAPResponseParser.parse(Array(wire.utf8))
        let items = try #require(response.values[2].list)
        #expect(items[1] == .atom("42"))
        #expect(items[3].list == [.atom("\\Seen"), .atom("$Label"), .atom("\\*")])
        #expect(items[4] == .atom("BODY[]"))
        #expect(items[5].bytes == Array(body.utf8))
        #expect(items[6] == .atom("BODY[1.2]<0>"))
        #expect(items[7].text == "q\"x")
    }

    @Test func statusResponsesKeepTheirCode() throws {
        let refused = try Self.parse("A3 NO [AUTHENTICATIONFAILED] Authentication failed.")
        #expect(refused.kind == .tagged("A3"))
        #expect(refused.status == "NO")
        #expect(refused.code == ["AUTHENTICATIONFAILED"])
        #expect(refused.text == "Authentication failed.")
        let greeting = try Self.parse(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready."
        )
        #expect(greeting.code.first == "CAPABILITY")
        #expect(greeting.code.contains("AUTH=PLAIN"))
        let continuation = try Self.parse("+ eyJzdGF0dXMiOiI0MDEifQ==")
        #expect(continuation.kind == .continuation)
        #expect(continuation.text == "eyJzdGF0dXMiOiI0MDEifQ==")
        let list = try Self.parse(#"* LIST (\HasNoChildren \Sent) "/" "Sent &AMk-l&AOk-ments""#)
        #expect(list.values[3].text.map(ModifiedUTF7.decode) == "Sent Éléments")
    }

    @Test func literalSizesAtLineEnds() {
        #expect(IMAPFraming.literalSize(atEndOf: Array("* 1 FETCH (BODY[] {123}".utf8)) == 123)
        #expect(IMAPFraming.literalSize(atEndOf: Array("A1 LOGIN {5+}".utf8)) == 5)
        #expect(IMAPFraming.literalSize(atEndOf: Array("* OK done}".utf8)) == nil)
        #expect(IMAPFraming.literalSize(atEndOf: Array("{}".utf8)) == nil)
        #expect(IMAPFraming.literalSize(atEndOf: Array("{99999999999999}".utf8)) == nil)
    }

    @Test func malformedInputIsAnErrorNotACrash() {
        for text in [
            "", "*", "* ", "* 1 FETCH (", "* 1 FETCH ((((", "* 1 FETCH (BODY[] {10}\r\nabc)", "* \"open",
            "* 1 FETCH )", "A1", "* OK [UNCLOSED", "* 1 FETCH {x}", "* 1 FETCH ~x",
        ] {
            #expect(throws: IMAPParseError.self, "\(text.debugDescription)") {
                try IMAPResponseParser.parse(Array(text.utf8))
            }
        }
        let deep = "* " + String(repeating: "(", count: 10_000) + String(repeating: ")", count: 10_000)
        #expect(throws: IMAPParseError.self) { try IMAPResponseParser.parse(Array(deep.utf8)) }
    }

    /// 100,000 mutations of the corpus (byte flips, insertions of IMAP's special bytes, truncations, literal
    /// markers with wrong sizes): each parses or throws, none crashes or hangs.
    @Test func fuzzedResponsesNeverCrash() async throws {
        let seeds = try Self.corpus().map { Array(($0 + "\r\n").utf8) }
        var generator = SplitMix(seed: 9051)
        let specials: [UInt8] = Array("(){}[]\"\\ *+~\r\n0123456789".utf8)
        var parsed = 0
        var refused = 0
        for round in 0..<100_000 {
            // CPU-bound: give the 2-thread cooperative pool back now and then, for the suites that wait on deadlines.
            if round % 250 == 0 { await Task.yield() }
            var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 6 {
                case 0: if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: generator.next()) }
                case 1: bytes.insert(specials[Int(generator.next() % UInt64(specials.count))], at: position)
                case 2: bytes = Array(bytes.prefix(position))
                case 3: bytes.insert(contentsOf: Array("{\(generator.next() % 40)}\r\n".utf8), at: position)
                case 4: if !bytes.isEmpty { bytes.remove(at: position) }
                default: bytes.insert(contentsOf: bytes[position...].prefix(16), at: position)
                }
            }
            if (try? IMAPResponseParser.parse(bytes)) != nil { parsed += 1 } else { refused += 1 }
            _ = IMAPFraming.literalSize(atEndOf: bytes)
        }
        #expect(parsed + refused == 100_000)
        #expect(parsed > 10_000)
        #expect(refused > 10_000)
    }

    @Test func uidSetsAndMailboxNames() {
        #expect(UIDSet.text([5, 1, 2, 3, 9, 12, 13, 3]) == "1:3,5,9,12:13")
        #expect(ModifiedUTF7.encode("Entwürfe & Co") == "Entw&APw-rfe &- Co")
        #expect(ModifiedUTF7.decode("Entw&APw-rfe &- Co") == "Entwürfe & Co")
        #expect(ModifiedUTF7.decode(ModifiedUTF7.encode("台北 📧")) == "台北 📧")
        #expect(ModifiedUTF7.decode("&bad") == "&bad")
    }
}
