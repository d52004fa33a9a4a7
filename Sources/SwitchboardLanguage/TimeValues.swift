import Foundation

/// A calendar day in the request's time zone.
struct Day: Sendable, Equatable, Comparable {
    var year: Int
    var month: Int
    var day: Int

    static func < (a: Day, b: Day) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// A clock time as written: hour (0–24), minute, second, am/pm if given, and a zone if named.
struct ClockTime: Sendable, Equatable {
    enum Meridiem: Sendable { case am, pm }
    var hour: Int
    var minute = 0
    var second = 0
    var meridiem: Meridiem?
    /// Whether the hour is unambiguous (24-hour notation, noon, midnight, or am/pm given).
    var fixed = false
    var zone: TimeZone?

    /// The hour on a 24-hour clock, with am/pm applied; ambiguous hours are read as given.
    var hour24: Int {
        switch meridiem {
        case .am?: return hour == 12 ? 0 : hour
        case .pm?: return hour == 12 ? 12 : hour + 12
        case nil: return hour
        }
    }

    var isAmbiguous: Bool { meridiem == nil && !fixed && hour >= 1 && hour <= 12 }
}

/// Parts of the day, with configurable windows and the time a meeting in them starts by default.
public enum PartOfDay: String, Sendable, CaseIterable {
    case morning, afternoon, evening, night

    /// Hours `[start, end)`; `end` may be 24.
    public var defaultWindow: (start: Int, end: Int) {
        switch self {
        case .morning: return (8, 12)
        case .afternoon: return (12, 17)
        case .evening: return (18, 21)
        case .night: return (20, 24)
        }
    }

    /// When a meeting "tomorrow afternoon" starts.
    public var defaultStart: Int {
        switch self {
        case .morning: return 9
        case .afternoon: return 14
        case .evening: return 18
        case .night: return 20
        }
    }
}

/// Calendar arithmetic in one zone.
struct Chronology: Sendable {
    let calendar: Calendar
    let now: Date
    let today: Day
    let nowHour: Int
    let nowMinute: Int
    let nowSecond: Int

    init(now: Date, zone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2
        self.calendar = calendar
        self.now = now
        // Local wall time by arithmetic: Calendar's component APIs cost microseconds each.
        let local = Int((now.timeIntervalSince1970).rounded(.down)) + zone.secondsFromGMT(for: now)
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let secondsOfDay = local - days * 86400
        today = Self.day(fromOrdinal: days)
        nowHour = secondsOfDay / 3600
        nowMinute = (secondsOfDay % 3600) / 60
        nowSecond = secondsOfDay % 60
    }

    var zone: TimeZone { calendar.timeZone }

    func isValid(_ day: Day) -> Bool {
        guard day.month >= 1, day.month <= 12, day.day >= 1 else { return false }
        return day.day <= daysIn(year: day.year, month: day.month)
    }

    func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic without Foundation.
    func ordinal(_ d: Day) -> Int { Self.ordinal(d) }

    static func ordinal(_ d: Day) -> Int {
        let y = d.month <= 2 ? d.year - 1 : d.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (d.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + d.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    func day(fromOrdinal z0: Int) -> Day { Self.day(fromOrdinal: z0) }

    static func day(fromOrdinal z0: Int) -> Day {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return Day(year: m <= 2 ? y + 1 : y, month: m, day: d)
    }

    func adding(days: Int, to day: Day) -> Day { self.day(fromOrdinal: ordinal(day) + days) }

    func adding(months: Int, to day: Day) -> Day {
        let total = day.year * 12 + (day.month - 1) + months
        let year = total / 12
        let month = total % 12 + 1
        return Day(year: year, month: month, day: min(day.day, daysIn(year: year, month: month)))
    }

    /// 1 = Sunday ... 7 = Saturday.
    func weekday(_ day: Day) -> Int {
        ((ordinal(day) % 7) + 11) % 7 + 1  // 1970-01-01 was a Thursday (5)
    }

    /// The instant of `hour:minute:second` on `day` in the zone (or in `zone` when given). A time that does not
    /// exist (a spring-forward gap) moves forward, as clocks do.
    func date(_ day: Day, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0, zone: TimeZone? = nil) -> Date {
        let zone = zone ?? calendar.timeZone
        let local = Self.ordinal(day) * 86400 + hour * 3600 + minute * 60 + second
        let guess = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local)))
        let probe = local - guess
        // The offsets in force a day either side: a wall time is valid under an offset when that offset is the
        // one in force at the resulting instant. Of two valid instants (a fall-back repeat) take the first; with
        // none (a spring-forward gap) move forward by the gap.
        let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe - 86400)))
        let after = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe + 86400)))
        var instant: Int?
        for offset in [before, after, guess] {
            let candidate = local - offset
            if zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(candidate))) == offset {
                instant = min(instant ?? candidate, candidate)
            }
        }
        let resolved = instant ?? (local - before)
        return Date(timeIntervalSince1970: TimeInterval(resolved))
    }

    func day(of date: Date) -> Day {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + calendar.timeZone.secondsFromGMT(for: date)
        return Self.day(fromOrdinal: local >= 0 ? local / 86400 : (local - 86399) / 86400)
    }
}
