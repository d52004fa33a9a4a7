import SwitchboardCore

/// One stored event resource (a `.ics` file, a CalDAV object): its parsed document and ETag, read the same way by
/// every adapter that keeps events as iCalendar: the series as an event, its instances in a window, one instance
/// by id, and the bytes to store for an event.
package struct EventResource: Sendable {
    /// The resource name without `.ics`: the event's id.
    package var id: String
    package var document: ICalendarDocument
    package var etag: String
    /// Where it lives, for messages (a path or URL).
    package var location: String

    /// Parses `bytes`.
    /// - Throws: `service_error` naming `location` and the line.
    package init(id: String, bytes: [UInt8], etag: String, location: String) throws {
        self.id = id
        self.etag = etag
        self.location = location
        do {
            document = try ICalendarDocument(parsing: bytes)
        } catch let error as ICalendarError {
            throw IntegrationError(
                code: .serviceError,
                message: "\(location): \(error.description)",
                transience: .never,
                hint: "fix or remove that event; the others are unaffected"
            )
        }
    }

    /// The series (or the lone override) the resource holds.
    package var series: EventSeries {
        get throws {
            guard let series = document.series.first(where: { $0.master != nil }) ?? document.series.first else {
                throw IntegrationError(code: .serviceError, message: "\(location) holds no VEVENT")
            }
            return series
        }
    }

    /// The top-level VCALENDAR, kept when the event is rewritten.
    package var calendar: ICalComponent? { document.roots.first { $0.name == "VCALENDAR" } }

    /// The series as one event.
    package func event(zone: ICalZone) throws -> CalendarEvent {
        let series = try series
        guard let master = series.master ?? series.overrides.first else {
            throw IntegrationError(code: .serviceError, message: "\(location) holds no VEVENT")
        }
        do {
            var event = try EventComponent.event(
                from: master,
                seriesID: id,
                zones: document.zones,
                calendarZone: zone,
                etag: etag
            )
            event.id = id
            return event
        } catch let error as ICalendarError {
            throw IntegrationError(code: .serviceError, message: "\(location): \(error.description)")
        }
    }

    /// The instances that overlap [from, to), placed in `zone`.
    package func instances(from: Int64, to: Int64, zone: ICalZone) throws -> [CalendarEvent] {
        // Dates and floating times are windowed as UTC by the expansion; widen by a day, then cut exactly.
        let window = ExpansionWindow(lower: from - 86_400, upper: to + 86_400, overlapping: true)
        var out: [CalendarEvent] = []
        do {
            for series in document.series {
                let recurring = series.isRecurring
                for occurrence in try series.occurrences(in: window, zones: document.zones) {
                    let asInstance = recurring || (occurrence.recurrenceID != nil && series.master != nil)
                    var event = try EventComponent.event(
                        from: occurrence.component,
                        occurrence: asInstance ? occurrence : nil,
                        seriesID: id,
                        zones: document.zones,
                        calendarZone: zone,
                        etag: etag
                    )
                    if !asInstance { event.id = id }
                    let zeroLength = event.end.instant == event.start.instant
                    let overlaps =
                        event.start.instant < to
                        && (event.end.instant > from || (zeroLength && event.start.instant >= from))
                    if overlaps { out.append(event) }
                }
            }
        } catch let error as ICalendarError {
            throw IntegrationError(code: .serviceError, message: "\(location): \(error.description)")
        }
        return out
    }

    /// Splits an instance id (`<series>_<original start>`) into the series id and the original start.
    package static func instanceParts(of id: String) -> (series: String, start: Int64)? {
        guard let mark = id.lastIndex(of: "_") else { return nil }
        let suffix = String(id[id.index(after: mark)...])
        guard let time = try? ICalTime.parse(suffix, tzid: nil, name: "id", line: 0) else { return nil }
        return (String(id[..<mark]), time.civil.secondsSinceEpoch)
    }

    /// The instance called `instanceID` (found near its original start).
    package func instance(_ instanceID: String, near start: Int64, zone: ICalZone) throws -> CalendarEvent? {
        try instances(from: start - 2 * 86_400, to: start + 2 * 86_400, zone: zone).first { $0.id == instanceID }
    }

    /// The bytes of a VCALENDAR holding `event`, written over `existing` (a resource being updated) so that
    /// what the event does not describe (alarms, `X-` properties) stays.
    package static func bytes(of event: CalendarEvent, over existing: EventResource?, now: Int64) throws -> [UInt8] {
        let recurrence = try EventInput.recurrence(event.recurrence)
        let component = EventComponent.component(
            for: event,
            recurrence: recurrence,
            into: try existing?.series.master,
            now: now
        )
        return Array(EventComponent.calendar(with: component, keeping: existing?.calendar).serialized().utf8)
    }
}
