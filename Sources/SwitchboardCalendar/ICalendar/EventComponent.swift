/// A ``CalendarEvent`` as a VEVENT and back. Writing into an existing VEVENT changes only the properties the
/// event has; everything else in it (alarms, `X-` properties, organizer) is kept.
package enum EventComponent {
    /// The event read from a VEVENT (a series, or one of its instances when `occurrence` is given).
    package static func event(
        from component: ICalComponent,
        occurrence: Occurrence? = nil,
        seriesID: String,
        zones: ZoneTable,
        calendarZone: ICalZone,
        etag: String?
    ) throws -> CalendarEvent {
        let start: EventTime
        let end: EventTime
        if let occurrence {
            start = try EventTime(occurrence.start, zones: zones, calendarZone: calendarZone)
            end = try EventTime(occurrence.end, zones: zones, calendarZone: calendarZone)
        } else {
            guard let startProperty = component.property("DTSTART") else {
                throw ICalendarError(line: component.line, "VEVENT \(seriesID) has no DTSTART")
            }
            let startValue = try ICalTime.parse(startProperty)
            start = try EventTime(startValue, zones: zones, calendarZone: calendarZone)
            if let endProperty = component.property("DTEND") {
                end = try EventTime(ICalTime.parse(endProperty), zones: zones, calendarZone: calendarZone)
            } else {
                let series = EventSeries(uid: seriesID, master: component)
                let window = ExpansionWindow(lower: Int64.min / 4, upper: Int64.max / 4, overlapping: false, limit: 1)
                var only = component
                only.set("RRULE", nil)
                only.set("RDATE", nil)
                let first = try EventSeries(uid: series.uid, master: only).occurrences(in: window, zones: zones).first
                end = try EventTime(first?.end ?? startValue, zones: zones, calendarZone: calendarZone)
            }
        }
        var recurrence: [String] = []
        if occurrence == nil || occurrence?.recurrenceID == nil {
            for property in component.properties where ["RRULE", "RDATE", "EXDATE"].contains(property.name) {
                var line: [UInt8] = []
                ContentLines.write(property, into: &line)
                recurrence.append(String(decoding: line.dropLast(2), as: UTF8.self).replacingFolds())
            }
        }
        let isInstance = occurrence?.recurrenceID != nil
        var id = seriesID
        if let occurrence, let recurrenceID = occurrence.recurrenceID {
            let instant = (try? zones.instant(of: recurrenceID)) ?? recurrenceID.civil.secondsSinceEpoch
            id = seriesID + "_" + instanceSuffix(recurrenceID, instant: instant)
        }
        var tzid: String?
        if case .zoned(_, let zone) = start.value { tzid = zone }
        return CalendarEvent(
            id: id,
            summary: component.property("SUMMARY")?.textValue,
            description: component.property("DESCRIPTION")?.textValue,
            location: component.property("LOCATION")?.textValue,
            start: start,
            end: end,
            timeZone: tzid,
            attendees: component.properties("ATTENDEE").map { property in
                var value = property.value.trimmingSpaces
                if value.lowercased().hasPrefix("mailto:") { value = String(value.dropFirst(7)) }
                return value
            },
            recurrence: isInstance ? [] : recurrence,
            recurringEventID: isInstance ? seriesID : nil,
            status: (component.property("STATUS")?.value.trimmingSpaces.lowercased()).flatMap {
                ["confirmed", "tentative", "cancelled"].contains($0) ? $0 : nil
            } ?? "confirmed",
            transparency: component.property("TRANSP")?.value.trimmingSpaces.uppercased() == "TRANSPARENT"
                ? "transparent" : "opaque",
            etag: etag
        )
    }

    /// `20261203T150000Z` for a time (its UTC instant), `20261203` for a date: the part of an instance's id after
    /// the series id, as Google writes it.
    package static func instanceSuffix(_ time: ICalTime, instant: Int64) -> String {
        if time.isDate { return time.text }
        return ICalTime.utc(CivilTime(secondsSinceEpoch: instant)).text
    }

    /// Writes `event` into `component` (a new VEVENT when nil), stamping it at `now` (UTC seconds).
    package static func component(
        for event: CalendarEvent,
        recurrence: [ICalProperty],
        into existing: ICalComponent? = nil,
        now: Int64
    ) -> ICalComponent {
        var component = existing ?? ICalComponent(name: "VEVENT")
        let stamp = ICalTime.utc(CivilTime(secondsSinceEpoch: now)).text
        component.set("UID", ICalProperty(name: "UID", value: event.id))
        component.set("DTSTAMP", ICalProperty(name: "DTSTAMP", value: stamp))
        if existing == nil { component.set("CREATED", ICalProperty(name: "CREATED", value: stamp)) }
        component.set("LAST-MODIFIED", ICalProperty(name: "LAST-MODIFIED", value: stamp))
        component.set("DTSTART", event.start.value.property("DTSTART"))
        component.set("DTEND", event.end.value.property("DTEND"))
        component.set("DURATION", nil)
        func text(_ name: String, _ value: String?) {
            component.set(name, value.map { ICalProperty(name: name, text: $0) })
        }
        text("SUMMARY", event.summary)
        text("DESCRIPTION", event.description)
        text("LOCATION", event.location)
        component.set("STATUS", ICalProperty(name: "STATUS", value: event.status.uppercased()))
        component.set("TRANSP", ICalProperty(name: "TRANSP", value: event.transparency.uppercased()))
        component.properties.removeAll { $0.name == "ATTENDEE" }
        for address in event.attendees {
            component.properties.append(
                ICalProperty(
                    name: "ATTENDEE",
                    parameters: [ICalParameter(name: "RSVP", values: ["TRUE"])],
                    value: "mailto:" + address
                )
            )
        }
        component.properties.removeAll { ["RRULE", "RDATE", "EXDATE"].contains($0.name) }
        component.properties += recurrence
        if let sequence = existing?.property("SEQUENCE").flatMap({ Int($0.value.trimmingSpaces) }) {
            component.set("SEQUENCE", ICalProperty(name: "SEQUENCE", value: String(sequence + 1)))
        } else if existing != nil {
            component.set("SEQUENCE", ICalProperty(name: "SEQUENCE", value: "1"))
        } else {
            component.set("SEQUENCE", ICalProperty(name: "SEQUENCE", value: "0"))
        }
        return component
    }

    /// A VCALENDAR holding `event`.
    package static func calendar(with event: ICalComponent, keeping existing: ICalComponent? = nil) -> ICalComponent {
        var calendar =
            existing
            ?? ICalComponent(
                name: "VCALENDAR",
                properties: [
                    ICalProperty(name: "VERSION", value: "2.0"),
                    ICalProperty(name: "PRODID", value: "-//Switchboard//Calendar//EN"),
                ]
            )
        calendar.components.removeAll { $0.name == "VEVENT" }
        calendar.components.append(event)
        return calendar
    }
}

extension String {
    /// A serialised content line with its folds undone.
    func replacingFolds() -> String {
        var out = ""
        var skip = false
        var pendingCR = false
        for scalar in unicodeScalars {
            if skip {
                skip = false
                if scalar == " " || scalar == "\t" { continue }
            }
            if scalar == "\r" {
                pendingCR = true
                continue
            }
            if scalar == "\n" {
                pendingCR = false
                skip = true
                continue
            }
            if pendingCR {
                out.unicodeScalars.append("\r")
                pendingCR = false
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
