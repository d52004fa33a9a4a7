import Foundation

/// The time a request names: start, end, whether it is a whole day, and a duration.
struct ResolvedTime: Sendable {
    var start: Date?
    var end: Date?
    var dateOnly = false
    var durationMinutes: Int?
    var errors: [ParseIssue] = []
    /// Token ranges the time expressions covered (left out of titles).
    var covered: [Range<Int>] = []
}

/// Puts the pieces of a request together, by the conventions in docs/LANGUAGE.md.
struct TimeResolver {
    let chrono: Chronology
    let windows: [PartOfDay: (start: Int, end: Int)]
    let defaultStarts: [PartOfDay: Int]

    enum Role { case start, end, after }

    struct Side {
        var day: Day?
        var weekdayOnly = false
        var clock: ClockTime?
        var clockEnd: ClockTime?
        var part: PartOfDay?
        /// The part of the day was said of today ("this afternoon", "tonight").
        var partToday = false
        var instant: Date?
        var instantDayLevel = false
        var window: (Day, Day)?
        var dayRange: (Day, Day)?
        var isEmpty: Bool {
            day == nil && clock == nil && part == nil && instant == nil && window == nil && dayRange == nil
        }
    }

    func resolve(_ found: [Found]) -> ResolvedTime {
        // An offset from a time (the grammar marked it: `5 hours after noon`, `an hour before noon tomorrow`):
        // the rest is resolved, then moved.
        var found = found
        if let k = found.indices.dropLast().first(where: { index in
            if case .offsetLength = found[index].piece { return true }
            return false
        }), case .offsetLength(let minutes) = found[k].piece, case .marker(let w) = found[k + 1].piece {
            let delta = Double(w == "before" ? -minutes : minutes) * 60
            let covered = found[k].range.lowerBound..<found[k + 1].range.upperBound
            found.removeSubrange(k...(k + 1))
            var resolved = resolve(found)
            resolved.covered.append(covered)
            if let start = resolved.start {
                resolved.start = start.addingTimeInterval(delta)
                resolved.end = resolved.end?.addingTimeInterval(delta)
                // A day-level anchor moved by hours is a time, not a day.
                if minutes % 1440 != 0 { resolved.dateOnly = false }
            }
            return resolved
        }
        var result = ResolvedTime()
        var role = Role.start
        var start = Side()
        var end = Side()
        var within: Date?
        var duration: Int?
        var endFromWindow = false
        for f in found {
            result.covered.append(f.range)
            switch f.piece {
            case .marker(let w):
                switch w {
                case "before", "by", "until", "due", "ending": role = .end
                case "after", "since", "starting", "from": role = .after
                default: break
                }
                continue
            case .invalid(let field, let code, let message):
                result.errors.append(ParseIssue(field: field, code: code, message: message))
                continue
            case .duration(let minutes):
                duration = minutes
                continue
            case .within(let date, _):
                within = date
                continue
            default:
                break
            }
            var side = role == .end ? end : start
            switch f.piece {
            case .day(let d):
                if side.day != nil || side.dayRange != nil || side.window != nil, role != .end {
                    // A second day: the end of a range ("this Friday to this Monday").
                    end.day = d
                    continue
                }
                side.day = d
                side.weekdayOnly = false
            case .weekday(let d):
                if side.day != nil || side.dayRange != nil, role != .end {
                    end.day = d
                    end.weekdayOnly = true
                    continue
                }
                if side.day == nil { side.day = d; side.weekdayOnly = true }
            case .dayRange(let a, let b): side.dayRange = (a, b)
            case .clock(let c):
                if side.clock == nil { side.clock = c } else if role != .end { end.clock = c; continue }
            case .clockRange(let a, let b):
                side.clock = a
                side.clockEnd = b
            case .part(let p): side.part = p
            case .partToday(let p):
                side.part = p
                side.partToday = true
            case .instant(let date, let dayLevel):
                side.instant = date
                side.instantDayLevel = dayLevel
            case .window(let a, let b): side.window = (a, b)
            default: break
            }
            if role == .end { end = side } else { start = side }
        }
        // "tomorrow before 4pm": a day said before the deadline's time belongs to the deadline.
        if start.day != nil, start.clock == nil, start.part == nil, start.instant == nil, end.clock != nil,
            end.day == nil, role == .end || !end.isEmpty
        {
            if start.clockEnd == nil && start.dayRange == nil && start.window == nil {
                end.day = start.day
                end.weekdayOnly = start.weekdayOnly
                start.day = nil
            }
        }
        // A weekday that ends a range comes after its start ("from monday to wednesday").
        if let s = start.day, let e = end.day, end.weekdayOnly, e < s {
            end.day = chrono.adding(days: 7, to: e)
        }
        // Start.
        var startDate: Date?
        var endDate: Date?
        if let (a, b) = start.dayRange {
            if b < a {
                result.errors.append(
                    ParseIssue(field: "end", code: "end_before_start", message: "the range ends before it starts")
                )
            }
            if let clock = start.clock {
                startDate = at(a, clock, part: start.part)
                endDate =
                    start.clockEnd.map { at(b, infer($0, after: clock, part: start.part)) }
                    ?? chrono.date(chrono.adding(days: 1, to: b))
            } else {
                startDate = chrono.date(a)
                endDate = chrono.date(chrono.adding(days: 1, to: b))
                result.dateOnly = true
            }
        } else if let (a, b) = start.window, start.clock == nil, start.day == nil {
            startDate = chrono.date(a)
            endDate = chrono.date(b)
            result.dateOnly = true
        } else if let instant = start.instant {
            if start.instantDayLevel || start.clock != nil {
                let day = chrono.day(of: instant)
                if let clock = start.clock {
                    startDate = at(day, clock, part: start.part)
                } else {
                    startDate = chrono.date(day)
                    result.dateOnly = true
                }
            } else {
                startDate = instant
            }
        } else if start.day != nil || start.clock != nil || start.part != nil || start.window != nil {
            var day = start.day ?? start.window?.0
            if let clock = start.clock {
                var c = clock
                if let b = start.clockEnd { (c, _) = rangeClocks(clock, b, part: start.part) }
                if day == nil {
                    day = nextDay(for: c, part: start.part)
                } else if start.weekdayOnly, day == chrono.today, at(day!, c, part: start.part) <= chrono.now {
                    day = chrono.adding(days: 7, to: day!)
                }
                startDate = at(day!, c, part: start.part)
                if let b = start.clockEnd {
                    let (_, e) = rangeClocks(clock, b, part: start.part)
                    var endValue = at(day!, e, part: start.part)
                    if endValue <= startDate! { endValue = at(chrono.adding(days: 1, to: day!), e, part: start.part) }
                    endDate = endValue
                }
            } else if let part = start.part {
                let d = day ?? chrono.today
                let window = windows[part] ?? part.defaultWindow
                var d2 = d
                // "in the morning" said at 10:00: the next morning whose default start is still ahead.
                if day == nil, !start.partToday, chrono.date(d, defaultStarts[part] ?? part.defaultStart) < chrono.now {
                    d2 = chrono.adding(days: 1, to: d)
                }
                startDate = chrono.date(d2, defaultStarts[part] ?? part.defaultStart)
                endDate = chrono.date(d2, window.end)
                endFromWindow = true
            } else if let d = day {
                startDate = chrono.date(d)
                result.dateOnly = true
                if end.day == nil && end.clock == nil, let (_, b) = start.window, start.day == nil {
                    endDate = chrono.date(b)
                }
            }
        }
        // End.
        if !end.isEmpty {
            result.dateOnly = result.dateOnly && end.clock == nil
            if let (_, b) = end.window {
                endDate = chrono.date(b)
            } else if let instant = end.instant {
                endDate = instant
            } else if let clock = end.clock {
                let base = end.day ?? startDate.map { chrono.day(of: $0) }
                var c = clock
                if let s = start.clock, startDate != nil { c = infer(clock, after: s, part: end.part ?? start.part) }
                if let base {
                    var value = at(base, c, part: end.part)
                    if let s = startDate, value <= s, end.day == nil {
                        value = at(chrono.adding(days: 1, to: base), c, part: end.part)
                    }
                    endDate = value
                } else {
                    let day = nextDay(for: c, part: end.part)
                    endDate = at(day, c, part: end.part)
                }
            } else if let d = end.day {
                if role == .end || start.day == nil {
                    // by Friday: the end of that day
                    endDate = chrono.date(chrono.adding(days: 1, to: d))
                } else {
                    // a day range: this Friday to this Monday
                    endDate = chrono.date(chrono.adding(days: 1, to: d))
                }
                if startDate == nil { result.dateOnly = false }
            } else if let part = end.part {
                let d = end.day ?? chrono.today
                endDate = chrono.date(d, (windows[part] ?? part.defaultWindow).end)
            }
            if startDate != nil, end.day != nil, end.clock == nil, start.clock == nil { result.dateOnly = true }
        }
        if let within { endDate = within }
        if startDate == nil { result.dateOnly = false }
        if let duration {
            if duration <= 0 || duration > 7 * 24 * 60 {
                result.errors.append(
                    ParseIssue(
                        field: "duration_minutes",
                        code: "invalid_duration",
                        message: duration <= 0
                            ? "a duration must be longer than zero"
                            : "a duration of \(duration) minutes is longer than a week"
                    )
                )
            }
            result.durationMinutes = duration
            if let s = startDate, endDate == nil || result.dateOnly || (endFromWindow && end.isEmpty && within == nil) {
                endDate = s.addingTimeInterval(Double(duration) * 60)
                if result.dateOnly { endDate = nil }
            }
        } else if let s = startDate, let e = endDate, !result.dateOnly {
            result.durationMinutes = Int((e.timeIntervalSince(s) / 60).rounded())
        }
        if let s = startDate, let e = endDate, e < s {
            result.errors.append(
                ParseIssue(field: "end", code: "end_before_start", message: "the end comes before the start")
            )
        }
        result.start = startDate
        result.end = endDate
        return result
    }

