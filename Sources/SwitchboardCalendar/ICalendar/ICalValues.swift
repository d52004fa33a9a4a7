/// A DATE or DATE-TIME value as written: a date (all-day), a floating wall time, a UTC time, or a wall time in a
/// named zone (its `TZID`).
public enum ICalTime: Sendable, Hashable {
    /// `VALUE=DATE`: the day, at midnight.
    case date(CivilTime)
    /// A wall time with no zone.
    case floating(CivilTime)
    /// A time in UTC (`...Z`).
    case utc(CivilTime)
    /// A wall time in the zone `tzid`.
    case zoned(CivilTime, tzid: String)

    /// The wall time as written.
    public var civil: CivilTime {
        switch self {
        case .date(let c), .floating(let c), .utc(let c), .zoned(let c, _): c
        }
    }

    /// Whether it is a date (an all-day value).
    public var isDate: Bool {
        if case .date = self { return true }
        return false
    }

    /// The same kind of value at another wall time.
    public func with(_ civil: CivilTime) -> ICalTime {
        switch self {
        case .date: .date(civil.date)
        case .floating: .floating(civil)
        case .utc: .utc(civil)
        case .zoned(_, let tzid): .zoned(civil, tzid: tzid)
        }
    }

    /// Parses the value of a DATE or DATE-TIME property, honouring its `VALUE` and `TZID` parameters. A bare
    /// `YYYYMMDD` is read as a date even without `VALUE=DATE`.
    public static func parse(_ property: ICalProperty) throws -> ICalTime {
        try parse(
            property.value.trimmingSpaces,
            tzid: property.parameter("TZID"),
            name: property.name,
            line: property.line
        )
    }

    /// Parses one DATE or DATE-TIME text.
    public static func parse(_ text: String, tzid: String?, name: String, line: Int) throws -> ICalTime {
        let bytes = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? { asciiNumber(bytes, from, count) }
        func invalid() -> ICalendarError {
            ICalendarError(
                line: line,
                "\(name) value '\(text)' is not a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z])"
            )
        }
        guard let year = digits(0, 4), let month = digits(4, 2), let day = digits(6, 2) else { throw invalid() }
        if bytes.count == 8 {
            let date = CivilTime(year: year, month: month, day: day)
            guard date.isValid else { throw invalid() }
            return .date(date)
        }
        guard bytes.count >= 15, bytes[8] == 0x54 || bytes[8] == 0x74, let hour = digits(9, 2),
            let minute = digits(11, 2), let second = digits(13, 2)
        else { throw invalid() }
        let isUTC = bytes.count == 16 && (bytes[15] == 0x5A || bytes[15] == 0x7A)
        guard bytes.count == 15 || isUTC else { throw invalid() }
        var time = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard time.isValid else { throw invalid() }
        // A leap second is read as the last second of its minute.
        if time.second == 60 { time.second = 59 }
        if isUTC { return .utc(time) }
        if let tzid, !tzid.isEmpty { return .zoned(time, tzid: tzid) }
        return .floating(time)
    }

    /// The value as iCalendar text (without its `TZID`, which goes in a parameter).
    public var text: String {
        let c = civil
        let date = CivilTime.pad(c.year, 4) + CivilTime.pad(c.month) + CivilTime.pad(c.day)
        if case .date = self { return date }
        let time = "T" + CivilTime.pad(c.hour) + CivilTime.pad(c.minute) + CivilTime.pad(c.second)
        if case .utc = self { return date + time + "Z" }
        return date + time
    }

    /// A property carrying this value (`VALUE=DATE` or `TZID=` as needed).
    public func property(_ name: String) -> ICalProperty {
        switch self {
        case .date: ICalProperty(name: name, parameters: [ICalParameter(name: "VALUE", values: ["DATE"])], value: text)
        case .zoned(_, let tzid):
            ICalProperty(name: name, parameters: [ICalParameter(name: "TZID", values: [tzid])], value: text)
        case .floating, .utc: ICalProperty(name: name, value: text)
        }
    }

