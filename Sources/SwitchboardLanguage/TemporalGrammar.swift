import Foundation

/// What a stretch of tokens means in time.
enum Piece: Sendable {
    /// A day.
    case day(Day)
    /// A weekday written alone (`Monday`): today when today is that day, unless its time has passed.
    case weekday(Day)
    /// Days `first...last` (inclusive).
    case dayRange(Day, Day)
    case clock(ClockTime)
    case clockRange(ClockTime, ClockTime)
    case part(PartOfDay)
    /// A part of today: "this afternoon", "tonight".
    case partToday(PartOfDay)
    /// A precise instant: now, or now plus an offset. `dayLevel` when the offset is in weeks or more.
    case instant(Date, dayLevel: Bool)
    /// A day-level window, such as "end of the month" or "mid March": `[start, end)`.
    case window(Day, Day)
    case duration(minutes: Int)
    /// A length that moves the time after it (`5 hours` in `5 hours after noon`); followed by its marker.
    case offsetLength(minutes: Int)
    /// `within N units`: an end only.
    case within(Date, dayLevel: Bool)
    /// A word that gives the next time its role: before, by, until, after, from, since, between.
    case marker(String)
    /// Something that looks like a date or time but is not one (`February 30`, `25:00`, `13pm`).
    case invalid(field: String, code: String, message: String)
}

struct Found: Sendable {
    var piece: Piece
    var range: Range<Int>
}

/// The grammar of dates, times, ranges and durations: a set of small rules tried at each token, longest match
/// first, each producing a ``Piece`` already resolved against the reference time.
struct TemporalGrammar {
    let tokens: [Token]
    let chrono: Chronology
    let dateOrder: DateOrder

    enum DateOrder: String, Sendable { case mdy, dmy, ask }

    // MARK: Token access

    func word(_ i: Int) -> String? {
        guard i >= 0, i < tokens.count, tokens[i].kind == .word else { return nil }
        return tokens[i].normalized
    }

    func isWord(_ i: Int, _ options: String...) -> Bool {
        guard let w = word(i) else { return false }
        return options.contains(w)
    }

    // Fixed-arity forms: a variadic call allocates its array every time, and these checks run for every token.
    @inline(__always) func isWord(_ i: Int, _ a: String) -> Bool { word(i) == a }
    @inline(__always) func isWord(_ i: Int, _ a: String, _ b: String) -> Bool {
        guard let w = word(i) else { return false }
        return w == a || w == b
    }
    @inline(__always) func isWord(_ i: Int, _ a: String, _ b: String, _ c: String) -> Bool {
        guard let w = word(i) else { return false }
        return w == a || w == b || w == c
    }
    @inline(__always) func isWord(_ i: Int, _ a: String, _ b: String, _ c: String, _ d: String) -> Bool {
        guard let w = word(i) else { return false }
        return w == a || w == b || w == c || w == d
    }

    /// The weekday (1 = Sunday) or month (1–12) a word names, from the token's lexicon entry (no hashing).
    @inline(__always) func weekdayAt(_ i: Int) -> Int? {
        i >= 0 && i < tokens.count && tokens[i].kind == .word ? tokens[i].lexeme.weekday : nil
    }
    @inline(__always) func monthAt(_ i: Int) -> Int? {
        i >= 0 && i < tokens.count && tokens[i].kind == .word ? tokens[i].lexeme.month : nil
    }

    func punct(_ i: Int, _ p: String) -> Bool { i >= 0 && i < tokens.count && tokens[i].isPunct(p) }

    func number(_ i: Int) -> Int? { i >= 0 && i < tokens.count ? tokens[i].number : nil }

    func digits(_ i: Int) -> Int { i >= 0 && i < tokens.count && tokens[i].kind == .number ? tokens[i].text.count : 0 }

    /// Whether token `i` touches the one before it (no space between).
    func tight(_ i: Int) -> Bool { i > 0 && i < tokens.count && !tokens[i].spaced }

    func skipFillers(_ i: Int) -> Int {
        var i = i
        while let w = word(i), Vocabulary.fillers.contains(w) { i += 1 }
        while punct(i, "~") { i += 1 }
        return i
    }

    // MARK: Quantities

