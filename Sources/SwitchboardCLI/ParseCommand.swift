import ArgumentParser
import Foundation
import Switchboard
import Synchronization

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Understand one English request (or a stream of them) and print what it means as JSON.",
        discussion: """
            Prints one JSON object with exactly these keys: intent (schedule, send_email or unknown), start, end \
            (ISO 8601 with the zone's offset, or null), date_only, duration_minutes, title, attendees, location, \
            to, cc, bcc, subject, body, attachments, errors. A request that cannot be understood exactly gets \
            errors ({field, code, message}) instead of guesses. Exit code 0 whenever it answered.

            Times are read relative to --now (default: the current time) in --timezone (an IANA name; default: \
            the offset of --now, else the system's zone). Names resolve through `contacts:` in the configuration; \
            `language.date_order: mdy | dmy | ask` decides how 3/5 reads. See docs/LANGUAGE.md.

            Examples:
              switchboard parse "schedule 30 minutes with alice@example.com tomorrow at 3pm"
              switchboard parse "next Tuesday at 3pm" --now 2026-03-05T10:00:00-05:00 --timezone America/New_York
              echo '{"text": "email bob@example.com saying hi", "now": "2026-03-05T10:00:00Z"}' | switchboard parse --jsonl
            """
    )

    @Argument(help: "The request. Omit it with --jsonl.")
    var text: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The reference time, ISO 8601 (with an offset, or in --timezone).", valueName: "time")
    )
    var now: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The request's IANA time zone, such as Europe/Paris or Etc/GMT+5.", valueName: "zone")
    )
    var timezone: String?

    @Flag(
        name: .long,
        help: "Read JSON lines {\"text\", \"now\", \"timezone\"} from stdin; write one result line for each, in order."
    )
    var jsonl = false

    @OptionGroup(title: "Global options")
    var globals: GlobalOptions

    func run() throws {
        let parser = TaskParser(configuration: try LanguageSection.parserConfiguration(try globals.loadConfiguration()))
        if jsonl {
            if text != nil { throw CLIError.usage("give the request as an argument or use --jsonl, not both") }
            Self.stream(parser: parser, defaultNow: now, defaultZone: timezone)
            return
        }
        guard let text else {
            throw CLIError.usage(
                "give the request to parse, such as: switchboard parse \"lunch with bob@example.com tomorrow at noon\""
            )
        }
        let (date, zone, problem) = Self.reference(now: now, timezone: timezone)
        if let problem { throw CLIError.usage(problem) }
        print(parser.parse(text, now: date, timeZone: zone).json())
    }

    /// The reference time and zone, or a message saying which of them is wrong.
    static func reference(now: String?, timezone: String?) -> (Date, TimeZone, String?) {
        var zone = TimeZone.current
        var explicitZone = false
        if let timezone {
            guard let named = TimeZone(identifier: timezone) else {
                return (
                    Date(), zone,
                    "unknown time zone \(timezone): use an IANA name such as Europe/Paris, America/New_York or Etc/GMT+5"
                )
            }
            zone = named
            explicitZone = true
        }
        guard let now else { return (Date(), zone, nil) }
        guard let (date, offset) = ReferenceTime.parse(now, zone: zone) else {
            return (
                Date(), zone, "cannot read the time \(now): write it as ISO 8601, such as 2026-03-05T10:00:00-05:00"
            )
        }
        if !explicitZone, let offset, let fixed = TimeZone(secondsFromGMT: offset) { zone = fixed }
        return (date, zone, nil)
    }

    /// JSON lines in, one result line out for each, flushed whenever the input has nothing more ready.
    static func stream(parser: TaskParser, defaultNow: String?, defaultZone: String?) {
        var output = [UInt8]()
        output.reserveCapacity(1 << 16)
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        func flush() {
            var offset = 0
            while offset < output.count {
                let n = output.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, output.count - offset) }
                if n <= 0 { if errno == EINTR { continue }; Glibc.exit(0) }
                offset += n
            }
            output.removeAll(keepingCapacity: true)
        }
        func handle(_ line: ArraySlice<UInt8>) {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let result = answer(Data(line), parser: parser, defaultNow: defaultNow, defaultZone: defaultZone)
            output.append(contentsOf: result.utf8)
            output.append(UInt8(ascii: "\n"))
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            pending.append(contentsOf: buffer[0..<n])
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                handle(pending[start..<newline])
                start = newline + 1
            }
            pending.removeFirst(start)
            flush()
        }
        if !pending.isEmpty { handle(pending[...]) }
        flush()
    }

    /// Reference times already read in this stream.
    static let references = Mutex<[String: (Date, TimeZone, String?)]>([:])

    static func answer(_ line: Data, parser: TaskParser, defaultNow: String?, defaultZone: String?) -> String {
        func invalid(_ message: String) -> String {
            var task = ParsedTask()
            task.errors = [ParseIssue(field: "input", code: "invalid_input", message: message)]
            return task.json()
        }
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch {
            return invalid("the line is not a JSON object: \((error as? IntegrationError)?.message ?? "\(error)")")
        }
        guard case .object(let fields) = value else { return invalid("the line is not a JSON object") }
        guard case .string(let text)? = fields["text"] else { return invalid("the line has no \"text\" string") }
        var now = defaultNow
        if let field = fields["now"] {
            guard case .string(let s) = field else { return invalid("\"now\" must be an ISO 8601 string") }
            now = s
        }
        var zone = defaultZone
        if let field = fields["timezone"], field != .null {
            guard case .string(let s) = field else { return invalid("\"timezone\" must be an IANA zone name") }
            zone = s
        }
        let key = (now ?? "") + "\u{0}" + (zone ?? "")
        let resolved: (Date, TimeZone, String?)
        if let cached = references.withLock({ $0[key] }) {
            resolved = cached
        } else {
            resolved = reference(now: now, timezone: zone)
            // A stream usually repeats a few reference times; without `now`, the clock moves, so no caching.
            if now != nil { references.withLock { if $0.count < 256 { $0[key] = resolved } } }
        }
        let (date, timeZone, problem) = resolved
        if let problem { return invalid(problem) }
        return parser.parse(text, now: date, timeZone: timeZone).json()
    }
}
