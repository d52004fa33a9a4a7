import Foundation
import SwitchboardCore
import SwitchboardTesting
import Synchronization

@testable import SwitchboardCalendar

/// A local stand-in for Google Calendar API v3 that implements the documented requests the adapter makes
/// (events.insert, get, patch, delete, list with singleEvents, freebusy.query) and rejects, with Google's 400
/// error, anything the discovery document does not allow: an unknown method or path, a query parameter the method
/// does not take, a read-only or unknown event field in a body, a bad event id, a time without an offset.
/// Faults on request: lose the response of the first insert (processed, then the connection drops), answer some
/// calls 403 `rateLimitExceeded`, fail one page of a list with 500.
struct GoogleCalendarTestServer: Sendable {
    let api: GoogleCalendarAPI
    let server: TestHTTPServer

    /// - Parameter timeZone: The calendar's zone, where all-day events lie.
    init(faults: GoogleCalendarAPI.Faults = .init(), timeZone: String = "UTC") async throws {
        let api = try GoogleCalendarAPI(faults: faults, timeZone: ICalZone.system(timeZone) ?? .utc)
        self.api = api
        server = try await TestHTTPServer { request in api.handle(request) }
    }

    var baseURL: String { server.baseURL + "/calendar/v3" }
    /// The stored events (series, not instances).
    var events: [JSONValue] { api.events }
    /// Requests refused as the discovery document does not allow them.
    var rejected: [String] { api.rejected }

    func shutdown() async throws { try await server.shutdown() }
}

/// What the test server answers.
final class GoogleCalendarAPI: Sendable {
    struct Faults: Sendable {
        var loseFirstInsertResponse = false
        /// Every Nth request (before it is processed) is answered 403 rateLimitExceeded; 0 for none.
        var rateLimitEvery = 0
        /// Items per list page.
        var pageSize = 2
        /// The page token whose first request fails with 500.
        var failPageOnce: String?
    }

    struct State {
        var events: [String: JSONValue] = [:]
        var order: [String] = []
        var etag = 0
        var requests = 0
        var insertsAnswered = 0
        var failedPages: Set<String> = []
        var rejected: [String] = []
    }

    let state = Mutex(State())
    let faults: Faults
    let discovery: JSONValue
    static let token = "google-test-token"

    let zone: ICalZone

    init(faults: Faults = Faults(), timeZone: ICalZone) throws {
        self.faults = faults
        zone = timeZone
        let url = ICalendarParserTests.fixtures.appendingPathComponent("google-calendar/calendar.v3.discovery.json")
        discovery = try JSONValue.parse(try Data(contentsOf: url))
    }

    /// The stored events (series, not instances).
    var events: [JSONValue] { state.withLock { s in s.order.compactMap { s.events[$0] } } }
    /// Requests refused as the discovery document does not allow them.
    var rejected: [String] { state.withLock { $0.rejected } }

    // MARK: Answers

    static func error(_ status: Int, _ reason: String, _ message: String) -> TestHTTPServer.Action {
        .json(
            status,
            JSONValue.object([
                "error": [
                    "errors": [["domain": "global", "reason": .string(reason), "message": .string(message)]],
                    "code": .int(status), "message": .string(message),
                ]
            ]).jsonString()
        )
    }

    func reject(_ message: String) -> TestHTTPServer.Action {
        state.withLock { $0.rejected.append(message) }
        return Self.error(400, "invalid", message)
    }