    // MARK: Clock-time arithmetic

    /// The instant of `clock` on `day`, with part-of-day and sensible-hour rules for an ambiguous hour.
    func at(_ day: Day, _ clock: ClockTime, part: PartOfDay? = nil) -> Date {
        let c = settle(clock, part: part)
        return chrono.date(day, c.hour24, c.minute, c.second, zone: c.zone)
    }

    /// Gives an ambiguous hour its am/pm: from the part of day when one is said, else working hours (7–11 in
    /// the morning, 12–6 in the afternoon and evening).
    func settle(_ clock: ClockTime, part: PartOfDay?) -> ClockTime {
        guard clock.isAmbiguous else { return clock }
        var c = clock
        switch part {
        case .morning?: c.meridiem = .am
        case .afternoon?, .evening?: c.meridiem = .pm
        case .night?:
            c.meridiem = c.hour >= 1 && c.hour <= 4 ? .am : .pm
            if c.hour == 12 { c.meridiem = .am }
        case nil: c.meridiem = (c.hour >= 7 && c.hour <= 11) ? .am : .pm
        }
        return c
    }

    /// `b` read after `a`: it takes `a`'s half of the day, or the other one when that would not come after.
    func infer(_ b: ClockTime, after a: ClockTime, part: PartOfDay?) -> ClockTime {
        guard b.isAmbiguous else { return b }
        let settledA = settle(a, part: part)
        var c = b
        c.meridiem = settledA.meridiem ?? (settledA.hour24 >= 12 ? .pm : .am)
        if settledA.meridiem == nil { c.meridiem = settledA.hour >= 12 ? .pm : .am }
        if c.hour24 * 60 + c.minute <= settledA.hour24 * 60 + settledA.minute {
            c.meridiem = c.meridiem == .am ? .pm : .am
        }
        return c
    }

