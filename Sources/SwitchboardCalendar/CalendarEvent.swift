import SwitchboardCore

/// A start or end of an event: the value as the calendar keeps it (a date, a UTC time, a wall time in a zone, or
/// a floating time), its UTC instant, and the offset in force then. Dates and floating times are placed in the
/// calendar's own time zone.
public struct EventTime: Sendable, Hashable {
    public var value: ICalTime
    /// Seconds since 1970, UTC.
    public var instant: Int64
    /// The UTC offset at `instant` in the value's zone (nil for a date).
    public var offset: Int?

    public init(value: ICalTime, instant: Int64, offset: Int?) {
        self.value = value
        self.instant = instant
        self.offset = offset
    }

    /// Resolves `value` with `zones`, placing dates and floating times in `calendarZone`.
    public init(_ value: ICalTime, zones: ZoneTable = ZoneTable(), calendarZone: ICalZone) throws {
        switch value {
        case .date(let c):
            let instant = calendarZone.instant(of: c)
            self.init(value: value, instant: instant, offset: nil)
        case .floating(let c):
            let instant = calendarZone.instant(of: c)
            self.init(value: value, instant: instant, offset: calendarZone.offset(atUTC: instant))
        case .utc(let c):
            self.init(value: value, instant: c.secondsSinceEpoch, offset: 0)
        case .zoned(let c, let tzid):
            let zone = try zones.zone(tzid)
            let instant = zone.instant(of: c)
            self.init(value: value, instant: instant, offset: zone.offset(atUTC: instant))
        }
    }

    /// Whether it is a date (all-day).
    public var isDate: Bool { value.isDate }

    /// RFC 3339 with the offset (`2026-12-03T15:00:00+01:00`), or `YYYY-MM-DD` for a date.
    public var text: String {
        switch value {
        case .date(let c): c.dateDescription
        case .utc(let c): c.description + "Z"
        case .floating(let c), .zoned(let c, _): c.description + Occurrence.offsetText(offset ?? 0)
        }
    }
}

/// One calendar event, the same shape for every adapter, in and out.
public struct CalendarEvent: Sendable, Hashable {
    /// The event's id (Google's event id; CalDAV's and the local calendar's UID). For an instance of a
    /// recurring event: `<series id>_<original start>`.
    public var id: String
    public var summary: String?
    public var description: String?
    public var location: String?
    public var start: EventTime
    /// Exclusive; for all-day events the day after the last.
    public var end: EventTime
    /// The IANA zone the times are kept in (nil: UTC, or all-day).
    public var timeZone: String?
    /// Attendees' addresses.
    public var attendees: [String]
    /// RRULE, EXDATE and RDATE lines of a series.
    public var recurrence: [String]
    /// For an instance: the series' id.
    public var recurringEventID: String?
    /// `confirmed`, `tentative` or `cancelled`.
    public var status: String
    /// `opaque` (blocks time) or `transparent`.
    public var transparency: String
    public var etag: String?

    public init(
        id: String,
        summary: String? = nil,
        description: String? = nil,
        location: String? = nil,
        start: EventTime,
        end: EventTime,
        timeZone: String? = nil,
        attendees: [String] = [],
        recurrence: [String] = [],
        recurringEventID: String? = nil,
        status: String = "confirmed",
        transparency: String = "opaque",
        etag: String? = nil
    ) {
        self.id = id
        self.summary = summary
        self.description = description
        self.location = location
        self.start = start
        self.end = end
        self.timeZone = timeZone
        self.attendees = attendees
        self.recurrence = recurrence
        self.recurringEventID = recurringEventID
        self.status = status
        self.transparency = transparency
        self.etag = etag
    }

    /// Whether it blocks time: not cancelled, not transparent.
    public var isBusy: Bool { status != "cancelled" && transparency != "transparent" }

    /// Whether it is all-day.
    public var isAllDay: Bool { start.isDate }

    /// The event as the operations' JSON.
    public var json: JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(id),
            "start": .string(start.text),
            "end": .string(end.text),
            "attendees": .array(attendees.map { .string($0) }),
            "recurrence": .array(recurrence.map { .string($0) }),
            "status": .string(status),
            "transparency": .string(transparency),
        ]
        out["summary"] = summary.map { .string($0) } ?? .null
        out["description"] = description.map { .string($0) } ?? .null
        out["location"] = location.map { .string($0) } ?? .null
        out["time_zone"] = timeZone.map { .string($0) } ?? .null
        out["recurring_event_id"] = recurringEventID.map { .string($0) } ?? .null
        out["etag"] = etag.map { .string($0) } ?? .null
        return .object(out)
    }
}