    /// A quantity: `3`, `1.5`, `three`, `twenty-five`, `a`, `an`, `a couple of`, `a few`, `half a(n)`,
    /// `one and a half`.
    func quantity(_ i: Int) -> (value: Double, next: Int)? {
        var i = i
        if isWord(i, "half"), isWord(i + 1, "a", "an") { return (0.5, i + 2) }
        if isWord(i, "a", "an"), isWord(i + 1, "half") { return (0.5, i + 2) }
        // `half hour`, `three quarters of an hour`, `a quarter hour`: a fraction of the unit that follows.
        if isWord(i, "half"), unit(i + 1) != nil { return (0.5, i + 1) }
        if isWord(i, "a", "an"), isWord(i + 1, "quarter"), unit(i + 2) != nil { return (0.25, i + 2) }
        if isWord(i, "three"), isWord(i + 1, "quarters", "quarter"), isWord(i + 2, "of"), isWord(i + 3, "an", "a") {
            return (0.75, i + 4)
        }
        var value: Double
        if let n = number(i) {
            value = Double(n)
            i += 1
            // `1/2 hour`, `3/4 hr`: a fraction written with a slash, below one.
            if punct(i, "/"), tight(i), tight(i + 1), let d = number(i + 1), d > n, d > 0, digits(i + 1) == 1,
                unit(i + 2) != nil
            {
                return (Double(n) / Double(d), i + 2)
            }
            if punct(i, "."), tight(i), number(i + 1) != nil, tight(i + 1) {
                value = Double("\(n).\(tokens[i + 1].text)") ?? value
                i += 2
            }
        } else if let w = word(i), let n = Vocabulary.numberWords[w] {
            value = Double(n)
            i += 1
            if n >= 20, n % 10 == 0, punct(i, "-") || word(i).flatMap({ Vocabulary.numberWords[$0] }) != nil {
                let j = punct(i, "-") ? i + 1 : i
                if let w2 = word(j), let ones = Vocabulary.numberWords[w2], ones >= 1, ones <= 9,
                    !["a", "an"].contains(w2)
                {
                    value += Double(ones)
                    i = j + 1
                }
            }
            if w == "couple" || w == "few" || w == "dozen", isWord(i, "of") { i += 1 }
            if (w == "a" || w == "an"), isWord(i, "couple", "few", "dozen") {
                value = Double(Vocabulary.numberWords[word(i)!]!)
                i += 1
                if isWord(i, "of") { i += 1 }
            }
        } else {
            return nil
        }
        if isWord(i, "and"), isWord(i + 1, "a", "an"), isWord(i + 2, "half") { return (value + 0.5, i + 3) }
        return (value, i)
    }

    /// A unit word, also glued to its number (`30min`, `2hrs`, `1d`).
    func unit(_ i: Int) -> (Vocabulary.Unit, Int)? {
        guard i >= 0, i < tokens.count, let unit = tokens[i].lexeme.unit else { return nil }
        return (unit, i + 1)
    }

    /// `N unit` repeated (`1d 2hr 5min`, `1 day, 2 hours and 5 minutes`, `an hour and a half`, `1h30`); the
    /// total in minutes, and whether the largest unit is a week or more.
    func span(_ i: Int) -> (minutes: Double, largest: Vocabulary.Unit, next: Int)? {
        var i = skipFillers(i)
        var total = 0.0
        var largest: Vocabulary.Unit?
        var end = i
        while true {
            guard let (q, afterQ0) = quantity(i) else { break }
            var afterQ = afterQ0
            if punct(afterQ, "-"), tight(afterQ), tight(afterQ + 1), unit(afterQ + 1) != nil { afterQ += 1 }
            guard let (u, afterU) = unit(afterQ) else { break }
            // A bare "a" or "an" is a quantity only before a unit.
            total += q * u.minutes
            if largest == nil || u.minutes > largest!.minutes { largest = u }
            end = afterU
            i = afterU
            // `an hour and a half`
            if isWord(i, "and"), isWord(i + 1, "a", "an"), isWord(i + 2, "half") {
                total += 0.5 * u.minutes
                end = i + 3
                i = end
            }
            // `1h30`
            if u == .hour, let m = number(i), tight(i), m < 60, unit(i + 1) == nil {
                total += Double(m)
                end = i + 1
                i = end
            }
            var j = i
            if punct(j, ",") { j += 1 }
            if isWord(j, "and") { j += 1 }
            guard quantity(j) != nil else { break }
            i = j
        }
        guard let largest, total > 0 || end > i - 1 else { return nil }
        return (total, largest, end)
    }