    /// A clock range's two ends with am/pm worked out from each other (`2-3pm`, `1pm-3`, `11pm-3`, `12-3am`).
    func rangeClocks(_ a: ClockTime, _ b: ClockTime, part: PartOfDay?) -> (ClockTime, ClockTime) {
        var first = a, second = b
        if first.isAmbiguous, !second.isAmbiguous, let m = second.meridiem {
            first.meridiem = m
            if first.hour24 * 60 + first.minute > second.hour24 * 60 + second.minute, first.hour != 12 {
                first.meridiem = m == .pm ? .am : .pm
            }
        } else if first.isAmbiguous, !second.isAmbiguous, second.fixed {
            // 24-hour end: 10 - 21:45
            first.meridiem = nil
            first.fixed = true
            if first.hour < 12, second.hour >= 12, second.hour - first.hour > 12 { first.hour += 12 }
        } else if first.isAmbiguous, second.isAmbiguous {
            first = settle(first, part: part)
        }
        if second.isAmbiguous { second = infer(second, after: first, part: part) }
        return (settle(first, part: part), second)
    }

    /// The day a clock time falls on when no day is said: today if it is still ahead, else tomorrow.
    func nextDay(for clock: ClockTime, part: PartOfDay?) -> Day {
        let today = chrono.today
        if at(today, clock, part: part) >= chrono.now { return today }
        return chrono.adding(days: 1, to: today)
    }
}

/// One thing the parser could not accept, for a person to fix.
public struct ParseIssue: Sendable, Equatable {
    public var field: String
    public var code: String
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}
