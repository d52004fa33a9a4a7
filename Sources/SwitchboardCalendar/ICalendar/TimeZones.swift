import Foundation
import Synchronization

/// A time zone as iCalendar needs it: the offset in force at an instant, and the instant of a wall time
/// (RFC 5545 §3.3.5: a wall time that occurs twice is the first; one that does not exist is read with the offset
/// before the gap, which moves it forward by the gap's length).
public struct ICalZone: Sendable {
    enum Rules: Sendable {
        case utc
        case system(TimeZone)
        /// Transitions from a VTIMEZONE, sorted: (UTC instant, offset from then on), and the offset before them.
        case defined(transitions: [(Int64, Int)], initial: Int)
    }

    /// The zone's name (a TZID, an IANA name, or "UTC").
    public let identifier: String
    let rules: Rules

    /// UTC.
    public static let utc = ICalZone(identifier: "UTC", rules: .utc)

    /// An IANA zone from the system's database, or `nil` when it has none of that name.
    public static func system(_ identifier: String) -> ICalZone? {
        if identifier == "UTC" || identifier == "Etc/UTC" || identifier == "Z" { return .utc }
        if let cached = systemCache.withLock({ $0[identifier] }) { return cached }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        let value = ICalZone(identifier: identifier, rules: .system(zone))
        systemCache.withLock { $0[identifier] = value }
        return value
    }

    private static let systemCache = Mutex<[String: ICalZone]>([:])

    /// Seconds east of UTC at the UTC instant `utc` (seconds since 1970).
    public func offset(atUTC utc: Int64) -> Int {
        switch rules {
        case .utc: return 0
        case .system(let zone): return zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc)))
        case .defined(let transitions, let initial):
            var low = 0
            var high = transitions.count
            while low < high {
                let mid = (low + high) / 2
                if transitions[mid].0 <= utc { low = mid + 1 } else { high = mid }
            }
            return low == 0 ? initial : transitions[low - 1].1
        }
    }

    /// The UTC instant of the wall time `local` in this zone.
    public func instant(of local: CivilTime) -> Int64 {
        let wall = local.secondsSinceEpoch
        if case .utc = rules { return wall }
        let before = offset(atUTC: wall - 86_400)
        let after = offset(atUTC: wall + 86_400)
        if before == after { return wall - Int64(before) }
        let early = wall - Int64(before)
        let late = wall - Int64(after)
        let earlyValid = offset(atUTC: early) == before
        let lateValid = offset(atUTC: late) == after
        switch (earlyValid, lateValid) {
        case (true, true): return min(early, late)  // occurs twice: the first
        case (true, false): return early
        case (false, true): return late
        case (false, false): return early  // in a gap: the offset before it
        }
    }

    // MARK: VTIMEZONE

    /// The zone a VTIMEZONE defines: every STANDARD and DAYLIGHT onset (DTSTART, RRULE, RDATE), expanded up to
    /// the year 2200.
    static func defined(by component: ICalComponent) throws -> ICalZone {
        let tzid = component.property("TZID")?.value ?? ""
        var transitions: [(Int64, Int)] = []
        var earliest: (Int64, Int)?
        let horizon = CivilTime(year: 2200, month: 1, day: 1).secondsSinceEpoch
        for observance in component.components where observance.name == "STANDARD" || observance.name == "DAYLIGHT" {
            guard let startProperty = observance.property("DTSTART"),
                let fromProperty = observance.property("TZOFFSETFROM"),
                let toProperty = observance.property("TZOFFSETTO")
            else {
                throw ICalendarError(
                    line: observance.line,
                    "\(observance.name) of VTIMEZONE \(tzid) needs DTSTART, TZOFFSETFROM and TZOFFSETTO"
                )
            }
            let from = try parseOffset(fromProperty)
            let to = try parseOffset(toProperty)
            let start = try ICalTime.parse(startProperty).civil
            var onsets: [CivilTime] = [start]
            for rdate in observance.properties("RDATE") { onsets += try ICalTime.parseList(rdate).map(\.civil) }
            if let ruleProperty = observance.property("RRULE") {
                let rule = try RecurrenceRule(parsing: ruleProperty.value, line: ruleProperty.line)
                var iterator = RecurrenceIterator(rule: rule, start: start, untilIsUTC: true, offsetForUntil: from)
                var guardCount = 0
                while let next = iterator.next(), next.secondsSinceEpoch < horizon, guardCount < 2_000 {
                    onsets.append(next)
                    guardCount += 1
                }
            }
            for onset in onsets {
                let utc = onset.secondsSinceEpoch - Int64(from)
                transitions.append((utc, to))
                if earliest == nil || utc < earliest!.0 { earliest = (utc, from) }
            }
        }
        guard let earliest else {
            throw ICalendarError(line: component.line, "VTIMEZONE \(tzid) has no STANDARD or DAYLIGHT observance")
        }
        transitions.sort { $0.0 < $1.0 }
        return ICalZone(identifier: tzid, rules: .defined(transitions: transitions, initial: earliest.1))
    }

    /// `+0100`, `-0530`, `+013045`.
    static func parseOffset(_ property: ICalProperty) throws -> Int {
        let text = Array(property.value.trimmingSpaces.utf8)
        guard text.count == 5 || text.count == 7, text[0] == 0x2B || text[0] == 0x2D,
            text[1...].allSatisfy({ (0x30...0x39).contains($0) })
        else {
            throw ICalendarError(
                line: property.line,
                "\(property.name) '\(property.value)' is not an offset like +0100"
            )
        }
        func two(_ i: Int) -> Int { Int(text[i] - 0x30) * 10 + Int(text[i + 1] - 0x30) }
        let seconds = two(1) * 3600 + two(3) * 60 + (text.count == 7 ? two(5) : 0)
        return text[0] == 0x2D ? -seconds : seconds
    }
}