    /// Every value of an RDATE, with the end of a PERIOD value (`start/end` or `start/duration`) in exact
    /// seconds.
    static func parsePeriods(_ property: ICalProperty, zones: ZoneTable) throws -> [(ICalTime, Int64?)] {
        let tzid = property.parameter("TZID")
        return try property.value.split(separator: ",").map { part in
            let pieces = String(part).trimmingSpaces.split(separator: "/", maxSplits: 1).map(String.init)
            let start = try parse(pieces[0], tzid: tzid, name: property.name, line: property.line)
            guard pieces.count == 2 else { return (start, nil) }
            let from = try zones.instant(of: start, line: property.line)
            if pieces[1].hasPrefix("P") || pieces[1].hasPrefix("+") || pieces[1].hasPrefix("-") {
                let duration = try ICalDuration.parse(pieces[1], name: property.name, line: property.line)
                return (start, Int64(duration.days) * 86_400 + duration.seconds)
            }
            let end = try parse(pieces[1], tzid: tzid, name: property.name, line: property.line)
            return (start, try zones.instant(of: end, line: property.line) - from)
        }
    }

    /// Every value of a multi-valued property (`EXDATE:a,b,c`, `RDATE`), skipping PERIOD values' ends.
    static func parseList(_ property: ICalProperty) throws -> [ICalTime] {
        let tzid = property.parameter("TZID")
        return try property.value.split(separator: ",").map { part in
            let text = String(part).trimmingSpaces
            let start = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? text
            return try parse(start, tzid: tzid, name: property.name, line: property.line)
        }
    }
}

/// A DURATION value (`P1W`, `P1DT2H`, `-PT15M`): nominal days (wall-clock days, which can be 23 or 25 hours
/// long across a DST change) and exact seconds.
public struct ICalDuration: Sendable, Hashable {
    public var days: Int
    public var seconds: Int64

    public init(days: Int = 0, seconds: Int64 = 0) {
        self.days = days
        self.seconds = seconds
    }

    /// Parses `[+-]P(nW | [nD][T[nH][nM][nS]])`.
    public static func parse(_ text: String, name: String = "DURATION", line: Int = 0) throws -> ICalDuration {
        var s = Substring(text.trimmingSpaces.uppercased())
        let invalid = ICalendarError(line: line, "\(name) value '\(text)' is not a duration such as PT1H or P1D")
        var sign = 1
        if s.first == "+" {
            s.removeFirst()
        } else if s.first == "-" {
            sign = -1
            s.removeFirst()
        }
        guard s.first == "P" else { throw invalid }
        s.removeFirst()
        var days = 0
        var seconds: Int64 = 0
        var inTime = false
        var number: Int64?
        var any = false
        for c in s {
            if let d = c.wholeNumberValue, c.isASCII {
                number = (number ?? 0) * 10 + Int64(d)
                guard number! < 1_000_000_000 else { throw invalid }
                continue
            }
            if c == "T" {
                guard number == nil, !inTime else { throw invalid }
                inTime = true
                continue
            }
            guard let n = number else { throw invalid }
            switch (c, inTime) {
            case ("W", false): days += Int(n) * 7
            case ("D", false): days += Int(n)
            case ("H", true): seconds += n * 3600
            case ("M", true): seconds += n * 60
            case ("S", true): seconds += n
            default: throw invalid
            }
            number = nil
            any = true
        }
        guard any, number == nil else { throw invalid }
        return ICalDuration(days: sign * days, seconds: Int64(sign) * seconds)
    }

    /// `P1DT2H30M`, `PT0S`.
    public var text: String {
        let negative = days < 0 || seconds < 0
        let d = abs(days)
        let s = abs(seconds)
        var out = negative ? "-P" : "P"
        if d > 0 { out += d % 7 == 0 && s == 0 ? "\(d / 7)W" : "\(d)D" }
        if s > 0 || d == 0 {
            out += "T"
            if s >= 3600 { out += "\(s / 3600)H" }
            if s % 3600 >= 60 { out += "\(s % 3600 / 60)M" }
            if s % 60 > 0 || s == 0 { out += "\(s % 60)S" }
        }
        return out
    }
}
