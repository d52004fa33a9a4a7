import Foundation
import SwitchboardCalendar
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing

/// The Google adapter's own duties, against the local stand-in: one event however the insert's answer is lost or
/// rate-limited, every page once, Google's error classes.
@Suite struct GoogleCalendarTests {
    static func withGoogle<Result>(
        _ faults: GoogleCalendarAPI.Faults,
        calendarID: String = "primary",
        _ body: (IntegrationManager, GoogleCalendarTestServer) async throws -> Result
    ) async throws -> Result {
        let google = try await GoogleCalendarTestServer(faults: faults)
        let transport = HTTPTransport()
        let http = HTTPAdapters(transport: transport, tokenStore: InMemoryTokenStore())
        defer {
            Task {
                try? await transport.shutdown()
                try? await google.shutdown()
            }
        }
        return try await ServiceHarness.withServices(
            [CalendarAdapters.family(http: http)],
            yaml: { _ in
                """
                google_calendar:
                  base_url: \(google.baseURL)
                  auth_type: bearer
                  token: ${GOOGLE_TOKEN}
                  calendar_id: \(calendarID)
                integrations:
                  google_calendar: {retry_attempts: 5, backoff_base_ms: 1, backoff_cap_ms: 4}
                """
            },
            environment: ["GOOGLE_TOKEN": GoogleCalendarAPI.token],
            prefix: "google"
        ) { manager, _ in try await body(manager, google) }
    }

    static let event: JSONValue = [
        "summary": "Planning", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T10:00:00Z",
        "attendees": ["alice@example.com"],
    ]

    static func create(_ manager: IntegrationManager, key: String?) async throws -> JSONValue {
        try await manager.execute(
            service: "google_calendar",
            operation: "create_event",
            input: event,
            options: IntegrationManager.Options(idempotencyKey: key)
        )
    }

    @Test func aLostInsertAnswerAndRateLimitsLeaveExactlyOneEvent() async throws {
        try await Self.withGoogle(.init(loseFirstInsertResponse: true, rateLimitEvery: 3)) { manager, google in
            let created = try await Self.create(manager, key: "planning-1210")
            let again = try await Self.create(manager, key: "planning-1210")
            #expect(created["id"] == again["id"])
            #expect(again["created"] == false)
            #expect(google.events.count == 1, "\(google.events)")
            #expect(google.events.first?["summary"] == "Planning")
            #expect(google.rejected.isEmpty, "\(google.rejected)")
            // The id Google was given is the key's, in base32hex.
            #expect(google.events.first?["id"] == created["id"])
        }
    }

    @Test func withoutAKeyALostInsertIsNotSentAgain() async throws {
        try await Self.withGoogle(.init(loseFirstInsertResponse: true)) { manager, google in
            await #expect(throws: IntegrationError.self) { try await Self.create(manager, key: nil) }
            #expect(google.events.count == 1, "the insert was made once and not repeated")
        }
    }

