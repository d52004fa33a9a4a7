import Foundation

extension TemporalGrammar {
    // MARK: Days

    func month(_ i: Int) -> (Int, Int)? {
        guard let w = word(i), let m = Vocabulary.months[w] else { return nil }
        var next = i + 1
        if punct(next, "."), tight(next) { next += 1 }
        // "may" and "march" are also verbs: trust them only beside a day number or a year.
        if w == "may" || w == "march" || w == "mar" {
            var k = next
            if punct(k, ",") { k += 1 }
            if isWord(k, "the") { k += 1 }
            let besideNumber =
                ordinalDay(k) != nil || number(i - 1) != nil || ordinalDay(i - 2) != nil
                || (digits(next) == 4 && year(next) != nil)
                || (isWord(i - 1, "of") && ordinalDay(i - 2) != nil)
            if !besideNumber,
                !isWord(i - 1, "early", "mid", "late", "in", "of", "end", "beginning", "start", "since", "until", "by")
            {
                return nil
            }
        }
        return (m, next)
    }

    /// `5`, `5th`, `fifth`, `the 5th` as a day of the month.
    func ordinalDay(_ i: Int) -> (Int, Int)? {
        guard i >= 0 else { return nil }
        if let n = number(i), digits(i) <= 2 {
            if let w = word(i + 1), Vocabulary.ordinalSuffixes.contains(w), tight(i + 1) { return (n, i + 2) }
            return (n, i + 1)
        }
        if let w = word(i), let n = Vocabulary.ordinalWords[w] {
            // "twenty-first", "thirty first"
            if n == 20 || n == 30 { return (n, i + 1) }
            return (n, i + 1)
        }
        if let w = word(i), w == "twenty" || w == "thirty" {
            let j = punct(i + 1, "-") ? i + 2 : i + 1
            if let w2 = word(j), let ones = Vocabulary.ordinalWords[w2], ones <= 9 {
                return ((w == "twenty" ? 20 : 30) + ones, j + 1)
            }
        }
        return nil
    }

    func isOrdinal(_ i: Int) -> Bool {
        if number(i) != nil, let w = word(i + 1), Vocabulary.ordinalSuffixes.contains(w) { return true }
        if let w = word(i), Vocabulary.ordinalWords[w] != nil { return true }
        if isWord(i, "twenty", "thirty") {
            let j = punct(i + 1, "-") ? i + 2 : i + 1
            if let w = word(j), let n = Vocabulary.ordinalWords[w], n <= 9 { return true }
        }
        return false
    }

    func year(_ i: Int) -> (Int, Int)? {
        if case .year(let y, let next) = yearReading(i) { return (y, next) }
        return nil
    }

    /// What a number written after a month-name date means.
    enum YearReading {
        /// No number there (or one that belongs to what follows: `at 14:15`, `3pm`, `30 minutes`).
        case none
        /// A year, and the token after it.
        case year(Int, Int)
        /// A number in the year's place that is not a year this reads, and the token after it: never dropped,
        /// never replaced by another year.
        case invalid(String, Int)
    }

