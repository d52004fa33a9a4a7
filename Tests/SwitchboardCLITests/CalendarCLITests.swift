import Foundation
import SwitchboardTesting
import Testing

/// `switchboard calendar` on the embedded local calendar, and `switchboard ical expand`.
@Suite struct CalendarCLITests {
    @Test func createListAvailableAndSlotsOnTheEmbeddedCalendar() async throws {
        let scratch = Scratch()
        let common = ["--data-dir", scratch.path + "/data"]
        let environment = ["TZ": "Europe/Berlin"]
        let create = [
            "calendar", "create", "--summary", "Review", "--start", "2026-12-03T15:00:00+01:00", "--end",
            "2026-12-03T15:30:00+01:00", "--attendee", "alice@example.com", "--idempotency-key", "review-1",
        ]
        let first = try await CLI.call(create + common, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("created: 2026-12-03T15:00:00+01:00"), "\(first.stdout)")
        let again = try await CLI.call(create + common + ["--json"], environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains(#""created":false"#))
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/data/calendar")
        #expect(files.filter { $0.hasSuffix(".ics") }.count == 1, "a repeated create leaves one event")

        let weekly = try await CLI.call(
            [
                "calendar", "create", "--summary", "Standup", "--start", "2026-11-30T09:00:00", "--end",
                "2026-11-30T09:15:00", "--time-zone", "Europe/Berlin", "--rrule", "FREQ=DAILY;COUNT=10",
            ] + common,
            environment: environment
        )
        #expect(weekly.status == 0, "\(weekly.stderr)")
        let list = try await CLI.call(
            ["calendar", "list", "--from", "2026-12-03T00:00:00+01:00", "--to", "2026-12-04T00:00:00+01:00", "--json"]
                + common,
            environment: environment
        )
        #expect(list.status == 0, "\(list.stderr)")
        let listed = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any]
        let items = listed?["items"] as? [[String: Any]] ?? []
        #expect(Array(listed?.keys ?? [:].keys) == ["items"], "list --json prints exactly {\"items\": [...]}")
        #expect(items.compactMap { $0["summary"] as? String } == ["Standup", "Review"])
        #expect(items.first?["start"] as? String == "2026-12-03T09:00:00+01:00")

        let busy = try await CLI.call(
            ["calendar", "available", "--start", "2026-12-03T15:15:00+01:00", "--end", "2026-12-03T16:00:00+01:00"]
                + common,
            environment: environment
        )
        #expect(busy.status == 0)
        #expect(busy.stdout.contains("not available") && busy.stdout.contains("Review"), "\(busy.stdout)")
        let slots = try await CLI.call(
            [
                "calendar", "slots", "--duration", "30", "--from", "2026-12-03T09:00:00+01:00", "--to",
                "2026-12-04T00:00:00+01:00", "--count", "2", "--json",
            ] + common,
            environment: environment
        )
        #expect(slots.status == 0, "\(slots.stderr)")
        #expect(
            slots.stdout
                == #"{"slots":[{"end":"2026-12-03T09:45:00+01:00","start":"2026-12-03T09:15:00+01:00"},{"end":"2026-12-03T10:15:00+01:00","start":"2026-12-03T09:45:00+01:00"}]}"#
                + "\n"
        )
        let freeBusy = try await CLI.call(
            ["calendar", "free-busy", "--from", "2026-12-03", "--to", "2026-12-04", "--json"] + common,
            environment: environment
        )
        #expect(freeBusy.stdout.contains(#""start":"2026-12-03T15:00:00+01:00""#), "\(freeBusy.stdout)")

        let bad = try await CLI.call(
            [
                "calendar", "create", "--summary", "x", "--start", "2026-12-03T15:00:00Z", "--end",
                "2026-12-03T14:00:00Z",
            ]
                + common,
            environment: environment
        )
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("must be after start"), "\(bad.stderr)")
        // get, update and delete through `call`, with the ETag.
        let created = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        let id = try #require(created?["id"] as? String)
        let etag = try #require(created?["etag"] as? String)
        let got = try await CLI.call(
            ["call", "calendar", "get_event", "--input", #"{"id": "\#(id)"}"#, "--json"] + common,
            environment: environment
        )
        #expect(got.stdout.contains(#""summary":"Review""#), "\(got.stdout) \(got.stderr)")
        let update = [
            "call", "calendar", "update_event", "--input",
            #"{"id": "\#(id)", "etag": "\#(etag)", "summary": "Review (moved)", "start": "2026-12-03T16:00:00+01:00"}"#,
            "--json",
        ]
        let updated = try await CLI.call(update + common, environment: environment)
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(updated.stdout.contains(#""end":"2026-12-03T16:30:00+01:00""#), "the length stays: \(updated.stdout)")
        let stale = try await CLI.call(update + common, environment: environment)
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("conflict") || stale.stderr.contains("changed since"), "\(stale.stderr)")
        let deleted = try await CLI.call(
            ["call", "calendar", "delete_event", "--input", #"{"id": "\#(id)"}"#] + common,
            environment: environment
        )
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let gone = try await CLI.call(
            ["call", "calendar", "get_event", "--input", #"{"id": "\#(id)"}"#] + common,
            environment: environment
        )
        #expect(gone.status == 1 && gone.stderr.contains("no event with id"), "\(gone.stderr)")

        let help = try await CLI.call(["calendar", "create", "--help"])
        #expect(help.stdout.contains("--idempotency-key") && help.stdout.contains("Example"))
    }

    @Test func separateProcessesCreatingWithOneKeyLeaveOneEvent() async throws {
        let scratch = Scratch()
        let arguments = [
            "calendar", "create", "--summary", "Race", "--start", "2026-12-05T10:00:00Z", "--end",
            "2026-12-05T11:00:00Z", "--idempotency-key", "race-1", "--json", "--data-dir", scratch.path + "/data",
        ]
        let results = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
            for _ in 0..<6 { group.addTask { try await CLI.call(arguments) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(results.filter { $0.stdout.contains(#""created":true"#) }.count == 1)
        let ids = Set(
            results.compactMap { result -> String? in
                let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                return object?["id"] as? String
            }
        )
        #expect(ids.count == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/data/calendar")
        #expect(files.filter { $0.hasSuffix(".ics") } == [ids.first! + ".ics"])
        #expect(!files.contains { $0.hasSuffix(".part") }, "no temporary file left: \(files)")
    }

    /// The same commands against Radicale (HTTP) and Xandikos (HTTPS with `ca_file`), from a configuration file.
    @Test(arguments: ["RADICALE", "XANDIKOS"]) func theCommandsWorkAgainstCalDAVServers(_ server: String) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment[server + "_URL"], let user = environment[server + "_USER"],
            let password = environment[server + "_PASSWORD"]
        else {
            Issue.record("\(server)_URL is not set: run the tests with scripts/test (it starts the CalDAV servers)")
            return
        }
        let scratch = Scratch()
        // A calendar of this test's own, made with MKCALENDAR (curl), found by its display name.
        let name = "CLI \(UUID().uuidString.prefix(8))"
        let home = server == "RADICALE" ? "/\(user)/" : "/\(user)/calendars/"
        let slug = name.lowercased().replacingOccurrences(of: " ", with: "-")
        var curl = [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "\(user):\(password)", "-X", "MKCALENDAR",
        ]
        if let ca = environment[server + "_CA_FILE"] { curl += ["--cacert", ca] }
        curl += [
            "-H", "Content-Type: application/xml", "--data",
            #"<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>"#
                + name + "</d:displayname></d:prop></d:set></c:mkcalendar>",
            url + home + slug + "/",
        ]
        let made = try await CLI.shell(#"exec "$@""#, curl, environment: [:])
        #expect(made.stdout == "201", "MKCALENDAR: \(made.stdout) \(made.stderr)")
        let caFile = environment[server + "_CA_FILE"].map { "  ca_file: \($0)\n" } ?? ""
        let config = scratch.write(
            "switchboard.yaml",
            "team:\n  type: caldav\n  base_url: \(url)\n  username: \(user)\n  password: ${DAV_PASSWORD}\n"
                + "  calendar: \"\(name)\"\n  time_zone: Europe/Berlin\n" + caFile
        )
        let env = ["DAV_PASSWORD": password]
        let common = ["--service", "team", "--config", config, "--data-dir", scratch.path + "/data"]
        let key = "cli-\(UUID().uuidString.prefix(8))"
        let create = [
            "calendar", "create", "--summary", "CLI review", "--start", "2027-01-12T15:00:00+01:00", "--end",
            "2027-01-12T15:30:00+01:00", "--idempotency-key", key, "--json",
        ]
        var first = try await CLI.call(create + common, environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(#""created":true"#), "\(first.stdout)")
        first = try await CLI.call(create + common, environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(#""created":false"#), "a repeat finds the event: \(first.stdout)")
        let list = try await CLI.call(
            ["calendar", "list", "--from", "2027-01-12", "--to", "2027-01-13", "--json"] + common,
            environment: env
        )
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.components(separatedBy: "CLI review").count == 2, "one event: \(list.stdout)")
        let busy = try await CLI.call(
            ["calendar", "available", "--start", "2027-01-12T15:15:00+01:00", "--end", "2027-01-12T16:00:00+01:00"]
                + common,
            environment: env
        )
        #expect(busy.stdout.contains("not available"), "\(busy.stdout) \(busy.stderr)")
        let slots = try await CLI.call(
            [
                "calendar", "slots", "--duration", "60", "--from", "2027-01-12T14:00:00+01:00", "--to",
                "2027-01-12T18:00:00+01:00", "--json",
            ] + common,
            environment: env
        )
        #expect(slots.stdout.contains(#""start":"2027-01-12T15:30:00+01:00""#), "\(slots.stdout) \(slots.stderr)")
        let freeBusy = try await CLI.call(
            ["calendar", "free-busy", "--from", "2027-01-12", "--to", "2027-01-13", "--json"] + common,
            environment: env
        )
        #expect(freeBusy.stdout.contains(#""end":"2027-01-12T15:30:00+01:00""#), "\(freeBusy.stdout)")
    }

    static let meeting = """
        BEGIN:VCALENDAR\r
        VERSION:2.0\r
        BEGIN:VEVENT\r
        UID:weekly@example.com\r
        DTSTART;TZID=Europe/Berlin:20260323T090000\r
        DTEND;TZID=Europe/Berlin:20260323T093000\r
        RRULE:FREQ=WEEKLY;COUNT=3\r
        SUMMARY:Planning\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:holiday@example.com\r
        DTSTART;VALUE=DATE:20260401\r
        SUMMARY:Holiday\r
        END:VEVENT\r
        END:VCALENDAR\r

        """

    @Test func icalExpandPrintsInstancesInTheirOwnZone() async throws {
        let scratch = Scratch()
        let file = scratch.write("team.ics", Self.meeting)
        let result = try await CLI.call(
            ["ical", "expand", file, "--from", "2026-03-01", "--to", "2026-05-01", "--json"],
            environment: ["TZ": "America/Los_Angeles"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == #"[{"end":"2026-03-23T09:30:00+01:00","start":"2026-03-23T09:00:00+01:00","uid":"weekly@example.com"},{"end":"2026-03-30T09:30:00+02:00","start":"2026-03-30T09:00:00+02:00","uid":"weekly@example.com"},{"end":"2026-04-02","start":"2026-04-01","uid":"holiday@example.com"},{"end":"2026-04-06T09:30:00+02:00","start":"2026-04-06T09:00:00+02:00","uid":"weekly@example.com"}]"#
                + "\n"
        )
        let first = try await CLI.call([
            "ical", "expand", file, "--from", "2026-03-01", "--to", "2026-05-01", "--max", "1",
        ])
        #expect(
            first.stdout == "2026-03-23T09:00:00+01:00 – 2026-03-23T09:30:00+01:00  Planning  (weekly@example.com)\n"
        )
        let broken = scratch.write(
            "broken.ics",
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:2026\nEND:VEVENT\nEND:VCALENDAR\n"
        )
        let failed = try await CLI.call(["ical", "expand", broken, "--from", "2026-01-01", "--to", "2027-01-01"])
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("broken.ics: line 4"), "\(failed.stderr)")
        let rule = scratch.write(
            "rule.ics",
            "BEGIN:VEVENT\nUID:r\nDTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYWHEN=2\nEND:VEVENT\n"
        )
        let unknown = try await CLI.call(["ical", "expand", rule, "--from", "2026-01-01", "--to", "2027-01-01"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown part 'BYWHEN'"), "\(unknown.stderr)")
    }
}
