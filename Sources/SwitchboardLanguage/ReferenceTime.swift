import Foundation

/// Reference times for requests (`--now`, the `now` of a `--jsonl` line).
public enum ReferenceTime {
    /// An ISO 8601 time with an offset (`Z`, `+01:00`), or without one read in `zone`; seconds and fractions are
    /// optional. Returns the instant and the offset written, or `nil` when the text is not such a time (or names
    /// a day that does not exist).
    public static func parse(_ text: String, zone: TimeZone) -> (date: Date, offset: Int?)? {
        let scalars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= scalars.count else { return nil }
            var value = 0
            for b in scalars[at..<(at + count)] {
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard let year = digits(0, 4), scalars.count >= 10, scalars[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            scalars[7] == UInt8(ascii: "-"), let day = digits(8, 2)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var i = 10
        if i < scalars.count, scalars[i] == UInt8(ascii: "T") || scalars[i] == UInt8(ascii: " ") {
            guard let h = digits(i + 1, 2), i + 3 < scalars.count, scalars[i + 3] == UInt8(ascii: ":"),
                let m = digits(i + 4, 2)
            else { return nil }
            hour = h; minute = m; i += 6
            if i < scalars.count, scalars[i] == UInt8(ascii: ":") {
                guard let s = digits(i + 1, 2) else { return nil }
                second = s; i += 3
                if i < scalars.count, scalars[i] == UInt8(ascii: ".") {
                    i += 1
                    while i < scalars.count, scalars[i] >= 48, scalars[i] <= 57 { i += 1 }
                }
            }
        }
        var offset: Int?
        if i < scalars.count {
            if scalars[i] == UInt8(ascii: "Z") || scalars[i] == UInt8(ascii: "z") {
                offset = 0; i += 1
            } else if scalars[i] == UInt8(ascii: "+") || scalars[i] == UInt8(ascii: "-") {
                let sign = scalars[i] == UInt8(ascii: "-") ? -1 : 1
                guard let oh = digits(i + 1, 2) else { return nil }
                var om = 0
                if i + 3 < scalars.count, scalars[i + 3] == UInt8(ascii: ":") {
                    guard let m = digits(i + 4, 2) else { return nil }; om = m; i += 6
                } else if let m = digits(i + 3, 2) {
                    om = m; i += 5
                } else {
                    i += 3
                }
                offset = sign * (oh * 3600 + om * 60)
            }
            guard i == scalars.count else { return nil }
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard month >= 1, month <= 12, day >= 1, day <= lengths[month - 1], hour <= 23, minute <= 59, second <= 59
        else { return nil }
        if let offset {
            let local =
                Chronology.ordinal(Day(year: year, month: month, day: day)) * 86400 + hour * 3600 + minute * 60 + second
            return (Date(timeIntervalSince1970: TimeInterval(local - offset)), offset)
        }
        // Without an offset, the wall time in `zone`, by the same rules as times in requests (DST gaps move
        // forward, repeated times take the first occurrence).
        let chronology = Chronology(now: Date(timeIntervalSince1970: 0), zone: zone)
        return (chronology.date(Day(year: year, month: month, day: day), hour, minute, second), nil)
    }
}