    /// A year after a month-name date: `, 2026`, `'26`, `2150`, `9999`. A four-digit number that could as well be
    /// a time (`1530`, `0930`, `2300`) outside 1900–2200, or a number of five or more digits, is an error.
    func yearReading(_ i: Int) -> YearReading {
        var i = i
        if punct(i, ",") { i += 1 }
        if punct(i, "'"), let y = number(i + 1), digits(i + 1) == 2 { return .year(twoDigitYear(y), i + 2) }
        // Two digits after a whole date: over 24 it can only be a year (`May 27 79`); up to 24 it may as well be
        // an hour (`3 Jan 10`), so it is an error rather than a guess, and never dropped.
        if let y = number(i), digits(i) == 2, i > 0, tokens[i].spaced,
            !(punct(i + 1, ":") || punct(i + 1, ".") || meridiem(i + 1) != nil || unit(i + 1) != nil
                || isWord(i + 1, "oclock", "h", "hrs") || (isWord(i + 1, "o") && isWord(i + 2, "clock"))
                || isWord(i + 1, "in", "tonight", "sharp") || isWord(i + 1, "morning", "afternoon", "evening", "night")
                || punct(i + 1, "-") || punct(i + 1, "/"))
        {
            if y > 24 { return .year(twoDigitYear(y), i + 1) }
            return .invalid(
                "\(tokens[i].text) after a date may be a year or an hour; write the year in full (such as 20\(tokens[i].text)) or the time as \(y):00",
                i + 1
            )
        }
        guard let y = number(i), digits(i) >= 4 else { return .none }
        // "14:15" after a date is a time, "1530h" or "2300 hours" a time or duration, not a year.
        if punct(i + 1, ":") || meridiem(i + 1) != nil || unit(i + 1) != nil || isWord(i + 1, "oclock", "h", "hrs") {
            return .none
        }
        let text = tokens[i].text
        if digits(i) > 4 {
            return .invalid(
                "\(text) is not a year (years run to 9999); write the year in full, such as \(chrono.today.year + 1)",
                i + 1
            )
        }
        if (1900...2200).contains(y) { return .year(y, i + 1) }
        let clockLike = y / 100 <= 23 && y % 100 <= 59
        if y > 2200 && !clockLike { return .year(y, i + 1) }
        return .invalid(
            "\(text) after a date is neither a year nor a time this reads; write the year in full (such as \(chrono.today.year + 1)) or the time with a colon (\(y / 100):\(String(format: "%02d", y % 100)))",
            i + 1
        )
    }

    /// The next occurrence of month/day on or after today (for a date written without a year).
    func upcoming(month: Int, day: Int) -> Day {
        var candidate = Day(year: chrono.today.year, month: month, day: day)
        if candidate < chrono.today {
            candidate.year += 1
        }
        // February 29 without a year: the next leap year.
        var guardYears = 0
        while !chrono.isValid(candidate), month == 2, day == 29, guardYears < 8 {
            candidate.year += 1
            guardYears += 1
        }
        return candidate
    }

    /// `Monday`, `this Monday`, `next Monday`, `coming Monday`, `last Monday`, `Monday next week`.
    func weekdayDay(_ weekday: Int, modifier: String?) -> Day {
        let today = chrono.today
        let current = chrono.weekday(today)
        var delta = (weekday - current + 7) % 7
        switch modifier {
        case "next"?:
            if delta == 0 { delta = 7 }
        case "last"?, "past"?, "previous"?:
            delta = delta == 0 ? -7 : delta - 7
        case "nextweek"?:
            // The weekday in the week (Monday to Sunday) after this one.
            let mondayOffset = (2 - current + 7) % 7 == 0 ? 7 : (2 - current + 7) % 7
            let nextMonday = chrono.adding(days: mondayOffset, to: today)
            let offset = (weekday - 2 + 7) % 7
            return chrono.adding(days: offset, to: nextMonday)
        default:
            break
        }
        return chrono.adding(days: delta, to: today)
    }

    func nextMonday() -> Day {
        let current = chrono.weekday(chrono.today)
        let offset = (2 - current + 7) % 7
        return chrono.adding(days: offset == 0 ? 7 : offset, to: chrono.today)
    }

