import Foundation

extension TemporalGrammar {
    /// Every time expression in the tokens, left to right, each the longest rule that matches where it starts.
    func scan() -> [Found] {
        var found: [Found] = []
        var i = 0
        while i < tokens.count {
            if let (f, next) = match(i), next > i {
                found.append(f)
                i = next
            } else {
                i += 1
            }
        }
        // `5 hours after noon`, `5 hours from noon`: a length right before `after`/`before`/`from` and a time is
        // an offset from that time (a `from` the clock rule took is split off). `for 2 hours from 3pm` stays a
        // length and a start.
        var k = found.count - 2
        while k >= 0 {
            defer { k -= 1 }
            guard case .duration(let minutes) = found[k].piece, !isWord(found[k].range.lowerBound, "for") else {
                continue
            }
            let start = found[k + 1].range.lowerBound
            guard found[k].range.upperBound == start else { continue }
            if isWord(start, "from"), found[k + 1].range.count > 1 {
                switch found[k + 1].piece {
                case .clock, .clockRange:
                    found[k + 1].range = (start + 1)..<found[k + 1].range.upperBound
                    found.insert(Found(piece: .marker("from"), range: start..<(start + 1)), at: k + 1)
                default:
                    continue
                }
            }
            guard k + 2 < found.count, case .marker(let w) = found[k + 1].piece,
                ["after", "before", "from"].contains(w),
                found[k + 1].range.upperBound == found[k + 2].range.lowerBound
            else { continue }
            switch found[k + 2].piece {
            case .marker, .duration, .within, .invalid, .offsetLength: continue
            default: found[k].piece = .offsetLength(minutes: minutes)
            }
        }
        return found
    }

    func match(_ i: Int) -> (Found, Int)? {
        if let result = numericDate(i) { return withTime(result) }
        if let result = dashedDate(i) { return withTime(result) }
        if let result = yearFirstDate(i) { return withTime(result) }
        if let result = ordinalWeekdayOfMonth(i) { return withTime(result) }
        if let result = weekdayWithDayOfMonth(i) { return withTime(result) }
        // A weekday before a numeric date: `Sunday 12/7/2014`, `Tue, 11/3`; or before `the 11th`.
        if let w = word(i), Vocabulary.weekdays[w] != nil {
            var j = i + 1
            if punct(j, "."), tight(j) { j += 1 }
            if punct(j, ",") { j += 1 }
            if isWord(j, "the"), case (var f, let next)? = relativeDay(j) {
                f.range = i..<next
                return (f, next)
            }
            if case (var f, let next)? = numericDate(j) {
                f.range = i..<next
                return withTime((f, next))
            }
        }
        if let result = namedDate(i) { return withTime(result) }
        if let result = wholeMonth(i) { return result }
        if let result = relativeDay(i) { return withTime(result) }
        if let result = offset(i) { return result }
        if quantityStarts(skipFillers(isWord(i, "for") ? i + 1 : i)), let result = durationPhrase(i) { return result }
        if let result = clockRangeOrClock(i) { return result }
        if let result = durationPhrase(i) { return result }
        if let result = partOfDay(i) { return result }
        if let w = word(i) {
            switch w {
            case "before", "by", "until", "after", "from", "since", "between", "starting", "ending", "due":
                return (Found(piece: .marker(w), range: i..<(i + 1)), i + 1)
            case "no":
                if isWord(i + 1, "later"), isWord(i + 2, "than") {
                    return (Found(piece: .marker("by"), range: i..<(i + 3)), i + 3)
                }
            case "now", "asap", "immediately":
                return (Found(piece: .instant(chrono.now, dayLevel: false), range: i..<(i + 1)), i + 1)
            default:
                break
            }
        }
        return nil
    }

    /// A day followed by `+ N units` (`next tuesday +10 days`).
    func withTime(_ result: (Found, Int)) -> (Found, Int) {
        var (f, next) = result
        if case .weekday(let day) = f.piece { f.piece = .day(day); if !punct(next, "+") { f.piece = .weekday(day) } }
        if case .day(let day) = f.piece, punct(next, "+"), let (span, after) = spanAfter(next + 1) {
            let days = Int((span.minutes / 1440).rounded(.down))
            f.piece = .day(chrono.adding(days: days, to: day))
            f.range = f.range.lowerBound..<after
            next = after
        }
        return (f, next)
    }

