/// A parsed iCalendar document: its top-level components, its zones, and its events grouped into series by UID.
public struct ICalendarDocument: Sendable {
    /// The top-level components (normally one VCALENDAR).
    public var roots: [ICalComponent]
    public var zones: ZoneTable
    /// The series, in the order their first VEVENT appears.
    public var series: [EventSeries]

    /// Parses a document.
    /// - Throws: ``ICalendarError`` naming the line of the first problem.
    public init(parsing bytes: some Collection<UInt8>) throws {
        try self.init(roots: ICalComponent.parse(bytes))
    }

    public init(roots: [ICalComponent]) throws {
        self.roots = roots
        var zones = ZoneTable()
        var events: [ICalComponent] = []
        for root in roots {
            if root.name == "VCALENDAR" {
                let table = try ZoneTable(calendar: root)
                zones.defined.merge(table.defined) { a, _ in a }
                events += root.components.filter { $0.name == "VEVENT" }
            } else if root.name == "VEVENT" {
                events.append(root)
            }
        }
        self.zones = zones
        var order: [String] = []
        var byUID: [String: EventSeries] = [:]
        for event in events {
            let uid = event.property("UID")?.value.trimmingSpaces ?? "line-\(event.line)"
            var series = byUID[uid] ?? EventSeries(uid: uid, master: nil)
            if byUID[uid] == nil { order.append(uid) }
            if event.property("RECURRENCE-ID") != nil {
                series.overrides.append(event)
            } else if series.master == nil {
                series.master = event
            } else {
                throw ICalendarError(line: event.line, "a second VEVENT with UID \(uid) and no RECURRENCE-ID")
            }
            byUID[uid] = series
        }
        series = order.map { byUID[$0]! }
    }

    /// Every instance of every event in `window`, in order of start (then end, then UID).
    public func occurrences(in window: ExpansionWindow) throws -> [Occurrence] {
        var all: [Occurrence] = []
        for one in series { all += try one.occurrences(in: window, zones: zones) }
        all.sort { ($0.startInstant, $0.endInstant, $0.uid) < ($1.startInstant, $1.endInstant, $1.uid) }
        if let limit = window.limit, all.count > limit { all.removeLast(all.count - limit) }
        return all
    }

    /// The document as text (CRLF, folded).
    public func serialized() -> String { roots.map { $0.serialized() }.joined() }
}