    /// A numeric date: `3/5`, `3/5/2026`, `05.03.2026`, `2026-03-05`, `07-27-2022`.
    func numericDate(_ i: Int) -> (Found, Int)? {
        guard let a = number(i) else { return nil }
        // `1/2 hour`, `3/4 hr`: a fraction of a unit, not a date.
        if punct(i + 1, "/"), number(i + 2) != nil, unit(i + 3) != nil { return nil }
        // ISO 8601: 2026-03-05; year first is always year, month, day: 2013.08.09, 2013/08/09.
        if digits(i) == 4, let separator = ["-", ".", "/"].first(where: { punct(i + 1, $0) }), tight(i + 1),
            let m = number(i + 2), tight(i + 2), punct(i + 3, separator), tight(i + 3), let d = number(i + 4),
            tight(i + 4), digits(i + 2) <= 2, digits(i + 4) <= 2
        {
            let day = Day(year: a, month: m, day: d)
            return (found(day, i, i + 5), i + 5)
        }
        for separator in ["/", ".", "-"] {
            guard punct(i + 1, separator), tight(i + 1), let b = number(i + 2), tight(i + 2), digits(i) <= 2,
                digits(i + 2) <= 2
            else { continue }
            var year: Int?
            var next = i + 3
            if punct(i + 3, separator), tight(i + 3), let y = number(i + 4), tight(i + 4) {
                guard digits(i + 4) == 4 || digits(i + 4) == 2 else {
                    let message =
                        "\(tokens[i + 4].text) is not a year (write it with four digits, such as \(chrono.today.year + 1))"
                    return (
                        Found(
                            piece: .invalid(field: "start", code: "invalid_date", message: message),
                            range: i..<(i + 5)
                        ), i + 5
                    )
                }
                year = digits(i + 4) == 2 ? 2000 + y : y
                next = i + 5
            } else if separator != "/" {
                // `10.5` is a number and `10-11` a range: dots and dashes need the year.
                continue
            }
            var order = dateOrder
            if separator == "." { order = dateOrder == .ask ? .ask : .dmy }
            if separator == "." && dateOrder == .mdy { order = .dmy }
            var month = a, day = b
            if a > 12, b <= 12 {
                month = b; day = a
            } else if b > 12 || a == b {
                month = a; day = b
            } else {
                switch order {
                case .mdy: break
                case .dmy: month = b; day = a
                case .ask:
                    return (
                        Found(
                            piece: .invalid(
                                field: "start",
                                code: "ambiguous_date",
                                message:
                                    "\(tokens[i].text)\(separator)\(tokens[i + 2].text) could be month/day or day/month; write the month's name"
                            ),
                            range: i..<next
                        ), next
                    )
                }
            }
            let value = year.map { Day(year: $0, month: month, day: day) } ?? upcoming(month: month, day: day)
            return (found(value, i, next), next)
        }
        return nil
    }

    func found(_ day: Day, _ start: Int, _ end: Int) -> Found {
        if !chrono.isValid(day) {
            return Found(
                piece: .invalid(
                    field: "start",
                    code: "invalid_date",
                    message:
                        "\(Self.monthName(day.month)) \(day.day) is not a date\(day.month >= 1 && day.month <= 12 ? "" : " (no month \(day.month))")"
                ),
                range: start..<end
            )
        }
        return Found(piece: .day(day), range: start..<end)
    }

    static func monthName(_ m: Int) -> String {
        let names = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return m >= 1 && m <= 12 ? names[m - 1] : "month \(m)"
    }

    /// Month-name dates and their ranges: `March 5`, `5 March`, `Mar 5th, 2026`, `the 5th of March`,
    /// `July 13-15`, `10 - 22 August 2012`, `10 August - 12 September`, `Aug 10 to Nov 12`.
    func namedDate(_ i: Int) -> (Found, Int)? {
        var i0 = i
        // Weekday prefix: `Sunday, March 6, 2016`, `Sun 15Sep`, `Tue, 10 January`.
        if let w = word(i), Vocabulary.weekdays[w] != nil {
            var j = i + 1
            if punct(j, "."), tight(j) { j += 1 }
            if punct(j, ",") { j += 1 }
            if namedDateCore(j) != nil { i0 = j } else { return nil }
        }
        if let a = number(i0), digits(i0) <= 2, a >= 1, a <= 31,
            punct(i0 + 1, "-") || isWord(i0 + 1, "to", "through", "until"),
            let second = namedDateReading(i0 + 2), !second.monthFirst
        {
            if let problem = second.problem {
                return (
                    Found(
                        piece: .invalid(field: "start", code: "invalid_date", message: problem),
                        range: i..<second.next
                    ), second.next
                )
            }
            var b = second.value
            var first = Day(year: b.year, month: b.month, day: a)
            if second.year == nil, first < chrono.today, b >= chrono.today {
                first.year = b.year
            } else if first > b {
                first.year -= 1
            }
            if second.year == nil, b < chrono.today { b.year += 1; first.year += 1 }
            return (rangeFound(first, b, i, second.next), second.next)
        }
        guard let first = namedDateReading(i0) else { return nil }
        let afterFirst = first.next
        if let problem = first.problem {
            return (
                Found(piece: .invalid(field: "start", code: "invalid_date", message: problem), range: i..<afterFirst),
                afterFirst
            )
        }
        // A range to a second date: `- 12 September`, `to Nov 12`, `- 22, 2012`, `through the 15th`.
        var j = afterFirst
        if punct(j, "-") || isWord(j, "to", "until", "through", "til", "and") {
            let k = j + 1
            if let secondDate = namedDateReading(k) {
                let second = secondDate, afterSecond = secondDate.next
                if let problem = second.problem {
                    return (
                        Found(
                            piece: .invalid(field: "start", code: "invalid_date", message: problem),
                            range: i..<afterSecond
                        ), afterSecond
                    )
                }
                var a = first.value, b = second.value
                if first.year == nil, let y = second.year { a.year = y; if a > b { a.year -= 1 } }
                if second.year == nil { b.year = a.year; if b < a { b.year += 1 } }
                if first.year == nil, second.year == nil, a < chrono.today, b < chrono.today {
                    a.year += 1; b.year += 1
                }
                return (rangeFound(a, b, i, afterSecond), afterSecond)
            }
            // `July 13-15`, `August 10 - 22, 2012`: a bare day after a month-first date.
            if first.monthFirst, let d2 = number(k), digits(k) <= 2, !punct(k + 1, ":"), meridiem(k + 1) == nil,
                unit(k + 1) == nil
            {
                var next = k + 1
                if let w = word(next), Vocabulary.ordinalSuffixes.contains(w) { next += 1 }
                var a = first.value
                var b = Day(year: a.year, month: a.month, day: d2)
                switch yearReading(next) {
                case .year(let y, let afterYear): a.year = y; b.year = y; next = afterYear
                case .invalid(let problem, let after):
                    return (
                        Found(
                            piece: .invalid(field: "start", code: "invalid_date", message: problem),
                            range: i..<after
                        ), after
                    )
                case .none: break
                }
                return (rangeFound(a, b, i, next), next)
            }
        }
        j = afterFirst
        return (found(first.value, i, j), j)
    }