    func spanAfter(_ i: Int) -> ((minutes: Double, largest: Vocabulary.Unit), Int)? {
        guard let s = span(i) else { return nil }
        return ((s.minutes, s.largest), s.next)
    }

    // MARK: Relative days and weeks

    func relativeDay(_ i: Int) -> (Found, Int)? {
        let today = chrono.today
        var j = i
        if isWord(j, "the") { j += 1 }
        // the day after tomorrow / the day before yesterday
        if isWord(j, "day"), isWord(j + 1, "after"), isWord(j + 2, "tomorrow") {
            return (Found(piece: .day(chrono.adding(days: 2, to: today)), range: i..<(j + 3)), j + 3)
        }
        if isWord(j, "day"), isWord(j + 1, "before"), isWord(j + 2, "yesterday") {
            return (Found(piece: .day(chrono.adding(days: -2, to: today)), range: i..<(j + 3)), j + 3)
        }
        // `the weekend`, `over the weekend`, `weekend`: the coming Saturday and Sunday (this one, on a weekend).
        if isWord(j, "weekend"), !isWord(i - 1, "next", "last", "this", "every") {
            let current = chrono.weekday(today)
            let saturday = current == 1 ? chrono.adding(days: -1, to: today) : weekdayDay(7, modifier: nil)
            let start = saturday < today ? today : saturday
            return (Found(piece: .window(start, chrono.adding(days: 2, to: saturday)), range: i..<(j + 1)), j + 1)
        }
        guard let w = word(i) else {
            return nil
        }
        switch w {
        case "today": return (Found(piece: .day(today), range: i..<(i + 1)), i + 1)
        case "tomorrow": return (Found(piece: .day(chrono.adding(days: 1, to: today)), range: i..<(i + 1)), i + 1)
        case "yesterday": return (Found(piece: .day(chrono.adding(days: -1, to: today)), range: i..<(i + 1)), i + 1)
        case "this", "next", "coming", "last", "upcoming", "following":
            var k = i + 1
            if let target = word(k), let weekday = Vocabulary.weekdays[target] {
                k += 1
                let modifier = (w == "next" || w == "following") ? "next" : (w == "last" ? "last" : nil)
                return (Found(piece: .day(weekdayDay(weekday, modifier: modifier)), range: i..<k), k)
            }
            if isWord(k, "week") || isWord(k, "wk") {
                if w == "next" || w == "coming" || w == "following" {
                    let monday = nextMonday()
                    return (
                        Found(piece: .window(monday, chrono.adding(days: 7, to: monday)), range: i..<(k + 1)), k + 1
                    )
                }
                if w == "this" {
                    let end = nextMonday()
                    return (Found(piece: .window(today, end), range: i..<(k + 1)), k + 1)
                }
            }
            if isWord(k, "month") {
                if w == "next" || w == "coming" {
                    let first = chrono.adding(months: 1, to: Day(year: today.year, month: today.month, day: 1))
                    return (
                        Found(piece: .window(first, chrono.adding(months: 1, to: first)), range: i..<(k + 1)), k + 1
                    )
                }
                if w == "this" {
                    let first = Day(year: today.year, month: today.month, day: 1)
                    return (
                        Found(piece: .window(today, chrono.adding(months: 1, to: first)), range: i..<(k + 1)), k + 1
                    )
                }
            }
            if w == "this", isWord(k, "weekend") || (w == "next" && isWord(k, "weekend")) {
                let saturday = weekdayDay(7, modifier: w == "next" ? "nextweek" : nil)
                return (
                    Found(piece: .window(saturday, chrono.adding(days: 2, to: saturday)), range: i..<(k + 1)), k + 1
                )
            }
            if w == "this", let part = Self.parts[word(k) ?? ""] {
                return (Found(piece: .partToday(part), range: i..<(k + 1)), k + 1)
            }
            return nil
        case "end", "eow", "eom", "eoy":
            // end of (the) month / week / year / day
            var k = i + 1
            var period = w == "eow" ? "week" : w == "eom" ? "month" : w == "eoy" ? "year" : ""
            if w == "end" {
                guard isWord(k, "of") else { return nil }
                k += 1
                if isWord(k, "the", "this") { k += 1 }
                guard let p = word(k), ["month", "week", "year", "day", "today"].contains(p) else { return nil }
                period = p
                k += 1
            }
            switch period {
            case "day", "today":
                return (Found(piece: .clock(ClockTime(hour: 24, fixed: true)), range: i..<k), k)
            case "week":
                let friday = weekdayDay(6, modifier: nil)
                return (Found(piece: .window(friday, chrono.adding(days: 1, to: friday)), range: i..<k), k)
            case "year":
                let first = Day(year: today.year + 1, month: 1, day: 1)
                return (Found(piece: .window(Day(year: today.year, month: 12, day: 21), first), range: i..<k), k)
            default:
                let first = chrono.adding(months: 1, to: Day(year: today.year, month: today.month, day: 1))
                return (
                    Found(piece: .window(Day(year: today.year, month: today.month, day: 21), first), range: i..<k), k
                )
            }
        case "early", "mid", "late", "beginning", "start":
            var k = i + 1
            if punct(k, "-") { k += 1 }
            if isWord(k, "of") { k += 1 }
            if isWord(k, "the") { k += 1 }
            // early next month, mid this month
            var relativeMonth: Day?
            if isWord(k, "next", "this"), isWord(k + 1, "month") {
                let first = Day(year: today.year, month: today.month, day: 1)
                relativeMonth = isWord(k, "next") ? chrono.adding(months: 1, to: first) : first
            }
            if let first = relativeMonth {
                let next = k + 2
                let last = chrono.daysIn(year: first.year, month: first.month)
                let (a, b): (Int, Int) = w == "mid" ? (11, 21) : (w == "late" ? (21, last + 1) : (1, 11))
                let start = Day(year: first.year, month: first.month, day: a)
                let end =
                    b > last ? chrono.adding(months: 1, to: first) : Day(year: first.year, month: first.month, day: b)
                return (Found(piece: .window(start, end), range: i..<next), next)
            }
            guard let (m, afterMonth) = month(k) else { return nil }
            var year = today.year
            var next = afterMonth
            if let (y, afterYear) = self.year(afterMonth) {
                year = y; next = afterYear
            } else if m < today.month {
                year += 1
            }
            let first = Day(year: year, month: m, day: 1)
            let last = chrono.daysIn(year: year, month: m)
            switch w {
            case "early", "beginning", "start":
                return (Found(piece: .window(first, Day(year: year, month: m, day: 11)), range: i..<next), next)
            case "mid":
                return (
                    Found(
                        piece: .window(Day(year: year, month: m, day: 11), Day(year: year, month: m, day: 21)),
                        range: i..<next
                    ), next
                )
            default:
                return (
                    Found(
                        piece: .window(
                            Day(year: year, month: m, day: 21),
                            chrono.adding(days: 1, to: Day(year: year, month: m, day: last))
                        ),
                        range: i..<next
                    ), next
                )
            }
        case "on", "the":
            // `on the 5th`, `the 5th`: a day of this month, or next month's when it has passed.
            var k = i + 1
            if w == "on", isWord(k, "the") { k += 1 }
            if w == "the" { k = i + 1 }
            if isOrdinal(k), let (d, after) = ordinalDay(k), month(after) == nil, !isWord(after, "of") {
                // This month's, or the next month that has that day and where it is still ahead.
                var first = Day(year: today.year, month: today.month, day: 1)
                var candidate = Day(year: today.year, month: today.month, day: d)
                var steps = 0
                while (candidate < today || !chrono.isValid(candidate)), d <= 31, steps < 12 {
                    first = chrono.adding(months: 1, to: first)
                    candidate = Day(year: first.year, month: first.month, day: d)
                    steps += 1
                }
                return (found(candidate, i, after), after)
            }
            return nil
        default:
            break
        }
        if let weekday = Vocabulary.weekdays[w] {
            var k = i + 1
            if punct(k, "."), tight(k) { k += 1 }
            if isWord(k, "next"), isWord(k + 1, "week") {
                return (Found(piece: .day(weekdayDay(weekday, modifier: "nextweek")), range: i..<(k + 2)), k + 2)
            }
            if isWord(k, "after"), isWord(k + 1, "next") {
                let day = chrono.adding(days: 7, to: weekdayDay(weekday, modifier: "next"))
                return (Found(piece: .day(day), range: i..<(k + 2)), k + 2)
            }
            // "sat" and "sun" are words too; "wed" a verb: take them only where a date fits.
            if ["sat", "sun", "wed", "mar"].contains(w),
                !isWord(i - 1, "on", "this", "next", "by", "until", "before", "after", "from")
            {
                return nil
            }
            return (Found(piece: .weekday(weekdayDay(weekday, modifier: nil)), range: i..<k), k)
        }
        return nil
    }