    func handle(_ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        guard request.header("Authorization") == "Bearer \(Self.token)" else {
            return Self.error(401, "authError", "Invalid Credentials")
        }
        let count = state.withLock { s -> Int in
            s.requests += 1
            return s.requests
        }
        guard request.path.hasPrefix("/calendar/v3/") else { return reject("no API at \(request.path)") }
        let path = String(request.path.dropFirst("/calendar/v3/".count))
        guard let (name, method, parameters) = match(request.method, path) else {
            return reject("\(request.method) \(path) is not a method of Calendar API v3")
        }
        // Query parameters: the method's own and the global ones, nothing else.
        let globals = Set(discovery["parameters"]?.objectValue?.keys.map { $0 } ?? [])
        let allowed = Set(
            (method["parameters"]?.objectValue ?? [:]).filter { $0.value["location"]?.stringValue == "query" }.keys
        ).union(globals)
        for (key, value) in request.query {
            guard allowed.contains(key) else { return reject("\(name) takes no query parameter \(key)") }
            if let problem = checkParameter(method["parameters"]?[key], key: key, value: value) {
                return reject(problem)
            }
        }
        if faults.rateLimitEvery > 0 && count % faults.rateLimitEvery == 0 {
            return Self.error(403, "rateLimitExceeded", "Rate Limit Exceeded")
        }
        switch name {
        case "events.insert": return insert(request)
        case "events.get": return get(parameters["eventId"] ?? "")
        case "events.patch": return patch(parameters["eventId"] ?? "", request)
        case "events.delete": return delete(parameters["eventId"] ?? "", request)
        case "events.list": return list(request)
        case "freebusy.query": return freeBusy(request)
        default: return Self.error(501, "notImplemented", "\(name) is not implemented by the test server")
        }
    }