    // MARK: ClockTime times

    func meridiem(_ i: Int) -> (ClockTime.Meridiem, Int)? {
        guard let w = word(i) else { return nil }
        switch w {
        case "am", "a":
            if w == "a", punct(i + 1, "."), isWord(i + 2, "m") { return (.am, punct(i + 3, ".") ? i + 4 : i + 3) }
            return w == "a" && !tight(i) ? nil : (.am, i + 1)
        case "pm", "p":
            if w == "p", punct(i + 1, "."), isWord(i + 2, "m") { return (.pm, punct(i + 3, ".") ? i + 4 : i + 3) }
            return w == "p" && !tight(i) ? nil : (.pm, i + 1)
        case "amish": return (.am, i + 1)
        case "pmish": return (.pm, i + 1)
        default: return nil
        }
    }

    /// A zone after a time: `CET`, `PST`, `UTC`, `UTC+2`, `GMT-05:00`.
    func zone(_ i: Int) -> (TimeZone, Int)? {
        guard let w = word(i), let name = Vocabulary.zones[w] else { return nil }
        if (w == "utc" || w == "gmt"), punct(i + 1, "+") || punct(i + 1, "-"), let h = number(i + 2), h <= 14 {
            let sign = punct(i + 1, "-") ? -1 : 1
            var minutes = 0
            var next = i + 3
            if punct(next, ":"), let m = number(next + 1) { minutes = m; next += 2 }
            if let zone = TimeZone(secondsFromGMT: sign * (h * 3600 + minutes * 60)) { return (zone, next) }
        }
        if let seconds = Int(name), let zone = TimeZone(secondsFromGMT: seconds) { return (zone, i + 1) }
        if let zone = TimeZone(identifier: name) { return (zone, i + 1) }
        return nil
    }

    /// A clock time at `i`. `loose` accepts a bare hour (`at 9`, `9 - 11pm`).
    func clock(_ i: Int, loose: Bool) -> (ClockTime, Int)? {
        if let w = word(i) {
            switch w {
            case "noon": return finishClock(ClockTime(hour: 12, fixed: true), i + 1)
            case "midnight": return finishClock(ClockTime(hour: 24, fixed: true), i + 1)
            case "eod", "eob": return finishClock(ClockTime(hour: 24, fixed: true), i + 1)
            case "cob": return finishClock(ClockTime(hour: 17, fixed: true), i + 1)
            case "half", "quarter":
                // half past 4, quarter to 10, quarter past 3
                guard isWord(i + 1, "past", "to", "after", "before", "til") else { return nil }
                guard let (base, next) = clock(i + 2, loose: true) else { return nil }
                let minutes = w == "half" ? 30 : 15
                return (shift(base, by: isWord(i + 1, "past", "after") ? minutes : -minutes), next)
            default:
                if let n = Vocabulary.numberWords[w], n >= 1, n <= 30,
                    !["a", "an", "couple", "few", "several", "single", "dozen"].contains(w),
                    isWord(i + 1, "past", "to", "after"),
                    isWord(i + 2, "noon", "midnight") || number(i + 2) != nil
                        || word(i + 2).flatMap({ Vocabulary.numberWords[$0] }) != nil
                {
                    guard let (base, next) = clock(i + 2, loose: true) else { return nil }
                    return (shift(base, by: isWord(i + 1, "to") ? -n : n), next)
                }
                if let n = Vocabulary.numberWords[w], n >= 1, n <= 12,
                    !["a", "an", "couple", "few", "several", "single", "dozen"].contains(w)
                {
                    // "three pm", "at five", "ten o'clock"
                    var c = ClockTime(hour: n)
                    if let (m, next) = meridiem(i + 1) {
                        c.meridiem = m
                        return finishClock(c, next)
                    }
                    if isWord(i + 1, "oclock") || (isWord(i + 1, "o") && isWord(i + 2, "clock")) {
                        return finishClock(c, isWord(i + 1, "oclock") ? i + 2 : i + 3)
                    }
                    return loose ? finishClock(c, i + 1) : nil
                }
                return nil
            }
        }
        guard let h = number(i) else { return nil }
        let width = digits(i)
        // `10 past 2`, `25 after 11`: minutes after an hour (a digit count before `to` stays a range's start).
        if width <= 2, (1...59).contains(h), isWord(i + 1, "past", "after"),
            number(i + 2) != nil || isWord(i + 2, "noon", "midnight"),
            let (base, next) = clock(i + 2, loose: true)
        {
            return (shift(base, by: h), next)
        }
        // 1530h, 0900 hrs: military time.
        if width == 4 || (width == 3 && isWord(i + 1, "h", "hrs", "hours")) {
            let hh = h / 100, mm = h % 100
            if isWord(i + 1, "h", "hrs", "hours"), hh <= 24, mm < 60 {
                return finishClock(ClockTime(hour: hh, minute: mm, fixed: true), i + 2)
            }
            if let (m, next) = meridiem(i + 1), hh >= 1, hh <= 12, mm < 60 {
                return finishClock(ClockTime(hour: hh, minute: mm, meridiem: m), next)
            }
            return nil
        }
        guard width <= 2 else { return nil }
        var c = ClockTime(hour: h)
        // `03:00`, `09:30`: a written leading zero is a 24-hour clock.
        if width == 2, tokens[i].text.hasPrefix("0"), punct(i + 1, ":") { c.fixed = true }
        var next = i + 1
        var hasMinutes = false
        if punct(next, ":") || (punct(next, ".") && tight(next) && digits(next + 1) == 2 && meridiem(next + 2) != nil) {
            guard let m = number(next + 1), digits(next + 1) == 2 else { return nil }
            c.minute = m
            next += 2
            hasMinutes = true
            if punct(next, ":"), let s = number(next + 1), digits(next + 1) == 2 {
                c.second = s
                next += 2
            }
        }
        if let (m, after) = meridiem(next) {
            c.meridiem = m
            next = after
        } else if isWord(next, "oclock") {
            next += 1
        } else if isWord(next, "o"), isWord(next + 1, "clock") {
            next += 2
        } else if isWord(next, "h"), tight(next), let m = number(next + 1), tight(next + 1), m < 60 {
            // 9h30
            c.minute = m
            c.fixed = true
            next += 2
        } else if hasMinutes {
            c.fixed = c.fixed || h == 0 || h > 12
        } else if !loose {
            return nil
        }
        return finishClock(c, next)
    }

