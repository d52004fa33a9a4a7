import SwitchboardCore

/// Busy time and free slots, computed from event instances the same way for every calendar: cancelled and
/// transparent events never block; all-day and recurring ones do.
package enum Availability {
    /// The busy intervals of `items` within [from, to), clipped to it, merged and sorted.
    package static func busy(_ items: [CalendarEvent], from: Int64, to: Int64) -> [(Int64, Int64)] {
        var intervals: [(Int64, Int64)] = []
        for item in items where item.isBusy {
            let start = max(item.start.instant, from)
            let end = min(item.end.instant, to)
            if end > start { intervals.append((start, end)) }
        }
        return merge(intervals)
    }

    /// Intervals sorted and merged where they overlap or touch.
    package static func merge(_ intervals: [(Int64, Int64)]) -> [(Int64, Int64)] {
        let intervals = intervals.sorted { $0 < $1 }
        var merged: [(Int64, Int64)] = []
        for interval in intervals {
            if let last = merged.last, interval.0 <= last.1 {
                merged[merged.count - 1].1 = max(last.1, interval.1)
            } else {
                merged.append(interval)
            }
        }
        return merged
    }

    /// The instances of `items` that block [start, end).
    package static func conflicts(_ items: [CalendarEvent], start: Int64, end: Int64) -> [CalendarEvent] {
        items.filter { $0.isBusy && $0.start.instant < end && $0.end.instant > start }
    }

    /// Working hours: a daily window on some weekdays, in a zone.
    package struct WorkingHours: Sendable {
        /// Minutes after midnight.
        var start: Int
        var end: Int
        /// 0 = Monday … 6 = Sunday.
        var days: Set<Int>

        static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

        /// Reads `{start: "09:00", end: "17:00", days: ["mon", …]}`; missing parts take those defaults.
        package init(_ value: JSONValue?) throws {
            func minutes(_ key: String, _ fallback: Int) throws -> Int {
                guard let text = value?[key]?.stringValue else { return fallback }
                let parts = text.split(separator: ":")
                guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h),
                    (0...59).contains(m), h * 60 + m <= 1440
                else {
                    throw IntegrationError.invalidInput("working_hours.\(key) '\(text)' is not a time such as 09:00")
                }
                return h * 60 + m
            }
            start = try minutes("start", 9 * 60)
            end = try minutes("end", 17 * 60)
            guard end > start else {
                throw IntegrationError.invalidInput("working_hours.end must be after working_hours.start")
            }
            if let list = value?["days"]?.arrayValue {
                days = try Set(
                    list.map { item in
                        guard let name = item.stringValue?.lowercased().prefix(3),
                            let index = Self.dayNames.firstIndex(of: String(name))
                        else {
                            throw IntegrationError.invalidInput(
                                "working_hours.days has '\(item.stringValue ?? item.jsonString())'; use mon, tue, wed, thu, fri, sat, sun"
                            )
                        }
                        return index
                    }
                )
            } else {
                days = [0, 1, 2, 3, 4]
            }
        }
    }

    /// Up to `count` free slots of `duration` seconds within [from, to) and the working hours in `zone`, each
    /// starting on a quarter hour of the zone's clock, none overlapping `busy` (sorted, merged).
    package static func freeSlots(
        busy: [(Int64, Int64)],
        duration: Int64,
        from: Int64,
        to: Int64,
        hours: WorkingHours,
        zone: ICalZone,
        count: Int
    ) -> [(Int64, Int64)] {
        var slots: [(Int64, Int64)] = []
        let firstDay = CivilTime(secondsSinceEpoch: from + Int64(zone.offset(atUTC: from))).dayNumber
        let lastDay = CivilTime(secondsSinceEpoch: to + Int64(zone.offset(atUTC: to))).dayNumber
        var busyIndex = 0
        var day = firstDay
        while day <= lastDay && slots.count < count {
            defer { day += 1 }
            guard hours.days.contains(CivilTime.weekday(ofDay: day)) else { continue }
            let (y, m, d) = CivilTime.civil(fromDays: day)
            let midnight = CivilTime(year: y, month: m, day: d)
            let open = zone.instant(of: midnight.adding(seconds: Int64(hours.start * 60)))
            let close = zone.instant(of: midnight.adding(seconds: Int64(hours.end * 60)))
            var cursor = roundUp(max(open, from), zone: zone)
            let limit = min(close, to)
            while cursor + duration <= limit && slots.count < count {
                while busyIndex < busy.count && busy[busyIndex].1 <= cursor { busyIndex += 1 }
                if busyIndex < busy.count && busy[busyIndex].0 < cursor + duration {
                    cursor = roundUp(busy[busyIndex].1, zone: zone)
                    continue
                }
                slots.append((cursor, cursor + duration))
                cursor += duration
            }
        }
        return slots
    }

    /// The next quarter hour of the zone's clock at or after `instant`.
    static func roundUp(_ instant: Int64, zone: ICalZone) -> Int64 {
        let offset = Int64(zone.offset(atUTC: instant))
        let wall = instant + offset
        let rounded = (wall + 899).floorDivided(by: 900) * 900
        return rounded - offset
    }

    /// RFC 3339 text of `instant` in `zone`.
    package static func text(_ instant: Int64, zone: ICalZone) -> String {
        let offset = zone.offset(atUTC: instant)
        return CivilTime(secondsSinceEpoch: instant + Int64(offset)).description + Occurrence.offsetText(offset)
    }
}
