import Foundation
import SwitchboardLanguage

/// `SwitchboardBench parse [lines] [corpus.jsonl]`: parses `lines` requests (default 100,000), cycling through
/// the texts of the corpus, on one thread; prints parses per second and the time per character for short and
/// long inputs (linear growth).
func runParseBenchmark(_ arguments: [String]) {
    let count = arguments.first.flatMap(Int.init) ?? 100_000
    let path = arguments.count > 1 ? arguments[1] : "../Tests/SwitchboardLanguageTests/Fixtures/corpus.jsonl"
    let texts: [String] = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap
    { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["text"] as? String
    }
    precondition(!texts.isEmpty, "no corpus at \(path)")
    var configuration = TaskParser.Configuration()
    configuration.contacts = ["alice": "alice@example.com", "bob": "bob@example.com"]
    let parser = TaskParser(configuration: configuration)
    let now = Date(timeIntervalSince1970: 1_772_636_400)
    let zone = TimeZone(identifier: "America/New_York")!
    var sink = 0
    for text in texts { sink &+= parser.parse(text, now: now, timeZone: zone).json().utf8.count }
    let clock = ContinuousClock()
    let start = clock.now
    for i in 0..<count { sink &+= parser.parse(texts[i % texts.count], now: now, timeZone: zone).json().utf8.count }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(
        String(
            format:
                "TaskParser.parse + json(): %d requests from %d corpus texts in %.2f s: %.0f parses/s on one thread",
            count,
            texts.count,
            seconds,
            Double(count) / seconds
        )
    )
    // Linear time: the cost per character of a short and a long text.
    let unit = "meet alice@example.com tomorrow at 3pm for 30 min about 12 31 - 4 to ; "
    for repeats in [1, 10, 100] {
        let text = String(repeating: unit, count: repeats)
        let rounds = 2000 / repeats
        let t0 = clock.now
        for _ in 0..<rounds { sink &+= parser.parse(text, now: now, timeZone: zone).errors.count }
        let e = clock.now - t0
        let s = Double(e.components.seconds) + Double(e.components.attoseconds) / 1e18
        print(
            String(
                format: "  %6d characters: %.0f ns per character",
                text.count,
                s / Double(rounds) / Double(text.count) * 1e9
            )
        )
    }
    if sink == 42 { print("") }
}