    static let parts: [String: PartOfDay] = [
        "morning": .morning, "afternoon": .afternoon, "evening": .evening, "night": .night, "tonight": .night,
    ]

    func partOfDay(_ i: Int) -> (Found, Int)? {
        guard let w = word(i) else { return nil }
        if w == "tonight" {
            return (Found(piece: .partToday(.night), range: i..<(i + 1)), i + 1)
        }
        var k = i
        if isWord(k, "in", "at", "this") { k += 1 }
        if isWord(k, "the") { k += 1 }
        if let part = Self.parts[word(k) ?? ""] {
            // "at night", "in the morning", "morning"
            if k == i || isWord(i, "in", "at", "this") {
                return (Found(piece: .part(part), range: i..<(k + 1)), k + 1)
            }
        }
        return nil
    }

    // MARK: Offsets: in 3 days, 2 hours from now, a week from today, 5 minutes later

    func offset(_ i: Int) -> (Found, Int)? {
        // in N units / within N units / after N units
        if isWord(i, "in", "within", "after") {
            var start = skipFillers(i + 1)
            if isWord(i, "within"), isWord(start, "the") { start += 1 }
            if isWord(i, "within"), isWord(start, "next") { start += 1 }
            if let s = span(start), quantityStarts(start) {
                let minutes = s.minutes
                var next = s.next
                var base = chrono.now
                if isWord(next, "from", "after"), isWord(next + 1, "now", "today") { next += 2 }
                if isWord(next, "time") { next += 1 }
                // Day level only when nothing smaller than a day is said (`in 1 week and 2 hours` keeps its hours).
                let dayLevel =
                    s.largest.minutes >= Vocabulary.Unit.week.minutes && wholeDays(minutes, largest: s.largest)
                let date = add(minutes: minutes, largest: s.largest, to: &base)
                if isWord(i, "within") {
                    let end = dayLevel ? chrono.date(chrono.day(of: date)) : date
                    return (Found(piece: .within(end, dayLevel: dayLevel), range: i..<next), next)
                }
                return (
                    Found(
                        piece: .instant(dayLevel ? chrono.date(chrono.day(of: date)) : date, dayLevel: dayLevel),
                        range: i..<next
                    ), next
                )
            }
            return nil
        }
        // now + 40 minutes
        if isWord(i, "now"), punct(i + 1, "+"), let s = span(i + 2) {
            var base = chrono.now
            let date = add(minutes: s.minutes, largest: s.largest, to: &base)
            return (Found(piece: .instant(date, dayLevel: false), range: i..<s.next), s.next)
        }
        // N units from now / later / out / hence / ago / after today / after tomorrow / from today
        guard quantityStarts(i), let s = span(i) else { return nil }
        var next = s.next
        var sign = 1.0
        var baseDay: Day?
        if isWord(next, "from", "after"), isWord(next + 1, "now") {
            next += 2
        } else if isWord(next, "later", "out", "hence", "afterwards", "afterward") {
            next += 1
        } else if isWord(next, "ago", "earlier") {
            sign = -1
            next += 1
        } else if isWord(next, "before"), isWord(next + 1, "now") {
            sign = -1
            next += 2
        } else if isWord(next, "from", "after"),
            let (f, after) = relativeDay(next + 1) ?? namedDate(next + 1) ?? numericDate(next + 1),
            let d = { () -> Day? in
                if case .day(let d) = f.piece { return d }; if case .weekday(let d) = f.piece { return d }; return nil
            }()
        {
            baseDay = d
            next = after
        } else {
            return nil
        }
        // Day level only when nothing smaller than a day is said (`1.5 days later` is 36 hours).
        let dayLevel = s.largest.minutes >= Vocabulary.Unit.day.minutes && wholeDays(s.minutes, largest: s.largest)
        if let baseDay {
            var minutes = s.minutes
            var day = baseDay
            if s.largest == .month || s.largest == .year {
                let months = Int((minutes / Vocabulary.Unit.month.minutes + 1e-9).rounded(.towardZero))
                day = chrono.adding(months: months, to: day)
                minutes -= Double(months) * Vocabulary.Unit.month.minutes
            }
            let days = Int((minutes / 1440).rounded())
            return (Found(piece: .day(chrono.adding(days: days, to: day)), range: i..<next), next)
        }
        var base = chrono.now
        let date = add(minutes: sign * s.minutes, largest: s.largest, to: &base)
        if dayLevel && s.largest.minutes >= Vocabulary.Unit.week.minutes || (dayLevel && isWord(next - 1, "later")) {
            return (Found(piece: .day(chrono.day(of: date)), range: i..<next), next)
        }
        return (Found(piece: .instant(date, dayLevel: false), range: i..<next), next)
    }

