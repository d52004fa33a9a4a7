/// The instances of an RRULE in wall time, in order, from DTSTART: period by period (a year, month, week, day,
/// hour, minute or second, `INTERVAL` apart), each period's candidate days and times filtered and expanded by the
/// BY parts, then `BYSETPOS`, `UNTIL` and `COUNT`.
///
/// Bounded: it stops at `upperBound` (no period starting later is looked at), and after `maximumPeriods` periods
/// (then ``truncated`` is set), so an unbounded or impossible rule costs bounded time and memory.
struct RecurrenceIterator {
    let rule: RecurrenceRule
    let start: CivilTime
    /// UNTIL in the wall time of `start` (inclusive).
    let untilLocal: CivilTime?
    var upperBound: CivilTime?
    var maximumPeriods = 5_000_000
    private(set) var truncated = false

    private var byMonth: [Int]
    private var byMonthDay: [Int]
    private var byDay: [RecurrenceRule.WeekdayNumber]
    private var byHour: [Int]
    private var byMinute: [Int]
    private var bySecond: [Int]

    /// The current period's anchor: a day number for day-or-longer frequencies (the period's first day), or a
    /// wall time in seconds for shorter ones.
    private var year: Int
    private var month: Int
    private var anchorDay: Int
    private var anchorSeconds: Int64
    private var pending: [CivilTime] = []
    private var pendingIndex = 0
    private var emitted = 0
    private var periods = 0
    private var finished = false

    /// - Parameters:
    ///   - untilIsUTC: Whether UNTIL (when a DATE-TIME in UTC) must be moved into `start`'s wall time with
    ///     `offsetForUntil` (a VTIMEZONE observance's); events pass `untilLocal` themselves.
    init(rule: RecurrenceRule, start: CivilTime, untilIsUTC: Bool = false, offsetForUntil: Int = 0) {
        var until: CivilTime?
        if let u = rule.until {
            switch u {
            case .date(let d):
                until = CivilTime(year: d.year, month: d.month, day: d.day, hour: 23, minute: 59, second: 59)
            case .utc(let c) where untilIsUTC: until = c.adding(seconds: Int64(offsetForUntil))
            default: until = u.civil
            }
        }
        self.init(rule: rule, start: start, untilLocal: until)
    }

    init(rule: RecurrenceRule, start: CivilTime, untilLocal: CivilTime?) {
        self.rule = rule
        self.start = start
        self.untilLocal = untilLocal
        byMonth = rule.byMonth
        byMonthDay = rule.byMonthDay
        byDay = rule.byDay
        // What DTSTART supplies when the rule leaves it out (RFC 5545: "the same as DTSTART").
        if rule.byWeekNo.isEmpty && rule.byYearDay.isEmpty && rule.byMonthDay.isEmpty && rule.byDay.isEmpty {
            switch rule.frequency {
            case .yearly:
                if byMonth.isEmpty { byMonth = [start.month] }
                byMonthDay = [start.day]
            case .monthly: byMonthDay = [start.day]
            case .weekly: byDay = [.init(weekday: start.weekday)]
            default: break
            }
        }
        byHour = rule.byHour.isEmpty && rule.frequency > .hourly ? [start.hour] : rule.byHour.sorted()
        byMinute = rule.byMinute.isEmpty && rule.frequency > .minutely ? [start.minute] : rule.byMinute.sorted()
        bySecond = rule.bySecond.isEmpty && rule.frequency > .secondly ? [start.second] : rule.bySecond.sorted()
        year = start.year
        month = start.month
        let day = start.dayNumber
        anchorDay =
            rule.frequency == .weekly ? day - (CivilTime.weekday(ofDay: day) - rule.weekStart).floorModulo(7) : day
        anchorSeconds = start.secondsSinceEpoch
    }

