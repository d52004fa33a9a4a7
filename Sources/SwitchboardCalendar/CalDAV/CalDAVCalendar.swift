import Foundation
import SwitchboardCore
import SwitchboardHTTP
import Synchronization

/// A calendar on a CalDAV server (RFC 4791): Radicale, Xandikos, Nextcloud, iCloud, Fastmail and others.
///
/// The calendar is found once by discovery (or given as `calendar_url`). Events are resources `<id>.ics`:
/// a create is `PUT` with `If-None-Match: *`, so a repeat (412) finds the event already stored; updates and
/// deletes send `If-Match`; listing is a `calendar-query` REPORT with a time range, whose results are expanded
/// here, the same way as for every other calendar.
///
/// Busy time is computed from that listing, not with a `free-busy-query` REPORT: Radicale and Xandikos (checked)
/// place all-day and floating events in UTC there (an all-day event on 7 December is busy 00:00Z–24:00Z, not the
/// day in the calendar's `time_zone`), which would count the wrong hours.
public struct CalDAVCalendar: CalendarService {
    public let timeZone: ICalZone
    let client: CalDAVClient
    let calendarName: String?
    let calendarURL: String?
    let ownsTransport: Bool
    private let resolved = Resolved()

    final class Resolved: Sendable {
        let href = Mutex<String?>(nil)
    }

    /// - Parameters:
    ///   - calendar: A display name or a path; nil for the first calendar found.
    ///   - calendarURL: The calendar collection itself (no discovery).
    ///   - ownsTransport: Whether ``shutdown()`` shuts `transport` down (it was made for this calendar alone).
    public init(
        settings: HTTPServiceSettings,
        transport: HTTPTransport,
        authenticator: any Authenticator,
        calendar: String?,
        calendarURL: String?,
        timeZone: ICalZone,
        ownsTransport: Bool = false
    ) {
        self.ownsTransport = ownsTransport
        client = CalDAVClient(settings: settings, transport: transport, authenticator: authenticator)
        calendarName = calendar
        self.calendarURL = calendarURL
        self.timeZone = timeZone
    }

    /// The calendar collection's path, ending in `/`.
    func collection() async throws -> String {
        if let href = resolved.href.withLock({ $0 }) { return href }
        var href: String
        if let calendarURL {
            href = CalDAVClient.path(of: calendarURL)
        } else {
            href = try await CalDAVDiscovery(client: client).calendar(named: calendarName)
        }
        if !href.hasSuffix("/") { href += "/" }
        let found = href
        resolved.href.withLock { $0 = found }
        return found
    }

    func resourceURL(_ id: String) async throws -> String {
        try EventInput.checkID(id)
        return client.url(try await collection() + id + ".ics")
    }

    /// The resource of `id`, or nil when the server has none.
    func fetch(_ id: String) async throws -> EventResource? {
        let url = try await resourceURL(id)
        let response: TransportResponse
        do {
            response = try await client.send("GET", url, headers: [("Accept", "text/calendar")])
        } catch let error as IntegrationError where error.code == .notFound {
            return nil
        }
        return try EventResource(
            id: id,
            bytes: [UInt8](response.body),
            etag: response.header("ETag") ?? "",
            location: url
        )
    }

    // MARK: CalendarService

    public func shutdown() async throws {
        if ownsTransport { try await client.transport.shutdown() }
    }

    public func create(_ event: CalendarEvent, now: Int64) async throws -> (event: CalendarEvent, created: Bool) {
        let url = try await resourceURL(event.id)
        let bytes = try EventResource.bytes(of: event, over: nil, now: now)
        do {
            _ = try await client.send(
                "PUT",
                url,
                headers: [("If-None-Match", "*")],
                body: bytes,
                contentType: "text/calendar; charset=utf-8"
            )
        } catch let error as IntegrationError where error.code == .conflict {
            // 412: an event with this id exists (an earlier attempt of this call, or another process).
            guard let existing = try await fetch(event.id) else { throw error }
            return (try existing.event(zone: timeZone), false)
        }
        guard let stored = try await fetch(event.id) else {
            throw IntegrationError(
                code: .serviceError,
                message: "\(url) was created but cannot be read back",
                transience: .never
            )
        }
        return (try stored.event(zone: timeZone), true)
    }

