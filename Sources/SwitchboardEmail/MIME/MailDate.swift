import Foundation

/// An RFC 5322 §3.3 date (`Tue, 1 Jul 2003 10:52:37 +0200`), obsolete zones (`GMT`, `EST`, `PDT`, military
/// letters) and two-digit years included, kept in the header's own offset.
public struct MailDate: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Seconds east of UTC.
    public var offset: Int

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = [
        "ut": 0, "gmt": 0, "utc": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
        "pst": -8, "pdt": -7,
    ]

    /// Parses a date; nil when it cannot be read.
    public init?(parsing text: String) {
        var cleaned = ""
        var depth = 0
        for c in text {
            if c == "(" {
                depth += 1
            } else if c == ")" {
                depth = max(0, depth - 1)
            } else if depth == 0 {
                cleaned.append(c)
            }
        }
        var tokens = cleaned.split { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
            .map {
                String($0).lowercased()
            }
        // The day of the week is optional (and not checked).
        if let first = tokens.first, first.count >= 3, Int(first) == nil,
            Self.months.firstIndex(of: String(first.prefix(3))) == nil
        {
            tokens.removeFirst()
        }
        guard tokens.count >= 4 else { return nil }
        var dayToken = tokens[0]
        var monthToken = tokens[1]
        if Int(dayToken) == nil, Int(monthToken) != nil { swap(&dayToken, &monthToken) }  // "Jul 1 2003"
        guard let day = Int(dayToken), (1...31).contains(day),
            let month = Self.months.firstIndex(of: String(monthToken.prefix(3))).map({ $0 + 1 }),
            var year = Int(tokens[2])
        else { return nil }
        if tokens[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let clock = tokens[3].split(separator: ":").map { Int($0) }
        guard clock.count >= 2, let hour = clock[0], let minute = clock[1], (0...23).contains(hour),
            (0...59).contains(minute)
        else { return nil }
        let second = clock.count > 2 ? (clock[2] ?? 0) : 0
        guard (0...60).contains(second) else { return nil }
        var offset = 0
        if tokens.count > 4 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
                let minutes = (value / 100) * 60 + value % 100
                guard value % 100 < 60 else { return nil }
                offset = (sign == "-" ? -1 : 1) * minutes * 60
            } else if let hours = Self.zones[zone] {
                offset = hours * 3600
            } else if zone.count == 4, let value = Int(zone) {
                offset = ((value / 100) * 60 + value % 100) * 60
            }
            // Other obsolete zones (military letters) mean "unknown": read as +0000 (RFC 5322 §4.3).
        }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = min(second, 59)
        self.offset = offset
    }

    /// `YYYY-MM-DDTHH:MM:SS±HH:MM`, in the header's own offset.
    public var text: String {
        func pad(_ v: Int, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        return "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))"
            + "\(sign)\(pad(a / 3600)):\(pad(a % 3600 / 60))"
    }
}
