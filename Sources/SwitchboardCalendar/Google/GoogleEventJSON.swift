import Foundation
import SwitchboardCore

/// Google Calendar v3's Event resource, to and from ``CalendarEvent``: only the documented, writable fields the
/// adapter sets go out (never a fetched event's read-only fields such as `htmlLink`, `created` or `creator`).
package enum GoogleEventJSON {
    /// The body of `events.insert` (with `id`) or `events.patch` (without).
    package static func body(for event: CalendarEvent, includeID: Bool) -> JSONValue {
        var out: [String: JSONValue] = [:]
        if includeID { out["id"] = .string(event.id) }
        out["summary"] = event.summary.map { .string($0) } ?? .null
        out["description"] = event.description.map { .string($0) } ?? .null
        out["location"] = event.location.map { .string($0) } ?? .null
        let zone = event.timeZone ?? (event.recurrence.isEmpty ? nil : "UTC")
        out["start"] = time(event.start, zone: zone)
        out["end"] = time(event.end, zone: zone)
        out["attendees"] = .array(event.attendees.map { ["email": .string($0)] })
        out["recurrence"] = .array(event.recurrence.map { .string($0) })
        out["status"] = .string(event.status)
        out["transparency"] = .string(event.transparency)
        return .object(out)
    }

    static func time(_ time: EventTime, zone: String?) -> JSONValue {
        if time.isDate { return ["date": .string(time.text)] }
        var out: [String: JSONValue] = ["dateTime": .string(time.text)]
        if let zone { out["timeZone"] = .string(zone) }
        return .object(out)
    }

    /// An Event resource as the shared event shape.
    /// - Throws: `service_error` naming the field Google sent that cannot be read.
    package static func event(from json: JSONValue, calendarZone: ICalZone) throws -> CalendarEvent {
        guard let id = json["id"]?.stringValue else {
            throw IntegrationError(code: .serviceError, message: "Google sent an event without an id")
        }
        func time(_ key: String) throws -> EventTime {
            guard let value = json[key] else {
                throw IntegrationError(code: .serviceError, message: "Google sent event \(id) without \(key)")
            }
            do {
                if let date = value["date"]?.stringValue {
                    let parsed = try EventInput.time(date, field: key, tzid: nil)
                    return try EventTime(parsed.value, calendarZone: calendarZone)
                }
                guard let text = value["dateTime"]?.stringValue else {
                    throw IntegrationError(code: .serviceError, message: "event \(id)'s \(key) has no date or dateTime")
                }
                let zone = value["timeZone"]?.stringValue.flatMap { ICalZone.system($0) != nil ? $0 : nil }
                return try EventInput.time(text, field: key, tzid: zone == "UTC" ? nil : zone)
            } catch let error as IntegrationError {
                throw IntegrationError(code: .serviceError, message: "Google sent event \(id): \(error.message)")
            }
        }
        let start = try time("start")
        let end = try time("end")
        var timeZone: String?
        if case .zoned(_, let tzid) = start.value { timeZone = tzid }
        return CalendarEvent(
            id: id,
            summary: json["summary"]?.stringValue,
            description: json["description"]?.stringValue,
            location: json["location"]?.stringValue,
            start: start,
            end: end,
            timeZone: timeZone,
            attendees: json["attendees"]?.arrayValue?.compactMap { $0["email"]?.stringValue } ?? [],
            recurrence: json["recurrence"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            recurringEventID: json["recurringEventId"]?.stringValue,
            status: json["status"]?.stringValue ?? "confirmed",
            transparency: json["transparency"]?.stringValue ?? "opaque",
            etag: json["etag"]?.stringValue
        )
    }

    /// Google's own error classes: 403 `rateLimitExceeded` / `userRateLimitExceeded` and 429 are `rate_limited`
    /// (retried with backoff, even for an insert: nothing was done), other 403s `forbidden`, 404 and 410 `not_found`, 409 and 412 `conflict`; the
    /// message is Google's.
    package static func error(_ status: Int, body: Data, retryAfter: Duration?) -> IntegrationError {
        let json = try? JSONValue.parse(body)
        let reason = json?["error"]?["errors"]?.arrayValue?.first?["reason"]?.stringValue ?? ""
        let message = json?["error"]?["message"]?.stringValue ?? "HTTP \(status)"
        let text = "Google Calendar: \(message)" + (reason.isEmpty ? "" : " (\(reason))")
        if status == 429 || (status == 403 && ["rateLimitExceeded", "userRateLimitExceeded"].contains(reason)) {
            // Refused before anything was done: safe to send again, even an insert without an idempotency key.
            return IntegrationError(
                code: .rateLimited,
                message: text,
                transience: .notSent,
                retryAfter: retryAfter,
                status: status
            )
        }
        var error = IntegrationError.status(status, message: text, retryAfter: retryAfter)
        if status == 403 { error.hint = "the account lacks access to this calendar, or the API is not enabled" }
        return error
    }
}
