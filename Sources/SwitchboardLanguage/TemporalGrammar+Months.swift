import Foundation

extension TemporalGrammar {
    // MARK: Whole months

    /// A month with no day, as a window over it: `April` / `in Dec.` (the coming one; this month from today),
    /// `June 2018`, `Aug. 2013`, and the numeric `2012-06`, `2013/12`. A capitalised three-letter `Jan` or
    /// `Jun` alone may be a name, so an abbreviation needs its dot, lower case, a year, or a word before it
    /// (`in`, `of`, `during`, `until`, `by`, `since`, `from`).
    func wholeMonth(_ i: Int) -> (Found, Int)? {
        if let numeric = numericMonth(i) { return numeric }
        guard monthAt(i) != nil, let w = word(i), let (m, afterMonth) = month(i) else { return nil }
        // A day after the month makes it a date (namedDate's), never a month; so does a dash joining a number.
        if ordinalDay(afterMonth) != nil, year(afterMonth) == nil { return nil }
        if punct(afterMonth, "-"), tight(afterMonth), number(afterMonth + 1) != nil { return nil }
        if punct(i - 1, "-"), tight(i), number(i - 2) != nil { return nil }
        var next = afterMonth
        var year: Int?
        if let (y, afterYear) = self.year(afterMonth) {
            year = y
            next = afterYear
        }
        let abbreviated = w.count <= 4 && w != "june" && w != "july"
        let dotted = afterMonth > i + 1
        let capitalised = tokens[i].capitalised
        let introduced = isWord(i - 1, "in", "of", "during", "until") || isWord(i - 1, "by", "since", "from")
        if abbreviated, capitalised, !dotted, year == nil, !introduced { return nil }
        let today = chrono.today
        let first: Day
        if let year {
            first = Day(year: year, month: m, day: 1)
        } else if m == today.month {
            let end = chrono.adding(months: 1, to: Day(year: today.year, month: m, day: 1))
            return (Found(piece: .window(today, end), range: i..<next), next)
        } else {
            first = Day(year: m < today.month ? today.year + 1 : today.year, month: m, day: 1)
        }
        return (Found(piece: .window(first, chrono.adding(months: 1, to: first)), range: i..<next), next)
    }

    /// `2012-06`, `2013/12`: a four-digit year, a dash or slash, a month 1–12, and no further date part.
    func numericMonth(_ i: Int) -> (Found, Int)? {
        guard digits(i) == 4, punct(i + 1, "-") || punct(i + 1, "/"), let y = number(i), (1900...2200).contains(y),
            punct(i + 1, "-") || punct(i + 1, "/"), tight(i + 1), tight(i + 2),
            digits(i + 2) == 2 || digits(i + 2) == 1, let m = number(i + 2), (1...12).contains(m)
        else { return nil }
        // `2012-06-05` is a day (numericDate's); a separator right after the month continues a date.
        if punct(i + 3, "-") || punct(i + 3, "/") || punct(i + 3, ":") || punct(i + 3, "."), tight(i + 3) {
            return nil
        }
        let first = Day(year: y, month: m, day: 1)
        return (Found(piece: .window(first, chrono.adding(months: 1, to: first)), range: i..<(i + 3)), i + 3)
    }
}