    func rangeFound(_ a: Day, _ b: Day, _ start: Int, _ end: Int) -> Found {
        if !chrono.isValid(a) { return found(a, start, end) }
        if !chrono.isValid(b) { return found(b, start, end) }
        return Found(piece: .dayRange(a, b), range: start..<end)
    }

    /// One month-name date. `year` is nil when not written (the value then holds the next occurrence).
    func namedDateCore(_ i: Int) -> (value: Day, year: Int?, monthFirst: Bool, next: Int)? {
        guard let core = namedDateReading(i) else { return nil }
        return (core.value, core.year, core.monthFirst, core.next)
    }

    /// ``namedDateCore(_:)`` with the problem of a number in the year's place that is not a year.
    func namedDateReading(_ i: Int) -> (value: Day, year: Int?, monthFirst: Bool, next: Int, problem: String?)? {
        // Month first: `March 5`, `Mar. 5th, 2026`, `March, 6th 2016`, `March the 5th`.
        if let (m, afterMonth) = month(i) {
            var j = afterMonth
            if punct(j, ",") { j += 1 }
            if isWord(j, "the") { j += 1 }
            if let (d, afterDay) = ordinalDay(j), d >= 1, d <= 40, !punct(afterDay, ":"), meridiem(afterDay) == nil,
                !isWord(afterDay, "oclock"),
                digits(j) <= 2 || number(j) == nil
            {
                switch yearReading(afterDay) {
                case .year(let y, let afterYear): return (Day(year: y, month: m, day: d), y, true, afterYear, nil)
                case .invalid(let problem, let after): return (upcoming(month: m, day: d), nil, true, after, problem)
                case .none: return (upcoming(month: m, day: d), nil, true, afterDay, nil)
                }
            }
            return nil
        }
        // Day first: `5 March`, `5th of March`, `the 5th of March`, `15Sep`, `31st March, 2016`.
        var j = i
        if isWord(j, "the") { j += 1 }
        guard let (d, afterDay) = ordinalDay(j) else { return nil }
        var k = afterDay
        if isWord(k, "of") { k += 1 }
        guard let (m, afterMonth) = month(k) else { return nil }
        switch yearReading(afterMonth) {
        case .year(let y, let afterYear): return (Day(year: y, month: m, day: d), y, false, afterYear, nil)
        case .invalid(let problem, let after): return (upcoming(month: m, day: d), nil, false, after, problem)
        case .none: return (upcoming(month: m, day: d), nil, false, afterMonth, nil)
        }
    }
}