    @Test func everyPageIsReadOnceThoughOneFails() async throws {
        try await Self.withGoogle(.init(pageSize: 2, failPageOnce: "2")) { manager, google in
            for day in 1...5 {
                _ = try await manager.execute(
                    service: "google_calendar",
                    operation: "create_event",
                    input: [
                        "summary": .string("Day \(day)"), "start": .string("2026-12-0\(day)T09:00:00Z"),
                        "end": .string("2026-12-0\(day)T10:00:00Z"),
                    ],
                    options: IntegrationManager.Options(idempotencyKey: "day-\(day)")
                )
            }
            let listed = try await manager.execute(
                service: "google_calendar",
                operation: "list_events",
                input: ["time_min": "2026-12-01T00:00:00Z", "time_max": "2026-12-08T00:00:00Z"]
            )
            #expect(
                listed["items"]?.arrayValue?.compactMap { $0["summary"]?.stringValue }
                    == ["Day 1", "Day 2", "Day 3", "Day 4", "Day 5"]
            )
            #expect(google.rejected.isEmpty, "\(google.rejected)")
        }
    }

    @Test func googleErrorsAreClassified() async throws {
        try await Self.withGoogle(.init()) { manager, _ in
            await #expect {
                try await manager.execute(service: "google_calendar", operation: "get_event", input: ["id": "abcdefgh"])
            } throws: { error in (error as? IntegrationError)?.code == .notFound }
        }
        let forbidden = GoogleEventJSON.error(
            403,
            body: Data(#"{"error":{"errors":[{"reason":"forbidden"}],"code":403,"message":"Forbidden"}}"#.utf8),
            retryAfter: nil
        )
        #expect(forbidden.code == .forbidden && forbidden.transience == .never)
        for reason in ["rateLimitExceeded", "userRateLimitExceeded"] {
            let limited = GoogleEventJSON.error(
                403,
                body: Data(#"{"error":{"errors":[{"reason":"\#(reason)"}],"code":403,"message":"Rate Limit"}}"#.utf8),
                retryAfter: nil
            )
            #expect(limited.code == .rateLimited && limited.transience == .notSent)
        }
        #expect(GoogleEventJSON.error(429, body: Data(), retryAfter: nil).code == .rateLimited)
        #expect(GoogleEventJSON.error(410, body: Data(), retryAfter: nil).code == .notFound)
        #expect(GoogleEventJSON.error(412, body: Data(), retryAfter: nil).code == .conflict)
        #expect(GoogleEventJSON.error(409, body: Data(), retryAfter: nil).code == .conflict)
    }

    @Test func anErrorThatQuotesTheCredentialNeverShowsIt() async throws {
        let server = try await TestHTTPServer { request in
            let echoed = request.header("Authorization") ?? ""
            return .json(403, #"{"error":{"errors":[{"reason":"forbidden"}],"code":403,"message":"bad \#(echoed)"}}"#)
        }
        let transport = HTTPTransport()
        let http = HTTPAdapters(transport: transport, tokenStore: InMemoryTokenStore())
        do {
            try await ServiceHarness.withServices(
                [CalendarAdapters.family(http: http)],
                yaml: { _ in
                    "google_calendar:\n  base_url: \(server.baseURL)/calendar/v3\n  auth_type: bearer\n  token: ${T}\n"
                },
                environment: ["T": "very-secret-token-42"]
            ) { manager, _ in
                await #expect {
                    try await manager.execute(
                        service: "google_calendar",
                        operation: "get_event",
                        input: ["id": "abcdef"]
                    )
                } throws: { error in
                    guard let error = error as? IntegrationError else { return false }
                    return error.code == .forbidden
                        && !"\(error) \(error.debugDescription)".contains("very-secret-token-42")
                }
            }
            try await transport.shutdown()
            try await server.shutdown()
        } catch {
            try? await transport.shutdown()
            try? await server.shutdown()
            throw error
        }
    }

    @Test func theStandInRefusesWhatTheDocumentDoesNotAllow() async throws {
        let api = try GoogleCalendarAPI(timeZone: .utc)
        func answer(_ method: String, _ uri: String, _ body: String = "") -> Int {
            let request = TestHTTPServer.Request(
                method: method,
                uri: uri,
                headers: [("Authorization", "Bearer \(GoogleCalendarAPI.token)")],
                body: Data(body.utf8)
            )
            guard case .respond(let status, _, _) = api.handle(request) else { return 0 }
            return status
        }
        let good =
            #"{"id":"abcde12345","start":{"dateTime":"2026-12-10T09:00:00Z"},"end":{"dateTime":"2026-12-10T10:00:00Z"}}"#
        #expect(answer("POST", "/calendar/v3/calendars/primary/events", good) == 200)
        #expect(answer("POST", "/calendar/v3/calendars/primary/events?colour=red", good) == 400)
        let readOnly = good.replacingOccurrences(of: #"{"id""#, with: #"{"htmlLink":"x","id""#)
        #expect(answer("POST", "/calendar/v3/calendars/primary/events", readOnly) == 400)
        #expect(
            answer(
                "POST",
                "/calendar/v3/calendars/primary/events",
                good.replacingOccurrences(of: "abcde12345", with: "UPPER_CASE")
            ) == 400
        )
        #expect(answer("GET", "/calendar/v3/calendars/primary/nothing") == 400)
        #expect(answer("GET", "/calendar/v3/calendars/primary/events?singleEvents=yes") == 400)
    }
}
