/// An RRULE (RFC 5545 §3.3.10), parsed and checked: every part, with an error naming any part that is unknown,
/// repeated or out of range.
public struct RecurrenceRule: Sendable, Hashable {
    public enum Frequency: Int, Sendable, Hashable, Comparable, CaseIterable {
        case secondly, minutely, hourly, daily, weekly, monthly, yearly

        public static func < (a: Frequency, b: Frequency) -> Bool { a.rawValue < b.rawValue }

        var name: String {
            switch self {
            case .secondly: "SECONDLY"
            case .minutely: "MINUTELY"
            case .hourly: "HOURLY"
            case .daily: "DAILY"
            case .weekly: "WEEKLY"
            case .monthly: "MONTHLY"
            case .yearly: "YEARLY"
            }
        }
    }

    /// A BYDAY entry: a weekday (0 = Monday … 6 = Sunday) and an optional ordinal (`1MO`, `-1FR`; 0 = every).
    public struct WeekdayNumber: Sendable, Hashable {
        public var ordinal: Int
        public var weekday: Int

        public init(ordinal: Int = 0, weekday: Int) {
            self.ordinal = ordinal
            self.weekday = weekday
        }
    }

    public var frequency: Frequency
    public var interval = 1
    public var count: Int?
    /// `UNTIL`, inclusive.
    public var until: ICalTime?
    public var bySecond: [Int] = []
    public var byMinute: [Int] = []
    public var byHour: [Int] = []
    public var byDay: [WeekdayNumber] = []
    public var byMonthDay: [Int] = []
    public var byYearDay: [Int] = []
    public var byWeekNo: [Int] = []
    public var byMonth: [Int] = []
    public var bySetPos: [Int] = []
    /// The first day of the week, 0 = Monday (the default).
    public var weekStart = 0

    public init(frequency: Frequency) { self.frequency = frequency }

    static let weekdayNames = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    /// Parses `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`.
    /// - Throws: ``ICalendarError`` naming the part that is unknown, repeated, or has a bad value, or a missing FREQ.
    public init(parsing text: String, line: Int = 0) throws {
        var frequency: Frequency?
        var rule = RecurrenceRule(frequency: .daily)
        var seen: Set<String> = []
        func fail(_ message: String) -> ICalendarError { ICalendarError(line: line, "RRULE \(message)") }
        for part in text.trimmingSpaces.split(separator: ";", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pieces[0]).trimmingSpaces.uppercased()
            guard pieces.count == 2 else { throw fail("part '\(part)' has no '=' and value") }
            let value = String(pieces[1]).trimmingSpaces
            guard seen.insert(name).inserted else { throw fail("has \(name) twice") }
            func integers(_ range: ClosedRange<Int>, allowNegative: Bool) throws -> [Int] {
                try value.split(separator: ",", omittingEmptySubsequences: false).map { item in
                    guard let n = Int(String(item).trimmingSpaces),
                        allowNegative ? range.contains(abs(n)) : range.contains(n)
                    else {
                        throw fail(
                            "\(name) value '\(item)' is not \(allowNegative ? "±" : "")\(range.lowerBound)…\(range.upperBound)"
                        )
                    }
                    return n
                }
            }
            switch name {
            case "FREQ":
                guard let f = Frequency.allCases.first(where: { $0.name == value.uppercased() }) else {
                    throw fail("FREQ '\(value)' is not SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
                }
                frequency = f
            case "INTERVAL":
                guard let n = Int(value), n >= 1 else { throw fail("INTERVAL '\(value)' is not a positive integer") }
                rule.interval = n
            case "COUNT":
                guard let n = Int(value), n >= 1 else { throw fail("COUNT '\(value)' is not a positive integer") }
                rule.count = n
            case "UNTIL":
                rule.until = try ICalTime.parse(value, tzid: nil, name: "RRULE UNTIL", line: line)
            case "BYSECOND": rule.bySecond = try integers(0...60, allowNegative: false)
            case "BYMINUTE": rule.byMinute = try integers(0...59, allowNegative: false)
            case "BYHOUR": rule.byHour = try integers(0...23, allowNegative: false)
            case "BYMONTHDAY": rule.byMonthDay = try integers(1...31, allowNegative: true)
            case "BYYEARDAY": rule.byYearDay = try integers(1...366, allowNegative: true)
            case "BYWEEKNO": rule.byWeekNo = try integers(1...53, allowNegative: true)
            case "BYMONTH": rule.byMonth = try integers(1...12, allowNegative: false)
            case "BYSETPOS": rule.bySetPos = try integers(1...366, allowNegative: true)
            case "WKST":
                guard let day = Self.weekdayNames.firstIndex(of: value.uppercased()) else {
                    throw fail("WKST '\(value)' is not MO, TU, WE, TH, FR, SA or SU")
                }
                rule.weekStart = day
            case "BYDAY":
                rule.byDay = try value.split(separator: ",", omittingEmptySubsequences: false).map { item in
                    let text = String(item).trimmingSpaces.uppercased()
                    guard text.count >= 2, let day = Self.weekdayNames.firstIndex(of: String(text.suffix(2))) else {
                        throw fail("BYDAY value '\(item)' is not a weekday such as MO, 1MO or -1FR")
                    }
                    let prefix = text.dropLast(2)
                    if prefix.isEmpty { return WeekdayNumber(weekday: day) }
                    guard let n = Int(prefix), n != 0, abs(n) <= 53 else {
                        throw fail("BYDAY value '\(item)' has an ordinal outside ±1…53")
                    }
                    return WeekdayNumber(ordinal: n, weekday: day)
                }
            default:
                if name.hasPrefix("X-") { continue }
                throw fail(
                    "has an unknown part '\(name)' (known: FREQ, INTERVAL, COUNT, UNTIL, BYSECOND, BYMINUTE, BYHOUR, "
                        + "BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)"
                )
            }
        }
        guard let frequency else { throw fail("'\(text)' has no FREQ") }
        if rule.count != nil && rule.until != nil { throw fail("has both COUNT and UNTIL; only one is allowed") }
        rule.frequency = frequency
        self = rule
    }

    /// The rule as RRULE text, parts in a fixed order.
    public var text: String {
        var parts = ["FREQ=" + frequency.name]
        func list(_ name: String, _ values: [Int]) {
            if !values.isEmpty { parts.append(name + "=" + values.map(String.init).joined(separator: ",")) }
        }
        if let until { parts.append("UNTIL=" + until.text) }
        if let count { parts.append("COUNT=\(count)") }
        if interval != 1 { parts.append("INTERVAL=\(interval)") }
        list("BYSECOND", bySecond)
        list("BYMINUTE", byMinute)
        list("BYHOUR", byHour)
        if !byDay.isEmpty {
            parts.append(
                "BYDAY="
                    + byDay.map { ($0.ordinal == 0 ? "" : String($0.ordinal)) + Self.weekdayNames[$0.weekday] }
                    .joined(separator: ",")
            )
        }
        list("BYMONTHDAY", byMonthDay)
        list("BYYEARDAY", byYearDay)
        list("BYWEEKNO", byWeekNo)
        list("BYMONTH", byMonth)
        list("BYSETPOS", bySetPos)
        if weekStart != 0 { parts.append("WKST=" + Self.weekdayNames[weekStart]) }
        return parts.joined(separator: ";")
    }
}
