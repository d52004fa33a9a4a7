import Foundation
import SwitchboardTesting
import Testing

@testable import SwitchboardCalendar

/// Reading and writing iCalendar text: the sample files from two projects' test suites, folding, escaping, and
/// the errors a malformed file gets.
@Suite struct ICalendarParserTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static let broken: Set<String> = [
        "collective-icalendar/calendars_broken_ical.ics", "collective-icalendar/calendars_small_bad_calendar.ics",
    ]

    static var allSamples: [String] {
        ["collective-icalendar", "recurring-ical-events"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(folder).path)) ?? [])
                .filter { $0.hasSuffix(".ics") }.sorted().map { folder + "/" + $0 }
        }
    }

    @Test func everySampleRoundTrips() throws {
        #expect(Self.allSamples.count == 33)
        for name in Self.allSamples where !Self.broken.contains(name) {
            let roots = try ICalComponent.parse(try Self.fixture(name))
            let text = roots.map { $0.serialized() }.joined()
            let again = try ICalComponent.parse(Array(text.utf8))
            #expect(again.map { $0.serialized() }.joined() == text, "\(name) changes on a second round trip")
            #expect(Self.strip(again) == Self.strip(roots), "\(name) loses something on a round trip")
            for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
                #expect(line.utf8.count <= 75, "\(name): a line longer than 75 octets")
            }
        }
    }

    /// Components without their source line numbers.
    static func strip(_ components: [ICalComponent]) -> [ICalComponent] {
        components.map { c in
            ICalComponent(
                name: c.name,
                properties: c.properties.map {
                    ICalProperty(name: $0.name, parameters: $0.parameters, value: $0.value)
                },
                components: strip(c.components)
            )
        }
    }

    @Test func unknownPropertiesAndComponentsSurvive() throws {
        let text = """
            BEGIN:VCALENDAR\r
            VERSION:2.0\r
            X-WR-CALNAME;X-PARAM="a:b":Team\r
            BEGIN:VEVENT\r
            UID:1\r
            DTSTART:20260301T090000Z\r
            X-CUSTOM:kept\r
            BEGIN:X-THING\r
            FOO:bar\r
            END:X-THING\r
            END:VEVENT\r
            END:VCALENDAR\r

            """
        let calendar = try ICalComponent.parseOne(Array(text.utf8))
        #expect(calendar.serialized() == text)
        #expect(calendar.components[0].components[0].name == "X-THING")
        #expect(calendar.property("X-WR-CALNAME")?.parameter("X-PARAM") == "a:b")
    }

    @Test func foldsAtSeventyFiveOctetsNeverInsideACharacter() throws {
        let summary = String(repeating: "ሴ", count: 60) + " and ünïcödé, with; escapes\\ and\nlines"
        var event = ICalComponent(name: "VEVENT")
        event.properties.append(ICalProperty(name: "SUMMARY", text: summary))
        let text = event.serialized()
        for line in text.split(separator: "\r\n") {
            #expect(line.utf8.count <= 75)
            #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil, "a fold split a character")
        }
        let back = try ICalComponent.parseOne(Array(text.utf8))
        #expect(back.property("SUMMARY")?.textValue == summary)
    }

    @Test func escapesAreRead() throws {
        let roots = try ICalComponent.parse(
            try Self.fixture("collective-icalendar/events_event_with_escaped_characters.ics")
        )
        let organizer = try #require(roots.first?.property("ORGANIZER"))
        #expect(organizer.parameter("CN") == #"that\, that\; %th%%at%\ that\:"#)
        #expect(organizer.textValue == "это, то; that %th%%at%:")
        let text = ICalProperty(name: "DESCRIPTION", text: "a, b; c\\ d\nline").value
        #expect(text == #"a\, b\; c\\ d\nline"#)
        #expect(ICalText.unescape(text) == "a, b; c\\ d\nline")
    }

    @Test func bareLFAndCRLFReadAlike() throws {
        let crlf = "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:long\r\n  folded\r\nEND:VEVENT\r\n"
        let lf = crlf.replacingOccurrences(of: "\r\n", with: "\n")
        let a = try ICalComponent.parseOne(Array(crlf.utf8))
        let b = try ICalComponent.parseOne(Array(lf.utf8))
        #expect(a.property("SUMMARY")?.value == "long folded")
        #expect(Self.strip([a]) == Self.strip([b]))
    }

    @Test func malformedFilesNameTheLine() throws {
        #expect {
            try ICalComponent.parse(try Self.fixture("collective-icalendar/calendars_broken_ical.ics"))
        } throws: { error in
            guard let error = error as? ICalendarError else { return false }
            return error.line != nil && error.message.contains("empty parameter")
        }
        #expect {
            try ICalComponent.parse(try Self.fixture("collective-icalendar/calendars_small_bad_calendar.ics"))
        } throws: { error in
            (error as? ICalendarError)?.message.contains("never closed") == true
        }
        let mismatched = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nEND:VCALENDAR\n"
        #expect(throws: ICalendarError(line: 4, "END:VCALENDAR closes BEGIN:VEVENT of line 2")) {
            try ICalComponent.parse(Array(mismatched.utf8))
        }
        #expect(throws: ICalendarError.self) { try ICalComponent.parse(Array("BEGIN:VEVENT\nno colon here\n".utf8)) }
    }

    @Test func randomAndMutatedInputNeverCrashes() async throws {
        var generator = SplitMix(seed: 12_345)
        let seeds = Self.allSamples.compactMap { try? Self.fixture($0) }
        let window = ExpansionWindow(lower: 0, upper: 2_000_000_000, overlapping: false, limit: 200)
        for round in 0..<2_000 {
            // CPU-bound: give the 2-thread cooperative pool back now and then, for the suites running beside it.
            await Task.yield()
            var bytes = seeds[round % seeds.count]
            let mutations = Int.random(in: 1...8, using: &generator)
            for _ in 0..<mutations where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: at)
                case 2:
                    bytes.insert(contentsOf: Array(";:,=\"\r\n ".utf8).shuffled(using: &generator).prefix(2), at: at)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...40, using: &generator))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                }
            }
            if let document = try? ICalendarDocument(parsing: bytes) {
                _ = try? document.occurrences(in: window)
                _ = document.serialized()
            }
        }
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? ICalendarDocument(parsing: bytes)
        }
    }
}