/// The zones a document's values name: its VTIMEZONEs first, then the system's IANA database (also for a TZID
/// with a path prefix such as `/mozilla.org/20050126_1/Europe/Berlin`).
public struct ZoneTable: Sendable {
    var defined: [String: ICalZone]

    /// The zones of `calendar`'s VTIMEZONE components.
    public init(calendar: ICalComponent) throws {
        defined = [:]
        for component in calendar.components where component.name == "VTIMEZONE" {
            guard let tzid = component.property("TZID")?.value, !tzid.isEmpty else {
                throw ICalendarError(line: component.line, "VTIMEZONE without TZID")
            }
            defined[tzid] = try ICalZone.defined(by: component)
        }
    }

    /// No VTIMEZONE: IANA names only.
    public init() { defined = [:] }

    /// The zone called `tzid`.
    /// - Throws: ``ICalendarError`` when neither the document nor the system knows it.
    public func zone(_ tzid: String, line: Int = 0) throws -> ICalZone {
        if let zone = defined[tzid] { return zone }
        if let zone = ICalZone.system(tzid) { return zone }
        // A TZID with a vendor prefix: try its last one, two and three path components.
        let parts = tzid.split(separator: "/")
        for count in [3, 2, 1] where parts.count > count {
            if let zone = ICalZone.system(parts.suffix(count).joined(separator: "/")) { return zone }
        }
        throw ICalendarError(
            line: line,
            "unknown time zone '\(tzid)': the document has no VTIMEZONE for it and it is not an IANA zone name"
        )
    }

    /// The UTC instant of `time`; floating times and dates are read as UTC.
    public func instant(of time: ICalTime, line: Int = 0) throws -> Int64 {
        switch time {
        case .date(let c), .floating(let c), .utc(let c): return c.secondsSinceEpoch
        case .zoned(let c, let tzid): return try zone(tzid, line: line).instant(of: c)
        }
    }
}