    /// Skips whole periods that end before `time`, when no COUNT needs them counted.
    mutating func skip(to time: CivilTime) {
        guard rule.count == nil, time > start else { return }
        let n = Int64(rule.interval)
        switch rule.frequency {
        case .yearly:
            let k = max(0, (time.year - year) / rule.interval - 1)
            year += k * rule.interval
        case .monthly:
            let months = (time.year - year) * 12 + (time.month - month)
            let k = max(0, months / rule.interval - 1)
            let total = (year * 12 + month - 1) + k * rule.interval
            year = total / 12
            month = total % 12 + 1
        case .weekly:
            let k = max(0, (time.dayNumber - anchorDay) / (7 * rule.interval) - 1)
            anchorDay += k * 7 * rule.interval
        case .daily:
            let k = max(0, (time.dayNumber - anchorDay) / rule.interval - 1)
            anchorDay += k * rule.interval
        case .hourly, .minutely, .secondly:
            let unit: Int64 = rule.frequency == .hourly ? 3600 : rule.frequency == .minutely ? 60 : 1
            let k = max(0, (time.secondsSinceEpoch - anchorSeconds) / (unit * n) - 1)
            anchorSeconds += k * unit * n
        }
    }

    mutating func next() -> CivilTime? {
        while true {
            if finished { return nil }
            if pendingIndex < pending.count {
                let candidate = pending[pendingIndex]
                pendingIndex += 1
                if candidate < start { continue }
                if let untilLocal, candidate > untilLocal {
                    finished = true
                    return nil
                }
                if let count = rule.count, emitted >= count {
                    finished = true
                    return nil
                }
                emitted += 1
                return candidate
            }
            guard fillNextPeriod() else {
                finished = true
                return nil
            }
        }
    }

    /// Computes the instances of the current period into `pending` and advances to the next period.
    /// Returns false when iteration must stop.
    private mutating func fillNextPeriod() -> Bool {
        pending.removeAll(keepingCapacity: true)
        pendingIndex = 0
        while pending.isEmpty {
            periods += 1
            if periods > maximumPeriods {
                truncated = true
                return false
            }
            let periodStart: CivilTime
            switch rule.frequency {
            case .yearly: periodStart = CivilTime(year: year, month: 1, day: 1)
            case .monthly: periodStart = CivilTime(year: year, month: month, day: 1)
            case .weekly, .daily:
                let (y, m, d) = CivilTime.civil(fromDays: anchorDay)
                periodStart = CivilTime(year: y, month: m, day: d)
            default: periodStart = CivilTime(secondsSinceEpoch: anchorSeconds)
            }
            if let upperBound, periodStart > upperBound { return false }
            if let untilLocal, periodStart > untilLocal { return false }
            if periodStart.year > 9999 { return false }
            expandPeriod()
            advance()
        }
        return true
    }

    private mutating func advance() {
        switch rule.frequency {
        case .yearly: year += rule.interval
        case .monthly:
            let total = (year * 12 + month - 1) + rule.interval
            year = total / 12
            month = total % 12 + 1
        case .weekly: anchorDay += 7 * rule.interval
        case .daily: anchorDay += rule.interval
        case .hourly, .minutely, .secondly:
            let unit: Int64 = rule.frequency == .hourly ? 3600 : rule.frequency == .minutely ? 60 : 1
            let step = unit * Int64(rule.interval)
            let current = CivilTime(secondsSinceEpoch: anchorSeconds)
            if !dayMatches(current.dayNumber, scopeYear: current.year) {
                // The whole day is filtered out: jump to the first period of the next day.
                let toMidnight = Int64(current.date.adding(days: 1).secondsSinceEpoch - anchorSeconds)
                anchorSeconds += ((toMidnight + step - 1) / step) * step
            } else {
                anchorSeconds += step
            }
        }
    }

    // MARK: One period

