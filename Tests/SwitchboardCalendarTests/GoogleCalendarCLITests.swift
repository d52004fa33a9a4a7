import Foundation
import SwitchboardTesting
import Testing

/// `switchboard calendar` against the local Google stand-in, with the seed's google_calendar_config.yaml keys
/// (plus the stand-in's URL and a bearer token), as a user runs it; CI runs it against the release binary too.
@Suite struct GoogleCalendarCLITests {
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String, String) {
        let result = try await CLIRunner.call(arguments, environment: environment)
        return (result.status, result.stdout, result.stderr)
    }

    @Test func theCalendarCommandsWorkAgainstGoogle() async throws {
        let google = try await GoogleCalendarTestServer(
            faults: .init(loseFirstInsertResponse: true, rateLimitEvery: 4, pageSize: 1),
            timeZone: "Europe/Berlin"
        )
        let directory = TemporaryDirectory(prefix: "google-cli")
        defer { directory.remove() }
        let config = directory.write(
            "google_calendar_config.yaml",
            """
            google_calendar:
              service_name: "google_calendar"
              base_url: "\(google.baseURL)"
              auth_type: bearer
              token: ${GOOGLE_TOKEN}
              time_zone: Europe/Berlin
            integrations:
              google_calendar: {retry_attempts: 6, backoff_base_ms: 1, backoff_cap_ms: 4}
            """
        )
        let env = ["GOOGLE_TOKEN": GoogleCalendarAPI.token]
        let common = ["--service", "google_calendar", "--config", config, "--data-dir", directory.path + "/data"]
        let create = [
            "calendar", "create", "--summary", "Budget", "--start", "2026-12-14T10:00:00+01:00", "--end",
            "2026-12-14T11:00:00+01:00", "--attendee", "bob@example.com", "--idempotency-key", "budget-1214",
            "--json",
        ]
        let (status, out, err) = try await Self.run(create + common, environment: env)
        #expect(status == 0, "\(err)")
        #expect(out.contains(#""summary":"Budget""#), "\(out)")
        let (again, againOut, againErr) = try await Self.run(create + common, environment: env)
        #expect(again == 0, "\(againErr)")
        #expect(againOut.contains(#""created":false"#))
        #expect(google.events.count == 1, "one event however the first answer was lost: \(google.events)")
        _ = try await Self.run(
            [
                "calendar", "create", "--summary", "Holiday", "--all-day", "2026-12-15", "--idempotency-key", "h",
            ] + common,
            environment: env
        )
        let (_, list, listErr) = try await Self.run(
            ["calendar", "list", "--from", "2026-12-14", "--to", "2026-12-16", "--json"] + common,
            environment: env
        )
        let items =
            (try? JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any])?["items"] as? [[String: Any]]
        #expect(items?.compactMap { $0["summary"] as? String } == ["Budget", "Holiday"], "\(list) \(listErr)")
        let (_, busy, _) = try await Self.run(
            ["calendar", "free-busy", "--from", "2026-12-14", "--to", "2026-12-16", "--json"] + common,
            environment: env
        )
        #expect(
            busy
                == #"{"busy":[{"end":"2026-12-14T11:00:00+01:00","start":"2026-12-14T10:00:00+01:00"},{"end":"2026-12-16T00:00:00+01:00","start":"2026-12-15T00:00:00+01:00"}]}"#
                + "\n"
        )
        let (_, available, _) = try await Self.run(
            ["calendar", "available", "--start", "2026-12-15T12:00:00+01:00", "--end", "2026-12-15T13:00:00+01:00"]
                + common,
            environment: env
        )
        #expect(available.contains("not available") && available.contains("Holiday"), "\(available)")
        let (_, slots, _) = try await Self.run(
            [
                "calendar", "slots", "--duration", "30", "--from", "2026-12-14T09:00:00+01:00", "--to",
                "2026-12-15T00:00:00+01:00", "--count", "2", "--json",
            ]
                + common,
            environment: env
        )
        #expect(
            slots.contains(#""start":"2026-12-14T09:00:00+01:00""#)
                && slots.contains(#""start":"2026-12-14T09:30:00+01:00""#),
            "\(slots)"
        )
        #expect(google.rejected.isEmpty, "\(google.rejected)")
        try await google.shutdown()
    }
}
