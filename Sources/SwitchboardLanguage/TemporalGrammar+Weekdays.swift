import Foundation

extension TemporalGrammar {
    // MARK: Weekdays counted in months

    /// A weekday with a day of the month: `Tuesday the 8th`, `Tuesday 8th`, `Thu 17th`: the next such day on or
    /// after today. The day needs its ordinal suffix or `the` (`Tuesday 8` may be a clock time); a month after it
    /// makes a date (namedDate's). A day of the month that falls on that weekday in no month of the coming
    /// 28 is an error.
    func weekdayWithDayOfMonth(_ i: Int) -> (Found, Int)? {
        guard let weekday = weekdayAt(i) else { return nil }
        var j = i + 1
        if punct(j, "."), tight(j) { j += 1 }
        if punct(j, ",") { j += 1 }
        let hasThe = isWord(j, "the")
        if hasThe { j += 1 }
        guard hasThe || (number(j) != nil && isOrdinal(j)), let (n, next) = ordinalDay(j), (1...31).contains(n)
        else { return nil }
        var k = next
        if isWord(k, "of") { k += 1 }
        if month(k) != nil { return nil }
        let today = chrono.today
        let first = Day(year: today.year, month: today.month, day: 1)
        for offset in 0..<28 {
            let month = chrono.adding(months: offset, to: first)
            guard n <= chrono.daysIn(year: month.year, month: month.month) else { continue }
            let candidate = Day(year: month.year, month: month.month, day: n)
            if candidate >= today, chrono.weekday(candidate) == weekday {
                return (found(candidate, i, next), next)
            }
        }
        let message = "no \(tokens[i].text) falls on the \(n)\(Self.suffix(n)) in the coming months"
        return (Found(piece: .invalid(field: "start", code: "invalid_date", message: message), range: i..<next), next)
    }

    /// The n-th (or last) weekday of a month: `the second Monday of June`, `3rd wednesday in november`,
    /// `the last Friday in May`, `the fourth Thursday of November 2027`, `3rd thursday this september`. Without
    /// a year, the coming one (this year's unless it has passed). A fifth weekday the month does not have is an
    /// error.
    func ordinalWeekdayOfMonth(_ i: Int) -> (Found, Int)? {
        guard i < tokens.count, tokens[i].kind == .number || tokens[i].kind == .word else { return nil }
        var j = i
        if isWord(j, "the") { j += 1 }
        let ordinal: Int
        if isWord(j, "last") {
            ordinal = -1
            j += 1
        } else if let (n, next) = ordinalDay(j), (1...5).contains(n), isOrdinal(j) {
            ordinal = n
            j = next
        } else {
            return nil
        }
        guard let weekday = weekdayAt(j) else { return nil }
        let weekdayToken = j
        j += 1
        guard isWord(j, "in", "of", "this") else { return nil }
        j += 1
        if isWord(j, "this") { j += 1 }
        guard let (m, afterMonth) = month(j) else { return nil }
        var next = afterMonth
        var year: Int?
        if let (y, afterYear) = self.year(afterMonth) {
            year = y
            next = afterYear
        }
        let today = chrono.today
        func day(in year: Int) -> Day? {
            let count = chrono.daysIn(year: year, month: m)
            if ordinal == -1 {
                let last = Day(year: year, month: m, day: count)
                let back = (chrono.weekday(last) - weekday + 7) % 7
                return Day(year: year, month: m, day: count - back)
            }
            let first = Day(year: year, month: m, day: 1)
            let value = 1 + (weekday - chrono.weekday(first) + 7) % 7 + 7 * (ordinal - 1)
            return value <= count ? Day(year: year, month: m, day: value) : nil
        }
        let chosen: Day?
        if let year {
            chosen = day(in: year)
        } else if let this = day(in: today.year), this >= today {
            chosen = this
        } else if m > today.month || (m == today.month && day(in: today.year) == nil) {
            chosen = nil
        } else {
            chosen = day(in: today.year + 1)
        }
        guard let chosen else {
            let message = "\(Self.monthName(m)) has no \(ordinal)\(Self.suffix(ordinal)) \(tokens[weekdayToken].text)"
            return (
                Found(piece: .invalid(field: "start", code: "invalid_date", message: message), range: i..<next), next
            )
        }
        return (found(chosen, i, next), next)
    }

    static func suffix(_ n: Int) -> String {
        if (11...13).contains(n % 100) { return "th" }
        switch n % 10 {
        case 1: return "st"
        case 2: return "nd"
        case 3: return "rd"
        default: return "th"
        }
    }
}
