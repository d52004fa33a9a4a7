import Foundation
import SwitchboardLanguage
import Testing

/// Random and mutated inputs: the parser never crashes and always answers with valid JSON.
@Suite struct FuzzTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static let pieces = [
        "tomorrow", "at", "3pm", "next", "friday", "from", "2", "to", "4", "-", ":", "/", "30", "min", "for", "an",
        "hour",
        "and", "a", "half", "with", "alice@example.com", "bob@", "@", "\"", "quarter", "past", "noon", "midnight", "in",
        "3", "days", "within", "by", "EOD", "March", "5th", "2026", "12", "31", "99", "0", "Feb", "29", "between", "am",
        "p.m.", "CET", "+", "1h30", "email", "schedule", "cancel", "subject:", "saying", "attach", "./x.pdf", "ሴ", "🙂",
        "\u{0000}", "\u{200B}", "\n", ",", ".", "the", "day", "after", "end", "of", "month", "early", "mid", "late",
        "week",
    ]

    @Test func randomAndMutatedInputsAlwaysGetAnAnswer() async {
        var random = Generator(state: 42)
        let parser = TaskParser()
        let now = Date(timeIntervalSince1970: 1_772_636_400)  // 2026-03-04T15:00:00Z
        let zone = TimeZone(identifier: "America/New_York")!
        for round in 0..<6_000 {
            // Share the cores with the suites that talk to real servers.
            if round % 25 == 0 { await Task.yield() }
            let count = Int(random.next() % 14)
            var text = (0..<count).map { _ in random.pick(Self.pieces) }.joined(
                separator: random.next() % 3 == 0 ? "" : " "
            )
            if random.next() % 4 == 0 {
                // Mutate: random scalars spliced in.
                var scalars = Array(text.unicodeScalars)
                let at = scalars.isEmpty ? 0 : Int(random.next() % UInt64(scalars.count))
                scalars.insert(Unicode.Scalar(UInt32(random.next() % 0xD7FF))!, at: at)
                text = String(String.UnicodeScalarView(scalars))
            }
            let json = parser.parse(text, now: now, timeZone: zone).json()
            #expect(json.hasPrefix("{\"intent\":"))
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "\(text)")
        }
    }

    /// Long inputs are answered, and text past 10,000 characters is refused with an error rather than read (the
    /// time per character is measured by `SwitchboardBench parse`, not here: tests are not timed).
    @Test func longInputsAreAnsweredAndCapped() {
        let parser = TaskParser()
        let now = Date(timeIntervalSince1970: 1_772_636_400)
        let unit = "meet alice@example.com tomorrow at 3pm for 30 min about 12 31 - 4 to ; "
        let long = parser.parse(String(repeating: unit, count: 130), now: now, timeZone: .gmt)
        #expect(long.intent == .schedule)
        let huge = parser.parse(String(repeating: "x", count: 200_000), now: now, timeZone: .gmt)
        #expect(huge.errors.first?.code == "invalid_input")
    }
}