    /// Checks ranges and reads a zone that follows.
    func finishClock(_ clock: ClockTime, _ next: Int) -> (ClockTime, Int)? {
        var clock = clock
        var next = next
        if clock.meridiem != nil {
            clock.fixed = true
        } else if clock.hour == 0 || clock.hour > 12 {
            clock.fixed = true
        }
        if let (zone, after) = zone(next)
            ?? numericOffset(next, afterSeconds: clock.second != 0 || (punct(next - 2, ":") && punct(next - 4, ":")))
        {
            clock.zone = zone
            next = after
        }
        return (clock, next)
    }

    /// A numeric UTC offset after a time: `+0100`, `+01:00`, and with a minus only after seconds
    /// (`13:00:00-05:00`), since `9:00 - 10:30` is a range.
    func numericOffset(_ i: Int, afterSeconds: Bool) -> (TimeZone, Int)? {
        let minus = punct(i, "-")
        guard punct(i, "+") || (minus && afterSeconds && tight(i)), tight(i + 1), let value = number(i + 1) else {
            return nil
        }
        var hours = 0
        var minutes = 0
        var next = i + 2
        if digits(i + 1) == 4 {
            hours = value / 100
            minutes = value % 100
        } else if digits(i + 1) == 2, punct(i + 2, ":"), tight(i + 2), digits(i + 3) == 2, let m = number(i + 3) {
            hours = value
            minutes = m
            next = i + 4
        } else {
            return nil
        }
        guard hours <= 14, minutes < 60,
            let zone = TimeZone(secondsFromGMT: (minus ? -1 : 1) * (hours * 3600 + minutes * 60))
        else { return nil }
        return (zone, next)
    }

    func shift(_ clock: ClockTime, by minutes: Int) -> ClockTime {
        var c = clock
        var total = c.hour * 60 + c.minute + minutes
        if total < 0 { total += 12 * 60 }
        c.hour = total / 60
        c.minute = total % 60
        return c
    }

    func clockIsValid(_ c: ClockTime) -> Bool {
        if c.meridiem != nil { return c.hour >= 1 && c.hour <= 12 && c.minute < 60 && c.second < 60 }
        return (c.hour <= 23 || (c.hour == 24 && c.minute == 0)) && c.minute < 60 && c.second < 60
    }
}
