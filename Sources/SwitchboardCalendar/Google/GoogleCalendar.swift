import Foundation
import SwitchboardCore
import SwitchboardHTTP

/// Google Calendar API v3 (the seed's `google_calendar_config.yaml`): `events.insert` with our own event id (so a
/// repeat answers 409 and the event is fetched instead of made twice), `events.get`, `events.patch` and
/// `events.delete` with `If-Match`, `events.list` with `singleEvents=true` and `orderBy=startTime` following every
/// `nextPageToken`, and `freebusy.query`. OAuth2 user credentials and service accounts come from the HTTP module.
public struct GoogleCalendar: CalendarService {
    public let timeZone: ICalZone
    let settings: HTTPServiceSettings
    let transport: HTTPTransport
    let authenticator: any Authenticator
    /// `primary` unless configured.
    let calendarID: String
    let ownsTransport: Bool

    public init(
        settings: HTTPServiceSettings,
        transport: HTTPTransport,
        authenticator: any Authenticator,
        calendarID: String = "primary",
        timeZone: ICalZone,
        ownsTransport: Bool = false
    ) {
        self.settings = settings
        self.transport = transport
        self.authenticator = authenticator
        self.calendarID = calendarID
        self.timeZone = timeZone
        self.ownsTransport = ownsTransport
    }

    public func shutdown() async throws {
        if ownsTransport { try await transport.shutdown() }
    }

    static func component(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    var eventsPath: String { "calendars/\(Self.component(calendarID))/events" }

    func send(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: JSONValue? = nil
    ) async throws -> TransportResponse {
        var headers = headers + [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try await transport.send(
            TransportRequest(
                method: method,
                url: try settings.url(path: path, query: query),
                headers: headers,
                body: body.map { TransportBody(Data($0.jsonString().utf8)) }
            ),
            settings: settings,
            authenticator: authenticator,
            statusError: { response in
                GoogleEventJSON.error(
                    response.status,
                    body: response.body,
                    retryAfter: response.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
                )
            }
        )
    }

    func json(_ response: TransportResponse) throws -> JSONValue {
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw IntegrationError(code: .serviceError, message: "Google Calendar sent a body that is not JSON")
        }
    }

    // MARK: CalendarService

    public func create(_ event: CalendarEvent, now: Int64) async throws -> (event: CalendarEvent, created: Bool) {
        do {
            let response = try await send("POST", eventsPath, body: GoogleEventJSON.body(for: event, includeID: true))
            return (try GoogleEventJSON.event(from: try json(response), calendarZone: timeZone), true)
        } catch let error as IntegrationError where error.code == .conflict {
            // 409: our id exists already (an earlier attempt whose answer was lost, or another process).
            return (try await get(id: event.id), false)
        }
    }

    public func get(id: String) async throws -> CalendarEvent {
        try EventInput.checkID(id)
        let response = try await send("GET", eventsPath + "/" + Self.component(id))
        return try GoogleEventJSON.event(from: try json(response), calendarZone: timeZone)
    }

    public func update(
        id: String,
        etag: String?,
        now: Int64,
        _ change: @Sendable (CalendarEvent) throws -> CalendarEvent
    ) async throws -> CalendarEvent {
        let current = try await get(id: id)
        if let etag, etag != current.etag {
            throw CalDAVCalendar.stale(id, etag, current.etag ?? "", "nothing was written")
        }
        var changed = try change(current)
        changed.id = id
        let response = try await send(
            "PATCH",
            eventsPath + "/" + Self.component(id),
            headers: (current.etag).map { [("If-Match", $0)] } ?? [],
            body: GoogleEventJSON.body(for: changed, includeID: false)
        )
        return try GoogleEventJSON.event(from: try json(response), calendarZone: timeZone)
    }

    public func delete(id: String, etag: String?) async throws {
        try EventInput.checkID(id)
        _ = try await send(
            "DELETE",
            eventsPath + "/" + Self.component(id),
            headers: etag.map { [("If-Match", $0)] } ?? []
        )
    }

    public func events(from: Int64, to: Int64) async throws -> EventListing {
        var items: [CalendarEvent] = []
        var problems: [String] = []
        var pageToken: String?
        var pages = 0
        repeat {
            var query = [
                ("timeMin", Availability.text(from, zone: .utc)), ("timeMax", Availability.text(to, zone: .utc)),
                ("singleEvents", "true"), ("orderBy", "startTime"), ("maxResults", "2500"),
            ]
            if let pageToken { query.append(("pageToken", pageToken)) }
            let page = try json(try await send("GET", eventsPath, query: query))
            for item in page["items"]?.arrayValue ?? [] {
                do {
                    items.append(try GoogleEventJSON.event(from: item, calendarZone: timeZone))
                } catch let error as IntegrationError {
                    problems.append(error.message)
                }
            }
            pageToken = page["nextPageToken"]?.stringValue
            pages += 1
            guard pages <= 1_000 else {
                throw IntegrationError(code: .serviceError, message: "Google Calendar sent more than 1,000 pages")
            }
        } while pageToken != nil
        items.sort { ($0.start.instant, $0.end.instant, $0.id) < ($1.start.instant, $1.end.instant, $1.id) }
        return EventListing(items: items, problems: problems)
    }

    public func busy(from: Int64, to: Int64) async throws -> [(Int64, Int64)]? {
        let body: JSONValue = [
            "timeMin": .string(Availability.text(from, zone: .utc)),
            "timeMax": .string(Availability.text(to, zone: .utc)), "items": [["id": .string(calendarID)]],
        ]
        let answer = try json(try await send("POST", "freeBusy", body: body))
        guard let calendar = answer["calendars"]?[calendarID] else {
            throw IntegrationError(code: .serviceError, message: "freebusy.query answered without \(calendarID)")
        }
        if let errors = calendar["errors"]?.arrayValue, let first = errors.first {
            throw IntegrationError(
                code: .serviceError,
                message: "freebusy.query: \(first["reason"]?.stringValue ?? "error") for \(calendarID)"
            )
        }
        return try (calendar["busy"]?.arrayValue ?? []).map { interval in
            let start = try EventInput.time(interval["start"]?.stringValue ?? "", field: "busy.start", tzid: nil)
            let end = try EventInput.time(interval["end"]?.stringValue ?? "", field: "busy.end", tzid: nil)
            return (start.instant, end.instant)
        }
    }
}