    public func get(id: String) async throws -> CalendarEvent {
        if let resource = try await fetch(id) { return try resource.event(zone: timeZone) }
        if let (seriesID, start) = EventResource.instanceParts(of: id), let series = try await fetch(seriesID),
            let instance = try series.instance(id, near: start, zone: timeZone)
        {
            return instance
        }
        throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
    }

    public func update(
        id: String,
        etag: String?,
        now: Int64,
        _ change: @Sendable (CalendarEvent) throws -> CalendarEvent
    ) async throws -> CalendarEvent {
        guard let existing = try await fetch(id) else {
            throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
        }
        if let etag, etag != existing.etag {
            throw Self.stale(id, etag, existing.etag, "nothing was written")
        }
        var changed = try change(try existing.event(zone: timeZone))
        changed.id = id
        let bytes = try EventResource.bytes(of: changed, over: existing, now: now)
        do {
            _ = try await client.send(
                "PUT",
                try await resourceURL(id),
                headers: existing.etag.isEmpty ? [] : [("If-Match", existing.etag)],
                body: bytes,
                contentType: "text/calendar; charset=utf-8"
            )
        } catch let error as IntegrationError where error.code == .conflict {
            throw Self.stale(id, existing.etag, "a newer one", "nothing was written")
        }
        return try await get(id: id)
    }

    public func delete(id: String, etag: String?) async throws {
        let url = try await resourceURL(id)
        do {
            _ = try await client.send("DELETE", url, headers: etag.map { [("If-Match", $0)] } ?? [])
        } catch let error as IntegrationError where error.code == .conflict {
            throw Self.stale(id, etag ?? "", "a newer one", "it was not deleted")
        } catch let error as IntegrationError where error.code == .notFound {
            throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
        }
    }

    public func events(from: Int64, to: Int64) async throws -> EventListing {
        // Widened by a day: the server places dates and floating times in its own zone.
        func utc(_ instant: Int64) -> String { ICalTime.utc(CivilTime(secondsSinceEpoch: instant)).text }
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>\
            <c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">\
            <c:time-range start="\(utc(from - 86_400))" end="\(utc(to + 86_400))"/></c:comp-filter></c:comp-filter>\
            </c:filter></c:calendar-query>
            """
        let collection = try await collection()
        let tree = try await client.xml("REPORT", client.url(collection), depth: "1", body: body)
        var items: [CalendarEvent] = []
        var problems: [String] = []
        for response in tree.all("response", namespace: CalDAVDiscovery.dav) {
            guard let href = response.value("href", namespace: CalDAVDiscovery.dav).map(CalDAVClient.path(of:)),
                let prop = CalDAVDiscovery.okProp(response),
                let data = prop.value("calendar-data", namespace: CalDAVDiscovery.caldav)
            else { continue }
            var name = href.split(separator: "/").last.map(String.init) ?? href
            name = name.removingPercentEncoding ?? name
            if name.hasSuffix(".ics") { name.removeLast(4) }
            do {
                let resource = try EventResource(
                    id: name,
                    bytes: Array(data.utf8),
                    etag: prop.value("getetag", namespace: CalDAVDiscovery.dav) ?? "",
                    location: client.url(href)
                )
                items += try resource.instances(from: from, to: to, zone: timeZone)
            } catch let error as IntegrationError where error.code == .serviceError {
                problems.append(error.message)
            }
        }
        items.sort { ($0.start.instant, $0.end.instant, $0.id) < ($1.start.instant, $1.end.instant, $1.id) }
        return EventListing(items: items, problems: problems)
    }

    static func stale(_ id: String, _ etag: String, _ now: String, _ outcome: String) -> IntegrationError {
        IntegrationError(
            code: .conflict,
            message: "event \(id) changed since ETag \(etag) (now \(now)); \(outcome)",
            transience: .never,
            hint: "get the event again and apply the change to it"
        )
    }
}