    private mutating func expandPeriod() {
        var days: [Int] = []
        switch rule.frequency {
        case .yearly:
            let first = CivilTime.days(year: year, month: 1, day: 1)
            let ordinalDays = ordinalDays(year: year)
            if !byMonth.isEmpty && rule.byWeekNo.isEmpty && rule.byYearDay.isEmpty {
                // Only the months named: no need to look at the rest of the year.
                for m in byMonth.sorted() {
                    let monthFirst = CivilTime.days(year: year, month: m, day: 1)
                    for d in monthFirst..<(monthFirst + CivilTime.daysIn(month: m, year: year))
                    where dayMatches(d, scopeYear: year, ordinalDays: ordinalDays) {
                        days.append(d)
                    }
                }
            } else {
                for d in first..<(first + CivilTime.daysIn(year: year))
                where dayMatches(d, scopeYear: year, ordinalDays: ordinalDays) {
                    days.append(d)
                }
            }
        case .monthly:
            if !byMonth.isEmpty && !byMonth.contains(month) { break }
            let first = CivilTime.days(year: year, month: month, day: 1)
            let ordinalDays = ordinalDaysInMonth(year: year, month: month)
            for d in first..<(first + CivilTime.daysIn(month: month, year: year))
            where dayMatches(d, scopeYear: year, ordinalDays: ordinalDays) {
                days.append(d)
            }
        case .weekly:
            for d in anchorDay..<(anchorDay + 7) {
                let y = CivilTime.civil(fromDays: d).year
                if dayMatches(d, scopeYear: y) { days.append(d) }
            }
        case .daily:
            let y = CivilTime.civil(fromDays: anchorDay).year
            if dayMatches(anchorDay, scopeYear: y) { days.append(anchorDay) }
        case .hourly, .minutely, .secondly:
            let current = CivilTime(secondsSinceEpoch: anchorSeconds)
            guard dayMatches(current.dayNumber, scopeYear: current.year) else { return }
            let hours = rule.frequency == .hourly ? filter([current.hour], byHour) : filter([current.hour], byHour)
            let minutes = rule.frequency == .hourly ? byMinuteOrStart : filter([current.minute], byMinute)
            let seconds =
                rule.frequency == .secondly ? filter([current.second], bySecond) : bySecondOrStart
            var instances: [CivilTime] = []
            for h in hours {
                for m in minutes {
                    for s in seconds {
                        instances.append(current.date.adding(seconds: Int64(h * 3600 + m * 60 + s)))
                    }
                }
            }
            pending = applySetPos(instances)
            return
        }
        var instances: [CivilTime] = []
        instances.reserveCapacity(days.count * byHour.count * byMinute.count * bySecond.count)
        for d in days {
            let (y, m, dd) = CivilTime.civil(fromDays: d)
            for h in byHour {
                for mi in byMinute {
                    for s in bySecond {
                        instances.append(CivilTime(year: y, month: m, day: dd, hour: h, minute: mi, second: s))
                    }
                }
            }
        }
        pending = applySetPos(instances)
    }

    private var byMinuteOrStart: [Int] { byMinute.isEmpty ? [start.minute] : byMinute }
    private var bySecondOrStart: [Int] { bySecond.isEmpty ? [start.second] : bySecond }

    private func filter(_ values: [Int], _ allowed: [Int]) -> [Int] {
        allowed.isEmpty ? values : values.filter { allowed.contains($0) }
    }

    private func applySetPos(_ instances: [CivilTime]) -> [CivilTime] {
        guard !rule.bySetPos.isEmpty, !instances.isEmpty else { return instances }
        var chosen: [CivilTime] = []
        for position in rule.bySetPos {
            let index = position > 0 ? position - 1 : instances.count + position
            if index >= 0 && index < instances.count { chosen.append(instances[index]) }
        }
        return Array(Set(chosen)).sorted()
    }

    // MARK: Day filters

