import Foundation
import SwitchboardCore

/// The calendar operations, on any ``CalendarService``: `create_event`, `get_event`, `update_event`,
/// `delete_event`, `list_events`, `free_busy`, `check_availability`, `find_free_slots`.
///
/// A create takes its event id from the call's idempotency key, so a repeated or retried create finds the event
/// it made and returns it (exit 0) instead of making another.
public struct CalendarIntegration: Integration {
    public let kind: String
    let calendar: any CalendarService

    public init(kind: String, calendar: any CalendarService) {
        self.kind = kind
        self.calendar = calendar
    }

    public func shutdown() async throws { try await calendar.shutdown() }

    public var operations: [OperationDescriptor] { Self.table.descriptors }

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        try await Self.table.run(operation, on: self, input: input, context: context)
    }

    // MARK: Schemas

    static let time: JSONValue = [
        "type": "string", "minLength": 10,
        "description": "RFC 3339 with offset (2026-12-03T15:00:00+01:00), or YYYY-MM-DD for all-day",
    ]
    static let eventFields: [String: JSONValue] = [
        "id": ["type": "string"],
        "summary": ["type": ["string", "null"]],
        "description": ["type": ["string", "null"]],
        "location": ["type": ["string", "null"]],
        "start": time,
        "end": time,
        "time_zone": ["type": ["string", "null"], "description": "IANA zone, such as Europe/Berlin"],
        "attendees": ["type": "array", "items": ["type": "string"]],
        "recurrence": ["type": "array", "items": ["type": "string"], "description": "RRULE, EXDATE, RDATE lines"],
        "status": ["type": "string", "enum": ["confirmed", "tentative", "cancelled"]],
        "transparency": ["type": "string", "enum": ["opaque", "transparent"]],
        "etag": ["type": ["string", "null"]],
        "recurring_event_id": ["type": ["string", "null"]],
    ]
    static let window: JSONValue = [
        "type": "object",
        "required": ["time_min", "time_max"],
        "properties": ["time_min": time, "time_max": time],
        "additionalProperties": false,
    ]
    static let idInput: JSONValue = [
        "type": "object",
        "required": ["id"],
        "properties": ["id": ["type": "string", "minLength": 1], "etag": ["type": ["string", "null"]]],
        "additionalProperties": false,
    ]

    static let table = OperationTable<CalendarIntegration>([
        .init(
            OperationDescriptor(
                name: "create_event",
                summary:
                    "Create an event (the event as input); with an idempotency key, a repeat returns the same event",
                inputSchema: [
                    "type": "object", "required": ["start"], "properties": .object(eventFields),
                    "additionalProperties": false,
                ],
                idempotency: .nonIdempotent
            )
        ) { adapter, input, context in try await adapter.create(input, context) },
        .init(
            OperationDescriptor(
                name: "get_event",
                summary: "One event by id (a series, or an instance: <series id>_<start>)",
                inputSchema: idInput,
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.calendar.get(id: input["id"]?.stringValue ?? "").json },
        .init(
            OperationDescriptor(
                name: "update_event",
                summary: "Change fields of an event; with etag, only if it has not changed since (else conflict)",
                inputSchema: [
                    "type": "object", "required": ["id"], "properties": .object(eventFields),
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.update(input, context) },
        .init(
            OperationDescriptor(
                name: "delete_event",
                summary: "Delete an event; with etag, only if it has not changed since (else conflict)",
                inputSchema: idInput,
                idempotency: .idempotent
            )
        ) { adapter, input, _ in
            let id = input["id"]?.stringValue ?? ""
            try await adapter.calendar.delete(id: id, etag: input["etag"]?.stringValue)
            return ["id": .string(id), "deleted": true]
        },
        .init(
            OperationDescriptor(
                name: "list_events",
                summary: "Events overlapping [time_min, time_max), recurring events expanded, ordered by start",
                inputSchema: window,
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.list(input) },
        .init(
            OperationDescriptor(
                name: "free_busy",
                summary:
                    "Busy intervals in [time_min, time_max), merged and sorted (cancelled and free events do not count)",
                inputSchema: window,
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.freeBusy(input) },
        .init(
            OperationDescriptor(
                name: "check_availability",
                summary: "Whether [start, end) is free, and the events in the way (all-day and recurring included)",
                inputSchema: [
                    "type": "object", "required": ["start", "end"], "properties": ["start": time, "end": time],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, _ in try await adapter.checkAvailability(input) },
        .init(
            OperationDescriptor(
                name: "find_free_slots",
                summary: "The first free slots of duration_minutes within working hours (default Mon–Fri 09:00–17:00)",
                inputSchema: [
                    "type": "object", "required": ["duration_minutes"],
                    "properties": [
                        "duration_minutes": ["type": "integer", "minimum": 1, "maximum": 10_080],
                        "time_min": time, "time_max": time,
                        "count": ["type": "integer", "minimum": 1, "maximum": 100],
                        "working_hours": [
                            "type": "object",
                            "properties": [
                                "start": ["type": "string"], "end": ["type": "string"],
                                "days": ["type": "array", "items": ["type": "string"]],
                            ],
                            "additionalProperties": false,
                        ],
                        "time_zone": ["type": "string"],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.freeSlots(input, context) },
    ])

    // MARK: Operations

    static func now(_ context: OperationContext) -> Int64 { Int64(context.clock.wallTime.timeIntervalSince1970) }

    /// The event described by `input` (a create's whole input, or an update's fields over `base`), checked.
    func event(from input: JSONValue, id: String, base: CalendarEvent?) throws -> CalendarEvent {
        func text(_ key: String) -> String?? {
            guard let value = input[key] else { return .none }
            if case .null = value { return .some(nil) }
            return .some(value.stringValue)
        }
        // A new event without time_zone is kept in the calendar's zone (times given with any offset).
        let calendarZone = calendar.timeZone.identifier
        var tzid: String? = base == nil ? (calendarZone == "UTC" ? nil : calendarZone) : base?.timeZone
        if let zone = text("time_zone") { tzid = zone }
        if let tzid { _ = try EventInput.zone(tzid, field: "time_zone") }
        let zoneChanged = input["time_zone"] != nil
        func time(_ key: String, _ current: EventTime?) throws -> EventTime? {
            if let value = input[key]?.stringValue { return try EventInput.time(value, field: key, tzid: tzid) }
            guard let current else { return nil }
            // A new time_zone with the old times: the same instants, kept in the new zone.
            if zoneChanged && !current.isDate {
                return try EventInput.time(
                    Availability.text(current.instant, zone: .utc),
                    field: key,
                    tzid: tzid
                )
            }
            return current
        }
        guard let start = try time("start", base?.start) else {
            throw IntegrationError.invalidInput("start is required")
        }
        var end = try time("end", input["start"] != nil && input["end"] == nil ? nil : base?.end)
        if end == nil, let base, input["start"] != nil {
            // Only the start moved: keep the length.
            let length = base.end.instant - base.start.instant
            if start.isDate {
                let days = Int(length / 86_400)
                let date = start.value.civil.adding(days: max(1, days))
                end = EventTime(value: .date(date), instant: date.secondsSinceEpoch, offset: nil)
            } else {
                end = try EventInput.time(
                    Availability.text(start.instant + length, zone: .utc),
                    field: "end",
                    tzid: tzid
                )
            }
        }
        if end == nil && start.isDate {
            let next = start.value.civil.adding(days: 1)
            end = EventTime(value: .date(next), instant: next.secondsSinceEpoch, offset: nil)
        }
        guard let end else {
            throw IntegrationError.invalidInput("end is required for an event with a time (or give start as a date)")
        }
        guard start.isDate == end.isDate else {
            throw IntegrationError.invalidInput("start and end must both be dates (all-day) or both be times")
        }
        let startKey = start.isDate ? Int64(start.value.civil.dayNumber) : start.instant
        let endKey = end.isDate ? Int64(end.value.civil.dayNumber) : end.instant
        guard endKey > startKey else {
            throw IntegrationError.invalidInput(
                "end (\(end.text)) must be after start (\(start.text))"
                    + (start.isDate ? "; all-day ends are exclusive" : "")
            )
        }
        var attendees = base?.attendees ?? []
        if let list = input["attendees"]?.arrayValue {
            attendees = try list.enumerated().map { index, item in
                try EventInput.address(item.stringValue ?? "", field: "attendees[\(index)]")
            }
        }
        var recurrence = base?.recurrence ?? []
        if let list = input["recurrence"]?.arrayValue {
            recurrence = list.compactMap(\.stringValue)
            _ = try EventInput.recurrence(recurrence)
        }
        func field(_ key: String, _ current: String?) -> String? {
            switch text(key) {
            case .none: current
            case .some(let value): value
            }
        }
        return CalendarEvent(
            id: id,
            summary: field("summary", base?.summary),
            description: field("description", base?.description),
            location: field("location", base?.location),
            start: start,
            end: end,
            timeZone: start.isDate ? nil : tzid,
            attendees: attendees,
            recurrence: recurrence,
            status: input["status"]?.stringValue ?? base?.status ?? "confirmed",
            transparency: input["transparency"]?.stringValue ?? base?.transparency ?? "opaque"
        )
    }

    func create(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        let id: String
        if let key = context.idempotencyKey {
            id = EventInput.eventID(forKey: key)
        } else if let given = input["id"]?.stringValue {
            guard given.utf8.count >= 5,
                given.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x76).contains($0) })
            else {
                throw IntegrationError.invalidInput(
                    "id '\(given)' must be 5 or more characters of 0-9 and a-v (or leave it out)"
                )
            }
            id = given
        } else {
            id = EventInput.randomEventID()
        }
        let event = try event(from: input, id: id, base: nil)
        let result = try await calendar.create(event, now: Self.now(context))
        guard case .object(var out) = result.event.json else { return result.event.json }
        out["created"] = .bool(result.created)
        return .object(out)
    }

    func update(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        let id = input["id"]?.stringValue ?? ""
        let updated = try await calendar.update(id: id, etag: input["etag"]?.stringValue, now: Self.now(context)) {
            current in
            try event(from: input, id: id, base: current)
        }
        return updated.json
    }

    /// [time_min, time_max) as instants; dates are midnight in the calendar's zone.
    func window(_ input: JSONValue, _ lowKey: String = "time_min", _ highKey: String = "time_max") throws
        -> (Int64, Int64)
    {
        func instant(_ key: String) throws -> Int64 {
            let time = try EventInput.time(input[key]?.stringValue ?? "", field: key, tzid: nil)
            return time.isDate ? calendar.timeZone.instant(of: time.value.civil) : time.instant
        }
        let low = try instant(lowKey)
        let high = try instant(highKey)
        guard high > low else { throw IntegrationError.invalidInput("\(highKey) must be after \(lowKey)") }
        guard high - low <= 100 * 366 * 86_400 else {
            throw IntegrationError.invalidInput("the window from \(lowKey) to \(highKey) is longer than 100 years")
        }
        return (low, high)
    }

    func list(_ input: JSONValue) async throws -> JSONValue {
        let (low, high) = try window(input)
        let listing = try await calendar.events(from: low, to: high)
        var out: [String: JSONValue] = ["items": .array(listing.items.map(\.json))]
        if !listing.problems.isEmpty { out["problems"] = .array(listing.problems.map { .string($0) }) }
        return .object(out)
    }

    func freeBusy(_ input: JSONValue) async throws -> JSONValue {
        let (low, high) = try window(input)
        let zone = calendar.timeZone
        var problems: [String] = []
        let intervals: [(Int64, Int64)]
        if let server = try await calendar.busy(from: low, to: high) {
            intervals = Availability.merge(server.map { (max($0.0, low), min($0.1, high)) }.filter { $0.1 > $0.0 })
        } else {
            let listing = try await calendar.events(from: low, to: high)
            problems = listing.problems
            intervals = Availability.busy(listing.items, from: low, to: high)
        }
        var out: [String: JSONValue] = [
            "busy": .array(
                intervals.map {
                    [
                        "start": .string(Availability.text($0.0, zone: zone)),
                        "end": .string(Availability.text($0.1, zone: zone)),
                    ]
                }
            )
        ]
        if !problems.isEmpty { out["problems"] = .array(problems.map { .string($0) }) }
        return .object(out)
    }

    func checkAvailability(_ input: JSONValue) async throws -> JSONValue {
        let (start, end) = try window(input, "start", "end")
        let listing = try await calendar.events(from: start, to: end)
        let conflicts = Availability.conflicts(listing.items, start: start, end: end)
        return ["available": .bool(conflicts.isEmpty), "conflicts": .array(conflicts.map(\.json))]
    }

    func freeSlots(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        let zone =
            try input["time_zone"]?.stringValue.map { try EventInput.zone($0, field: "time_zone") } ?? calendar.timeZone
        let hours = try Availability.WorkingHours(input["working_hours"])
        let duration = Int64(input["duration_minutes"]?.intValue ?? 30) * 60
        let now = Self.now(context)
        var low = now
        var high = now + 14 * 86_400
        if input["time_min"] != nil || input["time_max"] != nil {
            var bounds = input
            if input["time_min"] == nil, case .object(var fields) = bounds {
                fields["time_min"] = .string(Availability.text(now, zone: .utc))
                bounds = .object(fields)
            }
            if input["time_max"] == nil, case .object(var fields) = bounds {
                let from = try EventInput.time(fields["time_min"]?.stringValue ?? "", field: "time_min", tzid: nil)
                fields["time_max"] = .string(Availability.text(from.instant + 14 * 86_400, zone: .utc))
                bounds = .object(fields)
            }
            (low, high) = try window(bounds)
        }
        let listing = try await calendar.events(from: low, to: high)
        let busy = Availability.busy(listing.items, from: low, to: high)
        let slots = Availability.freeSlots(
            busy: busy,
            duration: duration,
            from: low,
            to: high,
            hours: hours,
            zone: zone,
            count: input["count"]?.intValue ?? 3
        )
        return [
            "slots": .array(
                slots.map {
                    [
                        "start": .string(Availability.text($0.0, zone: zone)),
                        "end": .string(Availability.text($0.1, zone: zone)),
                    ]
                }
            )
        ]
    }
}
