/// A wall-clock date and time with no zone (iCalendar's "floating" time, or a local time before its zone is
/// applied), with calendar arithmetic done on integers: no Foundation `Calendar`, no allocation.
///
/// Day numbers count from 1970-01-01 (day 0) in the proleptic Gregorian calendar.
public struct CivilTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// Creates a time; fields are taken as given (use ``normalized()`` after arithmetic on them).
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The time `seconds` after 1970-01-01T00:00:00 on the wall clock.
    public init(secondsSinceEpoch seconds: Int64) {
        let days = Int(seconds.floorDivided(by: 86_400))
        let rest = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = CivilTime.civil(fromDays: days)
        self.init(year: y, month: m, day: d, hour: rest / 3600, minute: rest / 60 % 60, second: rest % 60)
    }

    /// Seconds since 1970-01-01T00:00:00 on the same wall clock (the instant, if this time were UTC).
    public var secondsSinceEpoch: Int64 {
        Int64(dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The day number of the date part.
    public var dayNumber: Int { CivilTime.days(year: year, month: month, day: day) }

    /// The date part at midnight.
    public var date: CivilTime { CivilTime(year: year, month: month, day: day) }

    /// The weekday, 0 = Monday … 6 = Sunday.
    public var weekday: Int { CivilTime.weekday(ofDay: dayNumber) }

    /// Whether the fields name a real date and time (month 1–12, a day the month has, 0–23, 0–59, 0–60).
    public var isValid: Bool {
        (1...12).contains(month) && day >= 1 && day <= CivilTime.daysIn(month: month, year: year)
            && (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
    }

    /// The same time `seconds` later (wall-clock arithmetic).
    public func adding(seconds: Int64) -> CivilTime { CivilTime(secondsSinceEpoch: secondsSinceEpoch + seconds) }

    /// The same time of day `days` later.
    public func adding(days: Int) -> CivilTime {
        let (y, m, d) = CivilTime.civil(fromDays: dayNumber + days)
        return CivilTime(year: y, month: m, day: d, hour: hour, minute: minute, second: second)
    }

    public static func < (a: CivilTime, b: CivilTime) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// `YYYY-MM-DDTHH:MM:SS`.
    public var description: String {
        "\(CivilTime.pad(year, 4))-\(CivilTime.pad(month))-\(CivilTime.pad(day))T\(CivilTime.pad(hour)):"
            + "\(CivilTime.pad(minute)):\(CivilTime.pad(second))"
    }

    /// `YYYY-MM-DD`.
    public var dateDescription: String { "\(CivilTime.pad(year, 4))-\(CivilTime.pad(month))-\(CivilTime.pad(day))" }

    static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // MARK: Calendar arithmetic (Howard Hinnant's days-from-civil)

    /// The day number of a date; months and days out of range roll over.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        // Normalise the month first so that arithmetic on months (month + 14) works.
        var y = year + (month - 1).floorDivided(by: 12)
        let m = (month - 1).floorModulo(12) + 1
        y -= m <= 2 ? 1 : 0
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number.
    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    public static func weekday(ofDay day: Int) -> Int { (day + 3).floorModulo(7) }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func daysIn(year: Int) -> Int { isLeap(year) ? 366 : 365 }
}

/// The decimal number in `bytes[from..<from+count]`, or nil when it runs past the end or holds a non-digit.
func asciiNumber(_ bytes: [UInt8], _ from: Int, _ count: Int) -> Int? {
    guard from >= 0, from + count <= bytes.count else { return nil }
    var value = 0
    for b in bytes[from..<(from + count)] {
        guard (0x30...0x39).contains(b) else { return nil }
        value = value * 10 + Int(b - 0x30)
    }
    return value
}

extension BinaryInteger {
    func floorDivided(by divisor: Self) -> Self {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }

    func floorModulo(_ divisor: Self) -> Self {
        let r = self % divisor
        return r < 0 ? r + divisor : r
    }
}
