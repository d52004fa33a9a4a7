import ArgumentParser
import Foundation
import Switchboard

struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "List, create and find time in a calendar (local, CalDAV or Google Calendar).",
        discussion: """
            The service is `calendar` unless --service names another. With no configuration it is a local \
            calendar: one .ics file per event in <data-dir>/calendar/, in the system's time zone (TZ). Times are \
            RFC 3339 with an offset (2026-12-03T15:00:00+01:00, or ...Z), or dates (2026-12-03) for all-day.

            Examples:
              switchboard calendar create --summary "Review" --start 2026-12-03T15:00:00+01:00 \\
                  --end 2026-12-03T15:30:00+01:00 --attendee alice@example.com --idempotency-key review-1203
              switchboard calendar create --summary "Offsite" --all-day 2026-12-10
              switchboard calendar list --from 2026-12-01T00:00:00Z --to 2026-12-08T00:00:00Z
              switchboard calendar available --start 2026-12-03T15:00:00+01:00 --end 2026-12-03T16:00:00+01:00
              switchboard calendar slots --duration 30 --count 3

            A create with --idempotency-key makes the event's id from the key: repeating it returns the same \
            event and creates nothing (exit 0). Without a key a create is never retried once sent.
            """,
        subcommands: [List.self, Create.self, FreeBusy.self, Available.self, Slots.self]
    )

    struct Common: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The calendar service to use.", valueName: "name"))
        var service = "calendar"

        @Flag(name: .long, help: "Print exactly one JSON document (the operation's output) on stdout.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions
    }

    static func call(_ common: Common, _ operation: String, _ input: JSONValue, key: String? = nil) async throws
        -> JSONValue
    {
        try await ServiceCall.run(
            common.globals,
            service: common.service,
            json: common.json,
            operation,
            input,
            key: key
        )
    }

    static func line(_ event: JSONValue) -> String {
        let start = event["start"]?.stringValue ?? ""
        let end = event["end"]?.stringValue ?? ""
        var text = "\(start) – \(end)  \(event["summary"]?.stringValue ?? "(no title)")"
        if event["status"]?.stringValue == "cancelled" { text += "  [cancelled]" }
        if event["transparency"]?.stringValue == "transparent" { text += "  [free]" }
        return text + "  (\(event["id"]?.stringValue ?? ""))"
    }

    static func problems(_ output: JSONValue) {
        for problem in output["problems"]?.arrayValue ?? [] {
            FileHandle.standardError.write(Data("warning: \(problem.stringValue ?? "")\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Events overlapping [--from, --to), recurring ones expanded, in order.",
            discussion:
                "Example: switchboard calendar list --from 2026-12-01T00:00:00Z --to 2026-12-08T00:00:00Z --json"
        )
        @Option(name: .long, help: ArgumentHelp("Window start (RFC 3339 or a date).", valueName: "iso")) var from:
            String
        @Option(name: .long, help: ArgumentHelp("Window end, exclusive.", valueName: "iso")) var to: String
        @OptionGroup var common: Common

        func run() async throws {
            let output = try await CalendarCommand.call(
                common,
                "list_events",
                ["time_min": .string(from), "time_max": .string(to)]
            )
            CalendarCommand.problems(output)
            guard !common.json else { return }
            let items = output["items"]?.arrayValue ?? []
            if items.isEmpty { print("no events between \(from) and \(to)") }
            for item in items { print(CalendarCommand.line(item)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create an event.",
            discussion: """
                Give --start and --end, or --all-day DATE. A time without an offset needs --time-zone.
                Example: switchboard calendar create --summary Standup --start 2026-12-07T09:00:00 \\
                    --end 2026-12-07T09:15:00 --time-zone Europe/Berlin --rrule "FREQ=WEEKLY;BYDAY=MO,WE,FR"
                """
        )
        @Option(name: .long, help: "The title.") var summary: String
        @Option(name: .long, help: ArgumentHelp("Start (RFC 3339).", valueName: "iso")) var start: String?
        @Option(name: .long, help: ArgumentHelp("End, exclusive (RFC 3339).", valueName: "iso")) var end: String?
        @Option(name: .customLong("all-day"), help: ArgumentHelp("An all-day event on DATE.", valueName: "date"))
        var allDay: String?
        @Option(name: .customLong("time-zone"), help: ArgumentHelp("IANA zone of the times.", valueName: "zone"))
        var timeZone: String?
        @Option(
            name: .customLong("attendee"),
            help: ArgumentHelp("An attendee's address (repeatable).", valueName: "addr")
        )
        var attendees: [String] = []
        @Option(name: .long, help: "Where.") var location: String?
        @Option(name: .long, help: "Details.") var description: String?
        @Option(name: .long, help: ArgumentHelp("A recurrence rule, such as FREQ=WEEKLY;COUNT=10.", valueName: "rule"))
        var rrule: String?
        @Option(
            name: .customLong("idempotency-key"),
            help: "Makes the create repeatable: the same key, the same event."
        )
        var idempotencyKey: String?
        @OptionGroup var common: Common

        func validate() throws {
            if allDay != nil && (start != nil || end != nil) {
                throw ValidationError("give either --all-day DATE or --start and --end, not both")
            }
            if allDay == nil && (start == nil || end == nil) {
                throw ValidationError("give --start and --end (or --all-day DATE)")
            }
        }

        func run() async throws {
            var input: [String: JSONValue] = ["summary": .string(summary)]
            if let allDay {
                input["start"] = .string(allDay)
            } else {
                input["start"] = start.map { .string($0) }
                input["end"] = end.map { .string($0) }
            }
            if let timeZone { input["time_zone"] = .string(timeZone) }
            if !attendees.isEmpty { input["attendees"] = .array(attendees.map { .string($0) }) }
            if let location { input["location"] = .string(location) }
            if let description { input["description"] = .string(description) }
            if let rrule {
                let rule = rrule.uppercased().hasPrefix("RRULE:") ? rrule : "RRULE:" + rrule
                input["recurrence"] = [.string(rule)]
            }
            let output = try await CalendarCommand.call(common, "create_event", .object(input), key: idempotencyKey)
            guard !common.json else { return }
            let verb = output["created"]?.boolValue == false ? "exists already" : "created"
            print("\(verb): \(CalendarCommand.line(output))")
        }
    }

    struct FreeBusy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "free-busy",
            abstract: "Busy intervals in [--from, --to), merged (cancelled and free events do not count).",
            discussion: "Example: switchboard calendar free-busy --from 2026-12-07 --to 2026-12-12"
        )
        @Option(name: .long, help: ArgumentHelp("Window start.", valueName: "iso")) var from: String
        @Option(name: .long, help: ArgumentHelp("Window end, exclusive.", valueName: "iso")) var to: String
        @OptionGroup var common: Common

        func run() async throws {
            let output = try await CalendarCommand.call(
                common,
                "free_busy",
                ["time_min": .string(from), "time_max": .string(to)]
            )
            CalendarCommand.problems(output)
            guard !common.json else { return }
            let busy = output["busy"]?.arrayValue ?? []
            if busy.isEmpty { print("free from \(from) to \(to)") }
            for interval in busy {
                print("busy \(interval["start"]?.stringValue ?? "") – \(interval["end"]?.stringValue ?? "")")
            }
        }
    }

    struct Available: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "available",
            abstract: "Whether [--start, --end) is free; lists what is in the way. Exit 0 either way.",
            discussion:
                "Example: switchboard calendar available --start 2026-12-03T15:00:00Z --end 2026-12-03T16:00:00Z"
        )
        @Option(name: .long, help: ArgumentHelp("Slot start.", valueName: "iso")) var start: String
        @Option(name: .long, help: ArgumentHelp("Slot end, exclusive.", valueName: "iso")) var end: String
        @OptionGroup var common: Common

        func run() async throws {
            let output = try await CalendarCommand.call(
                common,
                "check_availability",
                ["start": .string(start), "end": .string(end)]
            )
            guard !common.json else { return }
            if output["available"]?.boolValue == true {
                print("available: \(start) – \(end) is free")
            } else {
                print("not available; in the way:")
                for event in output["conflicts"]?.arrayValue ?? [] { print("  " + CalendarCommand.line(event)) }
            }
        }
    }

    struct Slots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slots",
            abstract: "The first free slots of --duration minutes within working hours (Mon–Fri 09:00–17:00).",
            discussion: """
                The window defaults to the next 14 days from now; slots start on quarter hours.
                Example: switchboard calendar slots --duration 45 --from 2026-12-07 --to 2026-12-12 --count 5
                """
        )
        @Option(name: .long, help: ArgumentHelp("Length in minutes.", valueName: "min")) var duration: Int
        @Option(name: .long, help: ArgumentHelp("Window start (default now).", valueName: "iso")) var from: String?
        @Option(name: .long, help: ArgumentHelp("Window end (default 14 days later).", valueName: "iso")) var to:
            String?
        @Option(name: .long, help: "How many slots.") var count = 3
        @Option(name: .customLong("time-zone"), help: ArgumentHelp("Zone of the working hours.", valueName: "zone"))
        var timeZone: String?
        @OptionGroup var common: Common

        func run() async throws {
            var input: [String: JSONValue] = ["duration_minutes": .int(duration), "count": .int(count)]
            if let from { input["time_min"] = .string(from) }
            if let to { input["time_max"] = .string(to) }
            if let timeZone { input["time_zone"] = .string(timeZone) }
            let output = try await CalendarCommand.call(common, "find_free_slots", .object(input))
            guard !common.json else { return }
            let slots = output["slots"]?.arrayValue ?? []
            if slots.isEmpty { print("no free slot of \(duration) minutes in the window") }
            for slot in slots { print("\(slot["start"]?.stringValue ?? "") – \(slot["end"]?.stringValue ?? "")") }
        }
    }
}
