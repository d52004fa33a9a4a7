import Foundation
import SwitchboardLanguage
import Testing

/// Our own corpus (Fixtures/corpus.jsonl, 506 cases): time expressions at several reference times (ends of months and
/// years, a leap day, both DST changes), whole requests, and the failure cases. Written by hand; every key of
/// `expect` is compared exactly.
@Suite struct CorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var now: String
        var timezone: String
        var expect: [String: any Sendable]
        var testDescription: String { text }
    }

    static let cases: [Case] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/corpus.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let text = object["text"] as? String, let now = object["now"] as? String,
                let zone = object["timezone"] as? String,
                let expect = object["expect"] as? [String: Any]
            else { return nil }
            return Case(
                text: text,
                now: now,
                timezone: zone,
                expect: expect.mapValues { value -> any Sendable in
                    if let v = value as? String { return v }
                    if let v = value as? Bool { return v }
                    if let v = value as? Int { return v }
                    if let v = value as? [String] { return v }
                    return NSNull()
                }
            )
        }
    }()

    static var parser: TaskParser {
        var configuration = TaskParser.Configuration()
        configuration.contacts = ["alice": "alice@example.com", "bob": "bob@example.com"]
        return TaskParser(configuration: configuration)
    }

    @Test func theCorpusIsThere() { #expect(Self.cases.count >= 500) }

    @Test(arguments: cases)
    func request(_ c: Case) throws {
        let now = try #require(ISO8601DateFormatter().date(from: c.now), "now")
        let zone = try #require(TimeZone(identifier: c.timezone))
        let task = Self.parser.parse(c.text, now: now, timeZone: zone)
        let json = try #require(JSONSerialization.jsonObject(with: Data(task.json().utf8)) as? [String: Any])
        for (key, expected) in c.expect {
            if key == "error_codes" {
                let codes = (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
                let wanted = expected as? [String] ?? []
                if wanted.isEmpty {
                    #expect(codes.isEmpty, "errors: \(task.errors)")
                } else {
                    for code in wanted { #expect(codes.contains(code), "error \(code) in \(codes)") }
                }
                continue
            }
            let actual = json[key]
            switch expected {
            case let value as String: #expect(actual as? String == value, "\(key)")
            case let value as Bool: #expect(actual as? Bool == value, "\(key)")
            case let value as Int: #expect(actual as? Int == value, "\(key)")
            case let value as [String]: #expect(actual as? [String] == value, "\(key)")
            default: #expect(actual is NSNull, "\(key) should be null, is \(String(describing: actual))")
            }
        }
    }
}
