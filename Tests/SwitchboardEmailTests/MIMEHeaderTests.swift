import Foundation
import Testing

@testable import SwitchboardEmail

/// Header fields against the mail-parser vectors (`Fixtures/header-vectors`): unstructured text with encoded
/// words, address lists, dates.
@Suite struct MIMEHeaderTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    struct Vector<Expected: Decodable>: Decodable {
        var header: String
        var expected: Expected
    }

    static func vectors<Expected: Decodable>(_ name: String, as: Expected.Type) throws -> [Vector<Expected>] {
        try JSONDecoder().decode(
            [Vector<Expected>].self,
            from: Data(contentsOf: fixtures.appendingPathComponent("header-vectors/\(name).json"))
        )
    }

    /// The field's value as a header block gives it: the first line and its continuations, unfolded.
    static func value(_ header: String) -> String {
        HeaderFields(parsing: Array(("X: " + header).utf8)[...])["X"] ?? ""
    }

    /// The same, folds kept (as unstructured text is decoded).
    static func raw(_ header: String) -> String {
        HeaderFields(parsing: Array(("X: " + header).utf8)[...]).raw("X") ?? ""
    }

    @Test func unstructuredTextAndEncodedWords() throws {
        var misses: [String] = []
        let cases = try Self.vectors("unstructured", as: String.self)
        for vector in cases {
            let got = MIMEText.decodeUnstructured(Self.raw(vector.header))
            if got != vector.expected {
                misses.append(
                    "\(vector.header.debugDescription) → \(got.debugDescription), want \(vector.expected.debugDescription)"
                )
            }
        }
        #expect(misses.isEmpty, "\(misses.count) of \(cases.count):\n\(misses.joined(separator: "\n"))")
    }

    struct AddressExpectation: Decodable {
        struct Mailbox: Decodable {
            var name: String?
            var address: String?
        }
        struct Members: Decodable {
            var name: String?
            var addresses: [Mailbox]
        }
        var list: [Mailbox]?
        var groups: [Members]?

        enum CodingKeys: String, CodingKey {
            case list = "List"
            case groups = "Group"
        }

        var addresses: [String] {
            (list ?? []).compactMap(\.address) + (groups ?? []).flatMap { $0.addresses.compactMap(\.address) }
        }
    }

    @Test func addressListsAndGroups() throws {
        var misses: [String] = []
        let cases = try Self.vectors("address", as: AddressExpectation.self)
        func squeeze(_ s: String) -> String { s.filter { $0 != " " && $0 != "\t" } }
        for vector in cases {
            let got = AddressList.parse(Self.value(vector.header)).map { squeeze($0.address) }.filter { !$0.isEmpty }
            let want = vector.expected.addresses.map(squeeze).filter { !$0.isEmpty }
            if got != want { misses.append("\(vector.header.debugDescription) → \(got), want \(want)") }
        }
        // mail-parser keeps some malformed inputs as it found them; the addresses must agree on nearly all.
        #expect(
            misses.count <= cases.count / 10,
            "\(misses.count) of \(cases.count):\n\(misses.joined(separator: "\n"))"
        )
        let named = AddressList.parse("\"Doe, John\" <jdoe@example.com>, =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>")
        #expect(
            named == [
                MailAddress(name: "Doe, John", address: "jdoe@example.com"),
                MailAddress(name: "Jürgen", address: "j@example.de"),
            ]
        )
    }

    struct DateExpectation: Decodable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var tz_before_gmt: Bool
        var tz_hour: Int
        var tz_minute: Int
    }

    @Test func dates() throws {
        var misses: [String] = []
        let cases = try Self.vectors("date", as: DateExpectation?.self)
        for vector in cases {
            let got = MailDate(parsing: Self.value(vector.header))
            guard let want = vector.expected else {
                if let got { misses.append("\(vector.header.debugDescription) → \(got.text), want none") }
                continue
            }
            let offset = (want.tz_hour * 3600 + want.tz_minute * 60) * (want.tz_before_gmt ? -1 : 1)
            let expected = [want.year, want.month, want.day, want.hour, want.minute, want.second, offset]
            let actual = got.map { [$0.year, $0.month, $0.day, $0.hour, $0.minute, $0.second, $0.offset] }
            if actual != expected {
                misses.append("\(vector.header.debugDescription) → \(got?.text ?? "none"), want \(expected)")
            }
        }
        #expect(
            misses.count <= cases.count / 10,
            "\(misses.count) of \(cases.count):\n\(misses.joined(separator: "\n"))"
        )
        #expect(MailDate(parsing: "Tue, 1 Jul 2003 10:52:37 +0200")?.text == "2003-07-01T10:52:37+02:00")
        #expect(MailDate(parsing: "not a date") == nil)
    }

    @Test func contentTypeParametersWithContinuationsAndCharsets() {
        let type = MIMEParameters(
            parsing: "application/pdf; name*0*=utf-8''R%C3%A9sum%C3%A9; name*1=\" 2026.pdf\"; x=\"a;b\""
        )
        #expect(type.value == "application/pdf")
        #expect(type.parameters["name"] == "Résumé 2026.pdf")
        #expect(type.parameters["x"] == "a;b")
        #expect(MIMEParameters(parsing: "TEXT/Plain; CHARSET=\"ISO-8859-1\"").parameters["charset"] == "ISO-8859-1")
        #expect(
            MIMEParameters(parsing: "attachment; filename=\"=?UTF-8?B?w6TDtsO8LnR4dA==?=\"").parameters["filename"]
                == "äöü.txt"
        )
    }

    @Test func charsetsRealMailUses() {
        #expect(Charsets.decode([0xE4, 0xF6, 0xFC], charset: "iso-8859-1").text == "äöü")
        #expect(Charsets.decode([0xC1, 0xC2, 0xD7], charset: "koi8-r").text == "абв")
        #expect(Charsets.decode([0x80], charset: "windows-1252").text == "€")
        #expect(Charsets.decode([0x82, 0xA0], charset: "shift_jis").text == "あ")
        #expect(Charsets.decode([0x1B, 0x24, 0x42, 0x24, 0x22, 0x1B, 0x28, 0x42], charset: "iso-2022-jp").text == "あ")
        #expect(Charsets.decode([0xC4, 0xE3], charset: "gb2312").text == "你")
        #expect(Charsets.decode([0xA7, 0x41], charset: "big5").text == "你")
        #expect(Charsets.decode([0xA4, 0xA2], charset: "euc-jp").text == "あ")
        let unknown = Charsets.decode(Array("plain".utf8), charset: "x-nonsense")
        #expect(unknown.text == "plain" && !unknown.known)
    }
}