    func quantityStarts(_ i: Int) -> Bool {
        guard let (_, after) = quantity(i) else { return false }
        // 1530h is a time of day, not 1,530 hours.
        if digits(i) >= 3, isWord(after, "h"), tight(after) { return false }
        // "90-minute"
        if punct(after, "-"), tight(after), tight(after + 1), unit(after + 1) != nil { return true }
        return unit(after) != nil
    }

    /// Adds minutes: whole days, weeks, months and years on the calendar (the same clock time on the day it
    /// lands on, across DST changes), the rest as elapsed time.
    /// Whether a span is whole days (calendar months and years counted as such, as ``add(minutes:largest:to:)``
    /// adds them).
    func wholeDays(_ minutes: Double, largest: Vocabulary.Unit) -> Bool {
        var rest = minutes
        if largest == .month || largest == .year {
            let months = (minutes / Vocabulary.Unit.month.minutes + 1e-9).rounded(.towardZero)
            rest -= months * Vocabulary.Unit.month.minutes
        }
        let remainder = rest.truncatingRemainder(dividingBy: 1440)
        return remainder < 1e-6 || 1440 - remainder < 1e-6
    }

    func add(minutes: Double, largest: Vocabulary.Unit, to base: inout Date) -> Date {
        var months = 0
        var rest = minutes
        if largest == .month || largest == .year {
            months = Int((minutes / Vocabulary.Unit.month.minutes + 1e-9).rounded(.towardZero))
            rest -= Double(months) * Vocabulary.Unit.month.minutes
        }
        guard largest.minutes >= Vocabulary.Unit.day.minutes else { return base.addingTimeInterval(minutes * 60) }
        let days = Int((rest / 1440).rounded(.towardZero))
        rest -= Double(days) * 1440
        let day = chrono.adding(days: days, to: chrono.adding(months: months, to: chrono.today))
        return chrono.date(day, chrono.nowHour, chrono.nowMinute, chrono.nowSecond).addingTimeInterval(rest * 60)
    }