    /// The documented method for `httpMethod` and `path`, with the path's parameters.
    func match(_ httpMethod: String, _ path: String) -> (String, JSONValue, [String: String])? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (resource, value) in discovery["resources"]?.objectValue ?? [:] {
            for (methodName, method) in value["methods"]?.objectValue ?? [:] {
                guard method["httpMethod"]?.stringValue == httpMethod,
                    let template = method["path"]?.stringValue?.split(separator: "/").map(String.init),
                    template.count == segments.count
                else { continue }
                var parameters: [String: String] = [:]
                var matches = true
                for (part, segment) in zip(template, segments) {
                    if part.hasPrefix("{") {
                        parameters[String(part.dropFirst().dropLast())] = segment.removingPercentEncoding ?? segment
                    } else if part != segment {
                        matches = false
                        break
                    }
                }
                if matches { return ("\(resource).\(methodName)", method, parameters) }
            }
        }
        return nil
    }

    func checkParameter(_ spec: JSONValue?, key: String, value: String) -> String? {
        guard let spec else { return nil }
        if spec["type"]?.stringValue == "boolean" && value != "true" && value != "false" {
            return "\(key) must be true or false"
        }
        if spec["type"]?.stringValue == "integer" && Int(value) == nil { return "\(key) must be an integer" }
        if let options = spec["enum"]?.arrayValue?.compactMap(\.stringValue), !options.contains(value) {
            return "\(key) must be one of \(options)"
        }
        if spec["format"]?.stringValue == "date-time" && !Self.hasOffset(value) {
            return "\(key) must be an RFC 3339 time with an offset"
        }
        return nil
    }

    static func hasOffset(_ text: String) -> Bool {
        text.count >= 20
            && (text.hasSuffix("Z") || text.dropLast(6).count >= 19 && "+-".contains(text.dropLast(5).last!))
    }

    /// Refuses read-only and unknown fields, per the discovery document's Event, EventDateTime and EventAttendee.
    func checkEventBody(_ body: JSONValue, insert: Bool) -> String? {
        guard case .object(let fields) = body else { return "the body is not an Event object" }
        func writable(_ schema: String) -> Set<String> {
            let properties = discovery["schemas"]?[schema]?["properties"]?.objectValue ?? [:]
            return Set(
                properties.filter { _, value in
                    let text = (value["description"]?.stringValue ?? "").lowercased()
                    return !text.contains("read-only") && value["readOnly"]?.boolValue != true
                }.keys
            )
        }
        let eventFields = writable("Event")
        for key in fields.keys where !eventFields.contains(key) { return "Event field \(key) is read-only or unknown" }
        if insert {
            guard let id = fields["id"]?.stringValue, (5...1024).contains(id.count),
                id.allSatisfy({ "0123456789abcdefghijklmnopqrstuv".contains($0) })
            else { return "Invalid resource id value." }
        }
        for key in ["start", "end"] {
            guard let time = fields[key] else {
                if insert { return "Missing \(key) time." }
                continue
            }
            let timeFields = writable("EventDateTime")
            for field in time.objectValue?.keys.map({ $0 }) ?? [] where !timeFields.contains(field) {
                return "EventDateTime field \(field) is unknown"
            }
            if let text = time["dateTime"]?.stringValue, !Self.hasOffset(text), time["timeZone"] == nil {
                return "\(key).dateTime needs an offset or a timeZone"
            }
            if !(fields["recurrence"]?.arrayValue?.isEmpty ?? true), time["dateTime"] != nil, time["timeZone"] == nil {
                return "Missing time zone definition for \(key) time."
            }
        }
        let attendeeFields = writable("EventAttendee")
        for attendee in fields["attendees"]?.arrayValue ?? [] {
            for field in attendee.objectValue?.keys.map({ $0 }) ?? [] where !attendeeFields.contains(field) {
                return "EventAttendee field \(field) is read-only or unknown"
            }
        }
        return nil
    }

    func stored(_ body: JSONValue, id: String, etag: Int, created: String?) -> JSONValue {
        guard case .object(var fields) = body else { return body }
        fields["id"] = .string(id)
        fields["kind"] = "calendar#event"
        fields["etag"] = .string("\"\(etag)\"")
        fields["htmlLink"] = .string("https://www.google.com/calendar/event?eid=\(id)")
        fields["created"] = .string(created ?? "2026-12-01T00:00:00.000Z")
        fields["updated"] = "2026-12-01T00:00:00.000Z"
        fields["creator"] = ["email": "owner@example.com", "self": true]
        fields["organizer"] = ["email": "owner@example.com", "self": true]
        if fields["status"] == nil { fields["status"] = "confirmed" }
        for (key, value) in fields where value == .null { fields[key] = nil }
        return .object(fields)
    }

    func insert(_ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        guard let body = try? JSONValue.parse(request.body) else { return reject("the body is not JSON") }
        if let problem = checkEventBody(body, insert: true) { return reject(problem) }
        let id = body["id"]?.stringValue ?? ""
        let (answer, lose) = state.withLock { s -> (TestHTTPServer.Action, Bool) in
            if s.events[id] != nil {
                return (Self.error(409, "duplicate", "The requested identifier already exists."), false)
            }
            s.etag += 1
            let event = stored(body, id: id, etag: s.etag, created: nil)
            s.events[id] = event
            s.order.append(id)
            s.insertsAnswered += 1
            return (.json(200, event.jsonString()), faults.loseFirstInsertResponse && s.insertsAnswered == 1)
        }
        return lose ? .close : answer
    }

    func get(_ id: String) -> TestHTTPServer.Action {
        if let event = state.withLock({ $0.events[id] }) { return .json(200, event.jsonString()) }
        if let instance = instance(id) { return .json(200, instance.jsonString()) }
        return Self.error(404, "notFound", "Not Found")
    }

    func patch(_ id: String, _ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        guard let body = try? JSONValue.parse(request.body) else { return reject("the body is not JSON") }
        if let problem = checkEventBody(body, insert: false) { return reject(problem) }
        return state.withLock { s in
            guard case .object(var fields)? = s.events[id] else { return Self.error(404, "notFound", "Not Found") }
            if let match = request.header("If-Match"), match != fields["etag"]?.stringValue {
                return Self.error(412, "conditionNotMet", "Precondition Failed")
            }
            for (key, value) in body.objectValue ?? [:] { fields[key] = value }
            s.etag += 1
            let event = stored(.object(fields), id: id, etag: s.etag, created: fields["created"]?.stringValue)
            s.events[id] = event
            return .json(200, event.jsonString())
        }
    }

    func delete(_ id: String, _ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        state.withLock { s in
            guard let event = s.events[id] else { return Self.error(404, "notFound", "Not Found") }
            if let match = request.header("If-Match"), match != event["etag"]?.stringValue {
                return Self.error(412, "conditionNotMet", "Precondition Failed")
            }
            s.events[id] = nil
            s.order.removeAll { $0 == id }
            return .respond(status: 204, headers: [], body: Data())
        }
    }

    /// Every event and every instance of a recurring one, as singleEvents=true lists them, in [from, to).
    func singleEvents(from: Int64, to: Int64) -> [(CalendarEvent, JSONValue)] {
        var out: [(CalendarEvent, JSONValue)] = []
        for json in events {
            guard let event = try? GoogleEventJSON.event(from: json, calendarZone: zone) else { continue }
            if event.recurrence.isEmpty {
                if event.start.instant < to && event.end.instant > from { out.append((event, json)) }
                continue
            }
            guard let bytes = try? EventResource.bytes(of: event, over: nil, now: 0),
                let resource = try? EventResource(id: event.id, bytes: bytes, etag: "", location: "server"),
                let instances = try? resource.instances(from: from, to: to, zone: zone)
            else { continue }
            for var instance in instances {
                instance.status = event.status
                guard case .object(var fields) = GoogleEventJSON.body(for: instance, includeID: true) else { continue }
                fields["recurringEventId"] = .string(event.id)
                fields["recurrence"] = nil
                fields["etag"] = json["etag"]
                fields["kind"] = "calendar#event"
                out.append((instance, .object(fields)))
            }
        }
        return out.sorted { $0.0.start.instant < $1.0.start.instant }
    }

    func instance(_ id: String) -> JSONValue? {
        guard let (_, start) = EventResource.instanceParts(of: id) else { return nil }
        return singleEvents(from: start - 86_400, to: start + 86_400).first { $0.1["id"]?.stringValue == id }?.1
    }

    func list(_ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        let query = request.query
        guard query["singleEvents"] == "true", query["orderBy"] == "startTime" else {
            return reject("this test server lists with singleEvents=true and orderBy=startTime only")
        }
        guard let min = query["timeMin"].flatMap({ try? EventInput.time($0, field: "timeMin", tzid: nil).instant }),
            let max = query["timeMax"].flatMap({ try? EventInput.time($0, field: "timeMax", tzid: nil).instant })
        else { return reject("timeMin and timeMax are required here") }
        let token = query["pageToken"] ?? "0"
        if token == faults.failPageOnce, state.withLock({ $0.failedPages.insert(token).inserted }) {
            return Self.error(500, "backendError", "Backend Error")
        }
        let all = singleEvents(from: min, to: max)
        let offset = Int(token) ?? 0
        let page = Array(all.dropFirst(offset).prefix(faults.pageSize))
        var answer: [String: JSONValue] = ["kind": "calendar#events", "items": .array(page.map(\.1))]
        if offset + page.count < all.count { answer["nextPageToken"] = .string(String(offset + page.count)) }
        return .json(200, JSONValue.object(answer).jsonString())
    }

    func freeBusy(_ request: TestHTTPServer.Request) -> TestHTTPServer.Action {
        guard let body = try? JSONValue.parse(request.body),
            let min = body["timeMin"]?.stringValue.flatMap({ try? EventInput.time($0, field: "timeMin", tzid: nil) }),
            let max = body["timeMax"]?.stringValue.flatMap({ try? EventInput.time($0, field: "timeMax", tzid: nil) }),
            let id = body["items"]?.arrayValue?.first?["id"]?.stringValue
        else { return reject("freebusy.query needs timeMin, timeMax and items") }
        let busy = Availability.busy(
            singleEvents(from: min.instant, to: max.instant).map(\.0),
            from: min.instant,
            to: max.instant
        )
        let intervals: [JSONValue] = busy.map {
            [
                "start": .string(Availability.text($0.0, zone: .utc)),
                "end": .string(Availability.text($0.1, zone: .utc)),
            ]
        }
        return .json(
            200,
            JSONValue.object([
                "kind": "calendar#freeBusy", "timeMin": .string(min.text), "timeMax": .string(max.text),
                "calendars": .object([id: ["busy": .array(intervals)]]),
            ]).jsonString()
        )
    }
}
