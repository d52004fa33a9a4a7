import ArgumentParser
import Foundation
import Switchboard

struct ICalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ical",
        abstract: "Work with iCalendar (.ics) files, with no service or configuration.",
        subcommands: [Expand.self]
    )

    struct Expand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "expand",
            abstract: "Every instance of every event in FILE whose start lies in [--from, --to), in order.",
            discussion: """
                Recurrences are expanded in full (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides), in each event's \
                own time zone (its VTIMEZONE, or the IANA zone its TZID names): a weekly 09:00 Europe/Berlin \
                meeting stays at 09:00 across DST. Times print in the event's zone with the offset in force \
                then; floating times have no offset; all-day events print as dates. Floating and all-day \
                instances are windowed as if they were UTC.

                Examples:
                  switchboard ical expand team.ics --from 2026-01-01 --to 2027-01-01
                  switchboard ical expand team.ics --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z --max 10 --json

                --json prints a list of {"uid", "start", "end"}. A malformed file is an error naming its line.
                """
        )
        @Argument(help: "The .ics file (- for standard input).") var file: String
        @Option(name: .long, help: ArgumentHelp("Window start (RFC 3339 or a date, read as UTC).", valueName: "iso"))
        var from: String
        @Option(name: .long, help: ArgumentHelp("Window end, exclusive.", valueName: "iso")) var to: String
        @Option(name: .long, help: ArgumentHelp("Print only the first N instances.", valueName: "n")) var max: Int?
        @Flag(name: .long, help: "Print a JSON list of {uid, start, end}.") var json = false

        func validate() throws {
            if let max, max < 1 { throw ValidationError("--max must be 1 or more") }
        }

        static func instant(_ text: String, option: String) throws -> Int64 {
            do {
                return try EventInput.time(text, field: option, tzid: nil).instant
            } catch let error as IntegrationError {
                throw CLIError.usage(
                    error.message.replacingOccurrences(
                        of: "has no UTC offset; add one (such as +01:00 or Z) or give time_zone",
                        with: "has no UTC offset; add one such as Z"
                    )
                )
            }
        }

        func run() async throws {
            let low = try Self.instant(from, option: "--from")
            let high = try Self.instant(to, option: "--to")
            guard high > low else { throw CLIError.usage("--to must be after --from") }
            let data: Data
            do {
                data = try FileIO.readAll(file, limit: 256 << 20, what: "the iCalendar file")
            } catch let error as IntegrationError {
                throw CLIError.usage(error.message)
            }
            var window = ExpansionWindow(lower: low, upper: high, overlapping: false, limit: max)
            window.maximumInstances = 1_000_000
            let occurrences: [Occurrence]
            do {
                occurrences = try ICalendarDocument(parsing: [UInt8](data)).occurrences(in: window)
            } catch let error as ICalendarError {
                throw CLIError.usage("\(file): \(error.description)")
            }
            if json {
                let list: [JSONValue] = occurrences.map { o in
                    ["uid": .string(o.uid), "start": .string(o.startText), "end": .string(o.endText)]
                }
                print(JSONValue.array(list).jsonString(pretty: false))
                return
            }
            if occurrences.isEmpty { print("no instance starts between \(from) and \(to)") }
            for o in occurrences {
                let summary = o.component.property("SUMMARY")?.textValue ?? "(no title)"
                print("\(o.startText) – \(o.endText)  \(summary)  (\(o.uid))")
            }
        }
    }
}
