import Foundation
import SwitchboardTesting
import Testing

@Suite struct ParseCLITests {
    static let keys = [
        "intent", "start", "end", "date_only", "duration_minutes", "title", "attendees", "location", "to", "cc", "bcc",
        "subject", "body", "attachments", "errors",
    ]

    @Test func parsePrintsOneObjectWithExactlyTheKeys() async throws {
        let result = try await CLI.call([
            "parse", "schedule 30 minutes with alice@example.com next Tuesday at 3pm about Q3 planning", "--now",
            "2026-03-04T10:00:00-05:00", "--timezone", "America/New_York",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == Set(Self.keys))
        #expect(object["intent"] as? String == "schedule")
        #expect(object["start"] as? String == "2026-03-10T15:00:00-04:00")
        #expect(object["end"] as? String == "2026-03-10T15:30:00-04:00")
        #expect(object["title"] as? String == "Q3 planning")
    }

    @Test func withNoZoneTheOffsetOfNowIsUsed() async throws {
        let result = try await CLI.call(["parse", "tomorrow at 9am", "--now", "2026-03-04T23:30:00+05:30"])
        #expect(result.stdout.contains(#""start":"2026-03-05T09:00:00+05:30""#), "\(result.stdout)")
        let bad = try await CLI.call(["parse", "tomorrow", "--timezone", "Mars/Olympus"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("Mars/Olympus"))
    }

    @Test func jsonlAnswersEveryLineInOrderAndSurvivesBadLines() async throws {
        let input = """
            {"text": "lunch with bob@example.com tomorrow at noon", "now": "2026-03-04T10:00:00+01:00"}
            this is not json
            {"text": "in 2 hours", "now": "2026-03-04T10:00:00Z", "timezone": "Etc/GMT+5"}
            {"now": "2026-03-04T10:00:00Z"}
            {"text": "email carol saying hi", "now": "2026-03-04T10:00:00Z"}
            """
        let result = try await CLI.call(["parse", "--jsonl"], stdin: input + "\n")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 5)
        #expect(objects[0]["start"] as? String == "2026-03-05T12:00:00+01:00")
        #expect((objects[1]["errors"] as? [[String: Any]])?.first?["code"] as? String == "invalid_input")
        #expect(objects[1]["intent"] as? String == "unknown")
        #expect(Set(objects[1].keys) == Set(Self.keys))
        #expect(objects[2]["start"] as? String == "2026-03-04T07:00:00-05:00")
        #expect((objects[3]["errors"] as? [[String: Any]])?.first?["field"] as? String == "input")
        #expect((objects[4]["errors"] as? [[String: Any]])?.first?["code"] as? String == "unknown_contact")
    }

    @Test func contactsAndDateOrderComeFromTheConfiguration() async throws {
        let scratch = Scratch()
        scratch.write(
            "switchboard.yaml",
            """
            contacts:
              alice: alice@example.com
            language:
              date_order: ask
            """
        )
        let known = try await CLI.call([
            "parse", "meet alice tomorrow at 3pm", "--config", scratch.path + "/switchboard.yaml", "--now",
            "2026-03-04T10:00:00Z",
        ])
        #expect(known.stdout.contains(#""attendees":["alice@example.com"]"#), "\(known.stdout) \(known.stderr)")
        let ambiguous = try await CLI.call([
            "parse", "meet alice on 3/5 at 3pm", "--config", scratch.path + "/switchboard.yaml", "--now",
            "2026-03-04T10:00:00Z",
        ])
        #expect(ambiguous.stdout.contains("ambiguous_date"))
    }
}
