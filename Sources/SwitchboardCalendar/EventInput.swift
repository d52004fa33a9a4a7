import Crypto
import SwitchboardCore

/// Reading the operations' inputs: times, zones, addresses and recurrence lines, each checked with an error that
/// names the field.
package enum EventInput {
    /// An RFC 3339 time (`2026-12-03T15:00:00+01:00`, `…Z`, seconds optional) or a date (`2026-12-03`). A time
    /// without an offset is a wall time in `tzid`, and needs one. With `tzid`, a time with an offset is kept as
    /// the wall time in that zone at the same instant.
    package static func time(_ text: String, field: String, tzid: String?) throws -> EventTime {
        let invalid = IntegrationError.invalidInput(
            "\(field) '\(text)' is not an RFC 3339 time such as 2026-12-03T15:00:00+01:00 or a date such as 2026-12-03"
        )
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? { asciiNumber(bytes, from, count) }
        guard let year = number(0, 4), bytes.count >= 10, bytes[4] == 0x2D, let month = number(5, 2),
            bytes[7] == 0x2D, let day = number(8, 2)
        else { throw invalid }
        if bytes.count == 10 {
            let date = CivilTime(year: year, month: month, day: day)
            guard date.isValid else { throw invalid }
            return EventTime(value: .date(date), instant: date.secondsSinceEpoch, offset: nil)
        }
        guard bytes.count >= 16, bytes[10] == 0x54 || bytes[10] == 0x74 || bytes[10] == 0x20,
            let hour = number(11, 2), bytes[13] == 0x3A, let minute = number(14, 2)
        else { throw invalid }
        var index = 16
        var second = 0
        if index < bytes.count && bytes[index] == 0x3A {
            guard let s = number(17, 2) else { throw invalid }
            second = s
            index = 19
            if index < bytes.count && bytes[index] == 0x2E {
                index += 1
                while index < bytes.count && (0x30...0x39).contains(bytes[index]) { index += 1 }
            }
        }
        let wall = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard wall.isValid, second < 60 else { throw invalid }
        var offset: Int?
        if index < bytes.count {
            if bytes[index] == 0x5A || bytes[index] == 0x7A, index + 1 == bytes.count {
                offset = 0
            } else if bytes[index] == 0x2B || bytes[index] == 0x2D, bytes.count == index + 6,
                let h = number(index + 1, 2), bytes[index + 3] == 0x3A, let m = number(index + 4, 2), h < 24, m < 60
            {
                offset = (h * 3600 + m * 60) * (bytes[index] == 0x2D ? -1 : 1)
            } else {
                throw invalid
            }
        }
        if let tzid {
            let zone = try self.zone(tzid, field: "time_zone")
            if let offset {
                let instant = wall.secondsSinceEpoch - Int64(offset)
                let zoneOffset = zone.offset(atUTC: instant)
                let local = CivilTime(secondsSinceEpoch: instant + Int64(zoneOffset))
                return EventTime(value: .zoned(local, tzid: tzid), instant: instant, offset: zoneOffset)
            }
            let instant = zone.instant(of: wall)
            // A wall time in a DST gap moves forward, as RFC 5545 reads it.
            let zoneOffset = zone.offset(atUTC: instant)
            let local = CivilTime(secondsSinceEpoch: instant + Int64(zoneOffset))
            return EventTime(value: .zoned(local, tzid: tzid), instant: instant, offset: zoneOffset)
        }
        guard let offset else {
            throw IntegrationError.invalidInput(
                "\(field) '\(text)' has no UTC offset; add one (such as +01:00 or Z) or give time_zone"
            )
        }
        let instant = wall.secondsSinceEpoch - Int64(offset)
        return EventTime(value: .utc(CivilTime(secondsSinceEpoch: instant)), instant: instant, offset: 0)
    }

    /// An IANA zone.
    package static func zone(_ tzid: String, field: String) throws -> ICalZone {
        guard let zone = ICalZone.system(tzid) else {
            throw IntegrationError.invalidInput(
                "\(field) '\(tzid)' is not a time zone this system knows; use an IANA name such as Europe/Berlin"
            )
        }
        return zone
    }

    /// An e-mail address (`local@domain`, no spaces or angle brackets), or `mailto:` plus one.
    package static func address(_ text: String, field: String) throws -> String {
        var address = text.trimmingSpaces
        if address.lowercased().hasPrefix("mailto:") { address = String(address.dropFirst(7)) }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = address.unicodeScalars.allSatisfy { s in
            s.value > 0x20 && s.value != 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains(s)
        }
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), allowed
        else {
            throw IntegrationError.invalidInput("\(field) '\(text)' is not an e-mail address")
        }
        return address
    }

    /// Recurrence lines (`RRULE:…`, `EXDATE…:…`, `RDATE…:…`) as properties, each checked.
    package static func recurrence(_ lines: [String], field: String = "recurrence") throws -> [ICalProperty] {
        try lines.enumerated().map { index, line in
            let property: ICalProperty
            do {
                property = try ContentLines.parse(Array(line.utf8), line: 0)
                switch property.name {
                case "RRULE": _ = try RecurrenceRule(parsing: property.value)
                case "EXDATE", "RDATE": _ = try ICalTime.parseList(property)
                default:
                    throw ICalendarError("\(property.name) is not RRULE, EXDATE or RDATE")
                }
            } catch let error as ICalendarError {
                throw IntegrationError.invalidInput("\(field)[\(index)] '\(line)': \(error.message)")
            }
            return property
        }
    }

    /// The idempotency key as an event id: base32hex (`0-9`, `a-v`) of its SHA-256, 52 characters, which Google
    /// accepts as an event id and CalDAV as a UID and resource name.
    package static func eventID(forKey key: String) -> String {
        base32hex(Array(SHA256.hash(data: Array(key.utf8))))
    }

    /// A fresh random event id (26 characters of base32hex).
    package static func randomEventID() -> String {
        var generator = SystemRandomNumberGenerator()
        return base32hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func base32hex(_ bytes: [UInt8]) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuv".utf8)
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Ids the adapters accept: letters, digits and `_ - . @`, not starting with a dot, at most 1024 long.
    package static func checkID(_ id: String, field: String = "id") throws {
        let ok =
            !id.isEmpty && id.utf8.count <= 1024 && !id.hasPrefix(".")
            && id.utf8.allSatisfy { b in
                (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                    || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x40
            }
        guard ok else {
            throw IntegrationError(
                code: .notFound,
                message: "\(field) '\(id)' is not an event id (letters, digits, _ - . @)",
                transience: .never
            )
        }
    }
}
