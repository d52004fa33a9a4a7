import Foundation
import Testing

@testable import SwitchboardCalendar

/// The sample files expanded over [1990, 2030), checked against `expected-occurrences.json` (another
/// implementation's output, recurring-ical-events: a cross-check; where we differ on purpose it says why).
@Suite struct ExpectedOccurrencesTests {
    struct Expected: Decodable {
        struct File: Decodable {
            struct Instance: Decodable {
                var start: String
                var end: String
            }
            var occurrence_count_in_window: Int
            var first_occurrences: [Instance]
        }
        var files: [String: File]
    }

    /// Where the reference reads a file differently from RFC 5545 (or from this engine), and why.
    static let knownDifferences: [String: String] = [:]

    static func text(_ ours: String) -> String { ours }

    @Test func samplesExpandAsTheReferenceDoes() throws {
        let url = ICalendarParserTests.fixtures.appendingPathComponent("expected-occurrences.json")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
        let lower = CivilTime(year: 1990, month: 1, day: 1).secondsSinceEpoch
        let upper = CivilTime(year: 2030, month: 1, day: 1).secondsSinceEpoch
        var report: [String] = []
        for (name, file) in expected.files.sorted(by: { $0.key < $1.key }) {
            let document = try ICalendarDocument(parsing: try ICalendarParserTests.fixture(name))
            let all = try document.occurrences(in: ExpansionWindow(lower: lower, upper: upper, overlapping: false))
            var problems: [String] = []
            if all.count != file.occurrence_count_in_window {
                problems.append("count \(all.count), reference \(file.occurrence_count_in_window)")
            }
            for (index, reference) in file.first_occurrences.enumerated() {
                guard index < all.count else { break }
                // A floating time has no offset here; the reference prints +00:00 for it.
                func same(_ ours: String, _ theirs: String) -> Bool {
                    ours == theirs || (ours.count == 19 && theirs == ours + "+00:00")
                }
                if !same(all[index].startText, reference.start) || !same(all[index].endText, reference.end) {
                    problems.append(
                        "#\(index): \(all[index].startText)–\(all[index].endText), reference \(reference.start)–\(reference.end)"
                    )
                    break
                }
            }
            if !problems.isEmpty && Self.knownDifferences[name] == nil {
                report.append("\(name): " + problems.joined(separator: "; "))
            }
        }
        #expect(report.isEmpty, "\(report.joined(separator: "\n"))")
    }
}
