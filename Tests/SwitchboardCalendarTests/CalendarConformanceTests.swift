import Foundation
import SwitchboardCalendar
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing

/// What every calendar adapter must do alike: one event per idempotency key, ETags, expansion, availability.
/// Runs on the local calendar; the CalDAV and Google adapters join the same suite when they land.
@Suite struct CalendarConformanceTests {
    enum Backend: String, CaseIterable {
        case local, radicale, xandikos, google

        /// The server's URL, user, password and CA file from `scripts/services` (a missing server fails the test).
        func server() throws -> (url: String, user: String, password: String, caFile: String?) {
            let environment = ProcessInfo.processInfo.environment
            let prefix = rawValue.uppercased()
            guard let url = environment[prefix + "_URL"], let user = environment[prefix + "_USER"],
                let password = environment[prefix + "_PASSWORD"]
            else {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "\(prefix)_URL is not set: run the tests with scripts/test (it starts \(rawValue))"
                )
            }
            return (url, user, password, environment[prefix + "_CA_FILE"])
        }

        /// A manager whose service `cal` is a fresh calendar on this backend (its own collection, made with
        /// MKCALENDAR, found by discovery through its display name).
        func withManager<Result>(_ body: (IntegrationManager, String) async throws -> Result) async throws -> Result {
            if self == .local {
                return try await ServiceHarness.withServices(
                    [CalendarAdapters.family()],
                    yaml: { directory in
                        "cal:\n  type: local_calendar\n  path: \(directory)/cal\n  time_zone: Europe/Berlin\n"
                    },
                    prefix: "calendar"
                ) { manager, directory in try await body(manager, directory) }
            }
            if self == .google {
                // The local Google stand-in, paging by two and answering every fifth call 403 rateLimitExceeded.
                let google = try await GoogleCalendarTestServer(
                    faults: .init(rateLimitEvery: 5, pageSize: 2),
                    timeZone: "Europe/Berlin"
                )
                defer { Task { try? await google.shutdown() } }
                let result = try await Self.withNetworkServices(
                    yaml: """
                        cal:
                          type: google_calendar
                          base_url: \(google.baseURL)
                          auth_type: bearer
                          token: ${GOOGLE_TOKEN}
                          time_zone: Europe/Berlin
                        integrations:
                          cal: {retry_attempts: 6, backoff_base_ms: 1, backoff_cap_ms: 4}
                        """,
                    environment: ["GOOGLE_TOKEN": GoogleCalendarAPI.token],
                    body
                )
                #expect(google.rejected.isEmpty, "requests the API does not allow: \(google.rejected)")
                return result
            }
            let server = try server()
            let name = "Conformance \(UUID().uuidString.prefix(8))"
            try await Self.makeCalendar(
                server,
                named: name,
                user: server.user,
                home: self == .radicale ? "/\(server.user)/" : "/\(server.user)/calendars/"
            )
            return try await Self.withNetworkServices(
                yaml: """
                    cal:
                      type: caldav
                      base_url: \(server.url)
                      username: \(server.user)
                      password: ${CALDAV_PASSWORD}
                      calendar: "\(name)"
                      time_zone: Europe/Berlin
                    \(server.caFile.map { "  ca_file: \($0)" } ?? "")
                    """,
                environment: ["CALDAV_PASSWORD": server.password],
                body
            )
        }

        /// The harness with a transport of the test's own, shut down afterwards.
        static func withNetworkServices<Result>(
            yaml: String,
            environment: [String: String],
            _ body: (IntegrationManager, String) async throws -> Result
        ) async throws -> Result {
            let transport = HTTPTransport()
            let http = HTTPAdapters(transport: transport, tokenStore: InMemoryTokenStore())
            do {
                let result = try await ServiceHarness.withServices(
                    [CalendarAdapters.family(http: http)],
                    yaml: { _ in yaml },
                    environment: environment,
                    prefix: "calendar"
                ) { manager, directory in try await body(manager, directory) }
                try await transport.shutdown()
                return result
            } catch {
                try? await transport.shutdown()
                throw error
            }
        }

