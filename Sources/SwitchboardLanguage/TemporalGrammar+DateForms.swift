import Foundation

extension TemporalGrammar {
    // MARK: Less common written forms of a date

    /// `2009 May 22nd`: a year (1900–2200) before a month-name date that has none of its own.
    func yearFirstDate(_ i: Int) -> (Found, Int)? {
        guard digits(i) == 4, let y = number(i), (1900...2200).contains(y), tokens.indices.contains(i + 1),
            tokens[i + 1].spaced, monthAt(i + 1) != nil,
            let core = namedDateCore(i + 1), core.year == nil, core.monthFirst
        else { return nil }
        let day = Day(year: y, month: core.value.month, day: core.value.day)
        return (found(day, i, core.next), core.next)
    }

    /// `30-Mar-11`, `31-Aug-2012`, `22-feb`, `aug-20`: a day and a month name joined by dashes with no spaces,
    /// and an optional year (two digits: 19xx or 20xx, the nearer within 80 years back and 20 ahead).
    func dashedDate(_ i: Int) -> (Found, Int)? {
        // Day first: 30-Mar[-11]
        if digits(i) <= 2, let d = number(i), punct(i + 1, "-"), tight(i + 1), tight(i + 2),
            let m = monthAt(i + 2)
        {
            var next = i + 3
            var year: Int?
            if punct(next, "-"), tight(next), tight(next + 1), let y = number(next + 1),
                digits(next + 1) == 2 || digits(next + 1) == 4
            {
                year = digits(next + 1) == 2 ? twoDigitYear(y) : y
                next += 2
            }
            return dashedFound(d, m, year, i, next)
        }
        // Month first: aug-20
        if let m = monthAt(i), punct(i + 1, "-"), tight(i + 1), tight(i + 2),
            digits(i + 2) <= 2, let d = number(i + 2), !(punct(i + 3, "-") && tight(i + 3))
        {
            return dashedFound(d, m, nil, i, i + 3)
        }
        return nil
    }

    private func dashedFound(_ d: Int, _ m: Int, _ year: Int?, _ start: Int, _ next: Int) -> (Found, Int) {
        let y = year ?? chrono.today.year
        guard (1...chrono.daysIn(year: y, month: m)).contains(d) else {
            let message = "\(Self.monthName(m)) has no day \(d)"
            return (
                Found(piece: .invalid(field: "start", code: "invalid_date", message: message), range: start..<next),
                next
            )
        }
        let day = year == nil ? upcoming(month: m, day: d) : Day(year: y, month: m, day: d)
        return (found(day, start, next), next)
    }

    /// A two-digit year: within 80 years back and 20 years ahead of today (`79` in 2006 is 1979, `10` is 2010).
    func twoDigitYear(_ y: Int) -> Int {
        let current = chrono.today.year
        let century = current / 100 * 100
        var value = century + y
        if value > current + 20 { value -= 100 }
        return value
    }
}
