import Foundation
import SwitchboardLanguage
import Testing

/// The 130 expressions of the development corpus (chrono's test suite; see Fixtures/PROVENANCE.md).
@Suite struct DevFixtureTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var text: String
        var ref: String
        var expect_start: String?
        var expect_end: String?
        var match: String
        var expect_duration_minutes: Int?
        var testDescription: String { "\(id): \(text)" }
    }

    static let cases: [Case] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/time_expressions_dev.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }()

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)
    }

    static func zone(of text: String) -> TimeZone {
        let offset = String(text.suffix(6))
        let sign = offset.hasPrefix("-") ? -1 : 1
        let parts = offset.dropFirst().split(separator: ":").compactMap { Int($0) }
        return TimeZone(secondsFromGMT: sign * (parts[0] * 3600 + parts[1] * 60))!
    }

    @Test func theFixtureIsThere() { #expect(Self.cases.count == 130) }

    @Test(arguments: cases)
    func expression(_ c: Case) throws {
        let now = try #require(Self.date(c.ref))
        let zone = Self.zone(of: c.ref)
        let task = TaskParser().parse(c.text, now: now, timeZone: zone)
        let start = task.start.map { ParsedTask.iso($0, zone) }
        let end = task.end.map { ParsedTask.iso($0, zone) }
        switch c.match {
        case "exact":
            if let s = c.expect_start { #expect(start?.prefix(16) == s.prefix(16), "start") }
            if let e = c.expect_end { #expect(end?.prefix(16) == e.prefix(16), "end") }
        case "date":
            if let s = c.expect_start { #expect(start?.prefix(10) == s.prefix(10), "start") }
            if let e = c.expect_end { #expect(end?.prefix(10) == e.prefix(10), "end") }
        case "within":
            let s = try #require(task.start, "no start")
            #expect(s >= Self.date(c.expect_start!)! && s < Self.date(c.expect_end!)!)
        case "duration":
            #expect(task.durationMinutes == c.expect_duration_minutes)
        default:
            Issue.record("unknown match \(c.match)")
        }
    }
}