        /// MKCALENDAR `<home><slug>/` with a display name.
        static func makeCalendar(
            _ server: (url: String, user: String, password: String, caFile: String?),
            named name: String,
            user: String,
            home: String
        ) async throws {
            let transport = HTTPTransport()
            defer { Task { try? await transport.shutdown() } }
            var settings = try HTTPServiceSettings(service: "setup", baseURL: server.url)
            settings.caFile = server.caFile
            let authenticator = try AuthenticationSettings.basic(username: user, password: Secret(server.password))
                .makeAuthenticator(
                    service: "setup",
                    transport: transport,
                    store: InMemoryTokenStore(),
                    caFile: server.caFile
                )
            let slug = name.lowercased().replacingOccurrences(of: " ", with: "-")
            let body = """
                <?xml version="1.0" encoding="utf-8"?>
                <c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>\
                <d:displayname>\(name)</d:displayname></d:prop></d:set></c:mkcalendar>
                """
            let response = try await transport.send(
                TransportRequest(
                    method: "MKCALENDAR",
                    url: server.url + home + slug + "/",
                    headers: [("Content-Type", "application/xml")],
                    body: TransportBody(bytes: Array(body.utf8))
                ),
                settings: settings,
                authenticator: authenticator
            )
            #expect(response.status == 201, "MKCALENDAR answered \(response.status)")
            try await transport.shutdown()
        }
    }

    static func call(
        _ manager: IntegrationManager,
        _ operation: String,
        _ input: JSONValue,
        key: String? = nil
    ) async throws -> JSONValue {
        try await manager.execute(
            service: "cal",
            operation: operation,
            input: input,
            options: IntegrationManager.Options(idempotencyKey: key)
        )
    }

    @Test(arguments: Backend.allCases) func aRepeatedCreateWithTheSameKeyLeavesOneEvent(_ backend: Backend) async throws
    {
        try await backend.withManager { manager, directory in
            let event: JSONValue = [
                "summary": "Review, Q3; budget", "start": "2026-12-03T15:00:00+01:00",
                "end": "2026-12-03T15:30:00+01:00", "attendees": ["alice@example.com"],
                "time_zone": "Europe/Berlin",
            ]
            let first = try await Self.call(manager, "create_event", event, key: "review-1203")
            #expect(first["created"] == true)
            #expect(first["summary"] == "Review, Q3; budget")
            #expect(first["start"] == "2026-12-03T15:00:00+01:00")
            #expect(first["time_zone"] == "Europe/Berlin")
            let id = try #require(first["id"]?.stringValue)
            #expect(id.count == 52 && id.allSatisfy { "0123456789abcdefghijklmnopqrstuv".contains($0) })
            // Again, and from many tasks at once: still one event, the same id.
            try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Self.call(manager, "create_event", event, key: "review-1203") }
                }
                for try await again in group {
                    #expect(again["id"]?.stringValue == id)
                    #expect(again["created"] == false)
                }
            }
            if backend == .local {
                let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/cal")
                #expect(files.filter { $0.hasSuffix(".ics") } == [id + ".ics"])
            }
            let listed = try await Self.call(
                manager,
                "list_events",
                ["time_min": "2026-12-01T00:00:00Z", "time_max": "2026-12-08T00:00:00Z"]
            )
            #expect(listed["items"]?.arrayValue?.count == 1)
            // Without a key: a new event each time.
            let other = try await Self.call(manager, "create_event", event)
            #expect(other["id"]?.stringValue != id)
        }
    }

    @Test(arguments: Backend.allCases) func updatesAndDeletesCheckTheETag(_ backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let created = try await Self.call(
                manager,
                "create_event",
                ["summary": "Draft", "start": "2026-12-04T09:00:00Z", "end": "2026-12-04T10:00:00Z"],
                key: "etag-test"
            )
            let id = try #require(created["id"]?.stringValue)
            let etag = try #require(created["etag"]?.stringValue)
            let updated = try await Self.call(
                manager,
                "update_event",
                ["id": .string(id), "summary": "Final", "etag": .string(etag), "location": "Room 4"]
            )
            #expect(updated["summary"] == "Final")
            #expect(updated["location"] == "Room 4")
            #expect(updated["start"] == "2026-12-04T10:00:00+01:00", "fields not given stay (in the calendar's zone)")
            #expect(updated["etag"]?.stringValue != etag)
            await #expect {
                try await Self.call(
                    manager,
                    "update_event",
                    ["id": .string(id), "summary": "Lost", "etag": .string(etag)]
                )
            } throws: { error in (error as? IntegrationError)?.code == .conflict }
            let fetched = try await Self.call(manager, "get_event", ["id": .string(id)])
            #expect(fetched["summary"] == "Final", "a stale ETag overwrote nothing")
            // Moving the start keeps the length.
            let moved = try await Self.call(
                manager,
                "update_event",
                ["id": .string(id), "start": "2026-12-04T11:00:00Z"]
            )
            #expect(moved["end"] == "2026-12-04T13:00:00+01:00")
            await #expect {
                try await Self.call(manager, "update_event", ["id": .string(id), "end": "2026-12-04T10:00:00Z"])
            } throws: { error in (error as? IntegrationError)?.message.contains("must be after start") == true }
            await #expect {
                try await Self.call(manager, "delete_event", ["id": .string(id), "etag": .string(etag)])
            } throws: { error in (error as? IntegrationError)?.code == .conflict }
            _ = try await Self.call(manager, "delete_event", ["id": .string(id)])
            await #expect {
                try await Self.call(manager, "get_event", ["id": .string(id)])
            } throws: { error in (error as? IntegrationError)?.code == .notFound }
            await #expect {
                try await Self.call(manager, "get_event", ["id": "../../etc/passwd"])
            } throws: { error in (error as? IntegrationError)?.code == .notFound }
        }
    }

    @Test(arguments: Backend.allCases) func availabilitySeesAllDayAndRecurringEventsButNotCancelledOrFreeOnes(
        _ backend: Backend
    ) async throws {
        try await backend.withManager { manager, _ in
            // Mon 2026-12-07 is all-day busy; a weekly 10:00 Berlin meeting on Tue and Thu; a cancelled and a free
            // event on Wednesday.
            _ = try await Self.call(manager, "create_event", ["summary": "Offsite", "start": "2026-12-07"])
            _ = try await Self.call(
                manager,
                "create_event",
                [
                    "summary": "Sync", "start": "2026-11-03T10:00:00", "end": "2026-11-03T11:00:00",
                    "time_zone": "Europe/Berlin", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU,TH"],
                ]
            )
            _ = try await Self.call(
                manager,
                "create_event",
                [
                    "summary": "Called off", "start": "2026-12-09T10:00:00+01:00", "end": "2026-12-09T11:00:00+01:00",
                    "status": "cancelled",
                ]
            )
            _ = try await Self.call(
                manager,
                "create_event",
                [
                    "summary": "Lunch (free)", "start": "2026-12-09T12:00:00+01:00",
                    "end": "2026-12-09T13:00:00+01:00", "transparency": "transparent",
                ]
            )
            func available(_ start: String, _ end: String) async throws -> (Bool, [String]) {
                let out = try await Self.call(
                    manager,
                    "check_availability",
                    ["start": .string(start), "end": .string(end)]
                )
                return (
                    out["available"]?.boolValue ?? false,
                    out["conflicts"]?.arrayValue?.compactMap { $0["summary"]?.stringValue } ?? []
                )
            }
            #expect(
                try await available("2026-12-07T14:00:00+01:00", "2026-12-07T15:00:00+01:00") == (false, ["Offsite"])
            )
            #expect(try await available("2026-12-08T10:30:00+01:00", "2026-12-08T10:45:00+01:00") == (false, ["Sync"]))
            #expect(try await available("2026-12-08T11:00:00+01:00", "2026-12-08T12:00:00+01:00") == (true, []))
            #expect(try await available("2026-12-09T10:00:00+01:00", "2026-12-09T13:00:00+01:00") == (true, []))

            let listed = try await Self.call(
                manager,
                "list_events",
                ["time_min": "2026-12-07T00:00:00+01:00", "time_max": "2026-12-12T00:00:00+01:00"]
            )
            let items = listed["items"]?.arrayValue ?? []
            #expect(
                items.compactMap { $0["summary"]?.stringValue } == [
                    "Offsite", "Sync", "Called off", "Lunch (free)", "Sync",
                ]
            )
            let instance = items[1]
            #expect(instance["start"] == "2026-12-08T10:00:00+01:00")
            #expect(instance["recurring_event_id"]?.stringValue?.isEmpty == false)
            let byID = try await Self.call(manager, "get_event", ["id": instance["id"]!])
            #expect(byID["start"] == "2026-12-08T10:00:00+01:00", "an instance is found by its id")

            let busy = try await Self.call(
                manager,
                "free_busy",
                ["time_min": "2026-12-07T00:00:00+01:00", "time_max": "2026-12-11T00:00:00+01:00"]
            )
            #expect(
                busy["busy"]
                    == [
                        ["start": "2026-12-07T00:00:00+01:00", "end": "2026-12-08T00:00:00+01:00"],
                        ["start": "2026-12-08T10:00:00+01:00", "end": "2026-12-08T11:00:00+01:00"],
                        ["start": "2026-12-10T10:00:00+01:00", "end": "2026-12-10T11:00:00+01:00"],
                    ]
            )
            let slots = try await Self.call(
                manager,
                "find_free_slots",
                [
                    "duration_minutes": 60, "time_min": "2026-12-07T00:00:00+01:00",
                    "time_max": "2026-12-12T00:00:00+01:00", "count": 3,
                    "working_hours": ["start": "09:00", "end": "12:00", "days": ["mon", "tue"]],
                ]
            )
            #expect(
                slots["slots"]
                    == [
                        ["start": "2026-12-08T09:00:00+01:00", "end": "2026-12-08T10:00:00+01:00"],
                        ["start": "2026-12-08T11:00:00+01:00", "end": "2026-12-08T12:00:00+01:00"],
                    ]
            )
        }
    }

    @Test(arguments: Backend.allCases) func badInputIsRefusedNamingTheField(_ backend: Backend) async throws {
        try await backend.withManager { manager, directory in
            func refused(_ input: JSONValue, _ text: String) async {
                await #expect {
                    try await Self.call(manager, "create_event", input)
                } throws: { error in
                    guard let error = error as? IntegrationError else { return false }
                    return error.code == .invalidInput && error.message.contains(text)
                }
            }
            await refused(["start": "2026-12-03T15:00:00Z", "end": "2026-12-03T14:00:00Z"], "must be after start")
            await refused(
                ["start": "2026-12-03T15:00:00", "end": "2026-12-03T16:00:00", "time_zone": "Mars/Olympus"],
                "time_zone 'Mars/Olympus'"
            )
            await refused(["start": "3 Dec 2026", "end": "2026-12-03T16:00:00Z"], "start '3 Dec 2026'")
            await refused(
                ["start": "2026-12-03T15:00:00Z", "end": "2026-12-03T16:00:00Z", "attendees": ["bob@"]],
                "attendees[0] 'bob@'"
            )
            await refused(
                [
                    "start": "2026-12-03T15:00:00Z", "end": "2026-12-03T16:00:00Z",
                    "recurrence": ["RRULE:FREQ=DAILY;BYFOO=1"],
                ],
                "unknown part 'BYFOO'"
            )
            // A malformed file is reported with its line; the other events are still listed. (CalDAV servers
            // refuse to store one, so this part is the local calendar's.)
            guard backend == .local else { return }
            _ = try await Self.call(
                manager,
                "create_event",
                ["summary": "Fine", "start": "2026-12-03T15:00:00Z", "end": "2026-12-03T16:00:00Z"]
            )
            try "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:bad\nDTSTART:notadate\nEND:VEVENT\nEND:VCALENDAR\n"
                .write(toFile: directory + "/cal/bad.ics", atomically: true, encoding: .utf8)
            let listed = try await Self.call(
                manager,
                "list_events",
                ["time_min": "2026-12-01T00:00:00Z", "time_max": "2026-12-08T00:00:00Z"]
            )
            #expect(listed["items"]?.arrayValue?.compactMap { $0["summary"]?.stringValue } == ["Fine"])
            let problem = listed["problems"]?.arrayValue?.first?.stringValue ?? ""
            #expect(problem.contains("bad.ics") && problem.contains("line 4"), "\(problem)")
        }
    }
}
