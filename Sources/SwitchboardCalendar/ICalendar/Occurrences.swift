/// One instance of an event: its start and end in the event's own terms (the zone of its DTSTART), as UTC
/// instants, and the component it comes from (the series' VEVENT, or the RECURRENCE-ID override that replaces it).
public struct Occurrence: Sendable {
    public var uid: String
    /// The start as written for this instance: a date, a floating time, UTC, or a wall time in a TZID.
    public var start: ICalTime
    public var end: ICalTime
    /// Seconds since 1970 in UTC (floating times and dates read as UTC).
    public var startInstant: Int64
    public var endInstant: Int64
    /// The UTC offset in force at the start and the end (nil for floating times and dates).
    public var startOffset: Int?
    public var endOffset: Int?
    /// For an instance of a recurring event, its original start (RECURRENCE-ID).
    public var recurrenceID: ICalTime?
    public var component: ICalComponent

    /// `STATUS`, upper-cased (`CONFIRMED`, `TENTATIVE`, `CANCELLED`), if given.
    public var status: String? { component.property("STATUS")?.value.trimmingSpaces.uppercased() }

    /// Whether the instance blocks time: not cancelled and not `TRANSP:TRANSPARENT`.
    public var isBusy: Bool {
        status != "CANCELLED"
            && component.property("TRANSP")?.value.trimmingSpaces.uppercased() != "TRANSPARENT"
    }

    /// ISO 8601 text of `start`: `2026-03-29T09:00:00+02:00`, `…+00:00` for UTC, no offset for a floating time,
    /// `2026-03-29` for a date.
    public var startText: String { Self.iso(start, offset: startOffset) }
    public var endText: String { Self.iso(end, offset: endOffset) }

    static func iso(_ time: ICalTime, offset: Int?) -> String {
        switch time {
        case .date(let c): return c.dateDescription
        case .floating(let c): return c.description
        case .utc(let c): return c.description + "+00:00"
        case .zoned(let c, _): return c.description + offsetText(offset ?? 0)
        }
    }

    static func offsetText(_ offset: Int) -> String {
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        var text = sign + CivilTime.pad(a / 3600) + ":" + CivilTime.pad(a % 3600 / 60)
        if a % 60 != 0 { text += ":" + CivilTime.pad(a % 60) }
        return text
    }
}

/// The window an expansion looks at, in UTC seconds (floating times and dates windowed as if UTC).
public struct ExpansionWindow: Sendable {
    public var lower: Int64
    public var upper: Int64
    /// true: instances that overlap [lower, upper) (an event list); false: instances that start in it.
    public var overlapping: Bool
    /// Stop after this many instances per event (the first ones); nil for no such cut.
    public var limit: Int?
    /// More than this many instances in the window is an error (bounded memory for unbounded rules).
    public var maximumInstances = 200_000

    public init(lower: Int64, upper: Int64, overlapping: Bool, limit: Int? = nil) {
        self.lower = lower
        self.upper = upper
        self.overlapping = overlapping
        self.limit = limit
    }

    /// Every instant.
    static let everything = ExpansionWindow(lower: Int64.min / 4, upper: Int64.max / 4, overlapping: false)

    func contains(start: Int64, end: Int64) -> Bool {
        if overlapping {
            // A zero-length event at the window's start counts; otherwise end must pass the lower bound.
            return start < upper && (end > lower || (end == start && start >= lower))
        }
        return start >= lower && start < upper
    }
}