    // MARK: Durations: for 45 minutes, an hour and a half, 30 min, 1h30, 90-minute

    func durationPhrase(_ i: Int) -> (Found, Int)? {
        var start = i
        if isWord(i, "for", "lasting", "taking") { start = i + 1 }
        start = skipFillers(start)
        if isWord(start, "the") { return nil }
        guard quantityStarts(start), let s = span(start) else {
            // "half an hour"
            if isWord(start, "half"), isWord(start + 1, "an", "a"), let (u, after) = unit(start + 2) {
                return (Found(piece: .duration(minutes: Int((0.5 * u.minutes).rounded())), range: i..<after), after)
            }
            return nil
        }
        // "90-minute meeting": the hyphen form.
        var next = s.next
        if isWord(next, "long") { next += 1 }
        // A bare "a"/"an" + unit means one of it ("an hour").
        return (Found(piece: .duration(minutes: Int(s.minutes.rounded())), range: i..<next), next)
    }

    // MARK: ClockTime times and their ranges

    /// `3pm`, `at 9`, `15:30`, `from 2 to 4pm`, `2-3pm`, `between 3:30 and 4:30`, `10am-11am`.
    func clockRangeOrClock(_ i: Int) -> (Found, Int)? {
        var j = i
        var introduced = false
        var isBetween = false
        if isWord(j, "at", "@") || punct(j, "@") { j += 1; introduced = true }
        if isWord(j, "from", "between") { isBetween = isWord(j, "between"); j += 1; introduced = true }
        if punct(j, "'") { j += 1 }
        j = skipFillers(j)
        if introduced, digits(j) == 4, let value = number(j), value / 100 <= 23, value % 100 < 60,
            meridiem(j + 1) == nil, !isWord(j + 1, "h", "hrs", "hours")
        {
            // at 0930: 24-hour time without a colon
            guard let (c, next) = finishClock(ClockTime(hour: value / 100, minute: value % 100, fixed: true), j + 1)
            else {
                return nil
            }
            return (Found(piece: .clock(c), range: i..<next), next)
        }
        guard let (first, afterFirst) = clock(j, loose: true) else { return nil }
        // A bare number past 24 is a quantity, never a time.
        if first.meridiem == nil, !first.fixed || number(j) != nil, first.hour > 24, !punct(j + 1, ":") { return nil }
        // A bare number needs a reason to be a time.
        var k = afterFirst
        if punct(k, "'") { k += 1 }
        let joiner =
            punct(k, "-")
            || isWord(k, "to", "until", "and", "through") && !(isWord(k, "to") && isWord(k + 1, "discuss"))
        if joiner, !(isWord(k, "and") && !isBetween) {
            let dayWord = { (n: Int) -> Bool in
                self.isWord(n, "tomorrow", "today", "tonight")
                    || (self.word(n).map { Vocabulary.weekdays[$0] != nil } ?? false)
            }
            let dayFollows = { (n: Int) -> Bool in self.isWord(n, "on") || dayWord(n) || dayWord(i - 1) }
            if let (second, afterSecond) = clock(k + 1, loose: true),
                first.isAmbiguous == false || second.meridiem != nil || second.fixed || introduced
                    || !second.isAmbiguous || partFollows(afterSecond)
                    || (punct(k, "-") && tight(k) && tight(k + 1) && dayFollows(afterSecond))
            {
                var end = afterSecond
                if punct(end, "'") { end += 1 }
                if !clockIsValid(first) || !clockIsValid(second) { return invalidClock(i, end, first, second) }
                if first.isAmbiguous && second.isAmbiguous && !introduced && !partFollows(afterSecond) && !punct(k, "-")
                    && !dayFollows(afterSecond)
                {
                    return nil
                }
                return (Found(piece: .clockRange(first, second), range: i..<end), end)
            }
        }
        // `10 past 2` says it is a time by itself.
        let bare =
            first.isAmbiguous && first.meridiem == nil && !first.fixed && number(j) != nil && !punct(j + 1, ":")
            && !isWord(j + 1, "past", "after")
        let wordHour =
            first.isAmbiguous && number(j) == nil && first.meridiem == nil && !isWord(afterFirst - 1, "oclock", "clock")
            && !isWord(j, "half", "quarter") && !isWord(j + 1, "past", "to", "after")
        if bare || wordHour {
            let reason =
                introduced || partFollows(afterFirst) || isWord(afterFirst - 1, "oclock", "clock")
                || isWord(
                    i - 1,
                    "by",
                    "until",
                    "before",
                    "after",
                    "tonight",
                    "morning",
                    "afternoon",
                    "evening",
                    "today",
                    "tomorrow",
                    "since"
                )
                || (i >= 1 && tokens[i - 1].kind == .word && Vocabulary.weekdays[word(i - 1)!] != nil)
            if !reason { return nil }
            if wordHour && !introduced && !partFollows(afterFirst) { return nil }
        }
        if !clockIsValid(first) { return invalidClock(i, afterFirst, first, nil) }
        return (Found(piece: .clock(first), range: i..<afterFirst), afterFirst)
    }

    func partFollows(_ i: Int) -> Bool {
        if isWord(i, "tonight") { return true }
        var k = i
        if isWord(k, "in", "at", "this") { k += 1 }
        if isWord(k, "the") { k += 1 }
        return Self.parts[word(k) ?? ""] != nil && k > i
    }

    func invalidClock(_ start: Int, _ end: Int, _ a: ClockTime, _ b: ClockTime?) -> (Found, Int) {
        var text = ""
        for t in tokens[start..<end] { text += (t.spaced && !text.isEmpty ? " " : "") + t.text }
        return (
            Found(
                piece: .invalid(field: "start", code: "invalid_time", message: "\(text) is not a time of day"),
                range: start..<end
            ), end
        )
    }
}