    /// The days that BYDAY entries with ordinals select in a scope (a month, or a year without BYMONTH).
    private func ordinalDays(first: Int, last: Int) -> Set<Int>? {
        guard byDay.contains(where: { $0.ordinal != 0 }) else { return nil }
        var set: Set<Int> = []
        for entry in byDay where entry.ordinal != 0 {
            if entry.ordinal > 0 {
                let firstMatch = first + (entry.weekday - CivilTime.weekday(ofDay: first)).floorModulo(7)
                let day = firstMatch + (entry.ordinal - 1) * 7
                if day <= last { set.insert(day) }
            } else {
                let lastMatch = last - (CivilTime.weekday(ofDay: last) - entry.weekday).floorModulo(7)
                let day = lastMatch + (entry.ordinal + 1) * 7
                if day >= first { set.insert(day) }
            }
        }
        return set
    }

    private func ordinalDays(year: Int) -> Set<Int>? {
        guard byDay.contains(where: { $0.ordinal != 0 }) else { return nil }
        if !byMonth.isEmpty {
            // With BYMONTH, ordinals count within each month.
            var set: Set<Int> = []
            for m in byMonth { set.formUnion(ordinalDaysInMonth(year: year, month: m) ?? []) }
            return set
        }
        let first = CivilTime.days(year: year, month: 1, day: 1)
        return ordinalDays(first: first, last: first + CivilTime.daysIn(year: year) - 1)
    }

    private func ordinalDaysInMonth(year: Int, month: Int) -> Set<Int>? {
        let first = CivilTime.days(year: year, month: month, day: 1)
        return ordinalDays(first: first, last: first + CivilTime.daysIn(month: month, year: year) - 1)
    }

    /// Whether day `d` passes every day-level BY part. `ordinalDays` holds the days BYDAY's ordinals select in
    /// the current scope (nil when no entry has an ordinal, or the frequency ignores ordinals).
    private func dayMatches(_ d: Int, scopeYear: Int, ordinalDays: Set<Int>? = nil) -> Bool {
        let (y, m, md) = CivilTime.civil(fromDays: d)
        if !byMonth.isEmpty && !byMonth.contains(m) { return false }
        if !byMonthDay.isEmpty {
            let length = CivilTime.daysIn(month: m, year: y)
            if !byMonthDay.contains(where: { $0 > 0 ? $0 == md : length + $0 + 1 == md }) { return false }
        }
        if !rule.byYearDay.isEmpty {
            let yearDay = d - CivilTime.days(year: y, month: 1, day: 1) + 1
            let length = CivilTime.daysIn(year: y)
            if !rule.byYearDay.contains(where: { $0 > 0 ? $0 == yearDay : length + $0 + 1 == yearDay }) {
                return false
            }
        }
        if !rule.byWeekNo.isEmpty {
            guard let (number, weeks) = weekNumber(of: d, year: scopeYear),
                rule.byWeekNo.contains(where: { $0 > 0 ? $0 == number : weeks + $0 + 1 == number })
            else { return false }
        }
        if !byDay.isEmpty {
            let weekday = CivilTime.weekday(ofDay: d)
            let ordinalsApply = ordinalDays != nil
            let matches = byDay.contains { entry in
                if entry.ordinal == 0 || !ordinalsApply { return entry.weekday == weekday }
                return false
            }
            if !matches && !(ordinalDays?.contains(d) ?? false) { return false }
        }
        return true
    }

    /// The RFC 5545 week number of day `d` within `year` (week 1 has at least four days of the year; weeks start
    /// on WKST), and how many weeks the year has; nil for a day that belongs to another year's weeks.
    private func weekNumber(of d: Int, year: Int) -> (Int, Int)? {
        func firstWeekStart(_ y: Int) -> Int {
            let jan1 = CivilTime.days(year: y, month: 1, day: 1)
            let offset = (CivilTime.weekday(ofDay: jan1) - rule.weekStart).floorModulo(7)
            return offset <= 3 ? jan1 - offset : jan1 + 7 - offset
        }
        let start = firstWeekStart(year)
        let next = firstWeekStart(year + 1)
        guard d >= start && d < next else { return nil }
        return ((d - start) / 7 + 1, (next - start) / 7)
    }
}
