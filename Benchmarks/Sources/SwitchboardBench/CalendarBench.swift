import Foundation
import SwitchboardCalendar

/// iCalendar against Python's icalendar + recurring-ical-events, on the same files (written here, read by both):
/// (1) one year of a daily event with 50 exceptions, expanded (parsing excluded, and included);
/// (2) 2,000 events parsed, and a month's busy time computed from them.
func runCalendarBenchmark(_ arguments: [String]) throws {
    let directory = arguments.first ?? NSTemporaryDirectory() + "switchboard-ical-bench"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let daily = directory + "/daily.ics"
    let many = directory + "/many.ics"
    try dailyCalendar().write(toFile: daily, atomically: true, encoding: .utf8)
    try manyCalendar().write(toFile: many, atomically: true, encoding: .utf8)
    if arguments.contains("--write-only") { return }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    func time(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
    }
    let year = ExpansionWindow(
        lower: CivilTime(year: 2025, month: 1, day: 1).secondsSinceEpoch,
        upper: CivilTime(year: 2026, month: 1, day: 1).secondsSinceEpoch,
        overlapping: false
    )
    let dailyBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: daily)))
    let document = try ICalendarDocument(parsing: dailyBytes)
    var count = 0
    let expandOnly = try (0..<21).map { _ in try time { count = try document.occurrences(in: year).count } }
    let withParse = try (0..<21).map { _ in
        try time { count = try ICalendarDocument(parsing: dailyBytes).occurrences(in: year).count }
    }
    print("ical: one year of a daily event with 50 exceptions (\(count) instances)")
    print(String(format: "  expand, parsing excluded: median %.3f ms", median(expandOnly)))
    print(String(format: "  parse + expand:           median %.3f ms", median(withParse)))

    let month = ExpansionWindow(
        lower: CivilTime(year: 2026, month: 3, day: 1).secondsSinceEpoch,
        upper: CivilTime(year: 2026, month: 4, day: 1).secondsSinceEpoch,
        overlapping: true
    )
    let manyBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: many)))
    var busySeconds: Int64 = 0
    var parseTimes: [Double] = []
    var busyTimes: [Double] = []
    for _ in 0..<11 {
        var parsed: ICalendarDocument?
        parseTimes.append(try time { parsed = try ICalendarDocument(parsing: manyBytes) })
        busyTimes.append(
            try time {
                var intervals: [(Int64, Int64)] = []
                for occurrence in try parsed!.occurrences(in: month) where occurrence.isBusy {
                    intervals.append(
                        (max(occurrence.startInstant, month.lower), min(occurrence.endInstant, month.upper))
                    )
                }
                intervals.sort { $0 < $1 }
                var total: Int64 = 0
                var current: (Int64, Int64)?
                for interval in intervals {
                    if let c = current, interval.0 <= c.1 {
                        current = (c.0, max(c.1, interval.1))
                    } else {
                        if let c = current { total += c.1 - c.0 }
                        current = interval
                    }
                }
                if let c = current { total += c.1 - c.0 }
                busySeconds = total
            }
        )
    }
    print("ical: 2,000 events, busy time in March 2026 (\(busySeconds / 3600) h busy)")
    print(String(format: "  parse:        median %.3f ms", median(parseTimes)))
    print(String(format: "  busy time:    median %.3f ms", median(busyTimes)))
    print(String(format: "  parse + busy: median %.3f ms", median(zip(parseTimes, busyTimes).map { $0 + $1 })))
}

/// A daily 09:00 Europe/Berlin event from 2025-01-01, with 50 EXDATEs through the year.
func dailyCalendar() -> String {
    var lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", "BEGIN:VEVENT", "UID:daily@bench",
        "DTSTAMP:20250101T000000Z", "DTSTART;TZID=Europe/Berlin:20250101T090000",
        "DTEND;TZID=Europe/Berlin:20250101T093000", "RRULE:FREQ=DAILY", "SUMMARY:Daily standup",
    ]
    for i in 0..<50 {
        let day = CivilTime(year: 2025, month: 1, day: 3).adding(days: i * 7)
        lines.append("EXDATE;TZID=Europe/Berlin:" + ICalTime.floating(day.adding(seconds: 9 * 3600)).text)
    }
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return lines.joined(separator: "\r\n")
}

/// 2,000 events over February–April 2026 in Europe/Berlin: most single, one in ten weekly, one in twenty
/// all-day, one in twenty-five cancelled.
func manyCalendar() -> String {
    var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    var state: UInt64 = 42
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    for i in 0..<2_000 {
        let day = CivilTime(year: 2026, month: 2, day: 1).adding(days: next(89))
        lines += ["BEGIN:VEVENT", "UID:event-\(i)@bench", "DTSTAMP:20260101T000000Z", "SUMMARY:Event \(i)"]
        if i % 20 == 0 {
            lines += [
                "DTSTART;VALUE=DATE:" + ICalTime.date(day).text,
                "DTEND;VALUE=DATE:" + ICalTime.date(day.adding(days: 1)).text,
            ]
        } else {
            let start = day.adding(seconds: Int64((8 + next(10)) * 3600 + next(4) * 900))
            let end = start.adding(seconds: Int64((1 + next(4)) * 1800))
            lines += [
                "DTSTART;TZID=Europe/Berlin:" + ICalTime.floating(start).text,
                "DTEND;TZID=Europe/Berlin:" + ICalTime.floating(end).text,
            ]
            if i % 10 == 1 { lines.append("RRULE:FREQ=WEEKLY;COUNT=\(4 + next(8))") }
        }
        if i % 25 == 3 { lines.append("STATUS:CANCELLED") }
        lines.append("END:VEVENT")
    }
    lines += ["END:VCALENDAR", ""]
    return lines.joined(separator: "\r\n")
}
