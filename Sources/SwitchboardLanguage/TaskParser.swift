import Foundation

/// What a request asks for.
public enum Intent: String, Sendable {
    case schedule
    case sendEmail = "send_email"
    case unknown
}

/// One English request, understood: intent, time, people and content, or the errors that say what is missing.
public struct ParsedTask: Sendable, Equatable {
    public var intent: Intent = .unknown
    public var start: Date?
    public var end: Date?
    public var dateOnly = false
    public var durationMinutes: Int?
    public var title: String?
    public var attendees: [String] = []
    public var location: String?
    public var to: [String] = []
    public var cc: [String] = []
    public var bcc: [String] = []
    public var subject: String?
    public var body: String?
    public var attachments: [String] = []
    public var errors: [ParseIssue] = []
    /// The zone `start` and `end` are written in.
    public var timeZone: TimeZone = .current

    public init() {}

    /// Exactly the documented keys, in a fixed order, as one line of JSON.
    public func json() -> String {
        var out = JSONBytes()
        out.raw("{\"intent\":\"")
        out.raw(intent.rawValue)
        out.raw("\",\"start\":")
        out.string(start.map { Self.iso($0, timeZone) })
        out.raw(",\"end\":")
        out.string(end.map { Self.iso($0, timeZone) })
        out.raw(dateOnly ? ",\"date_only\":true" : ",\"date_only\":false")
        out.raw(",\"duration_minutes\":")
        out.raw(durationMinutes.map(String.init) ?? "null")
        out.raw(",\"title\":")
        out.string(title)
        out.raw(",\"attendees\":")
        out.list(attendees)
        out.raw(",\"location\":")
        out.string(location)
        out.raw(",\"to\":")
        out.list(to)
        out.raw(",\"cc\":")
        out.list(cc)
        out.raw(",\"bcc\":")
        out.list(bcc)
        out.raw(",\"subject\":")
        out.string(subject)
        out.raw(",\"body\":")
        out.string(body)
        out.raw(",\"attachments\":")
        out.list(attachments)
        out.raw(",\"errors\":[")
        for (index, error) in errors.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{\"field\":")
            out.string(error.field)
            out.raw(",\"code\":")
            out.string(error.code)
            out.raw(",\"message\":")
            out.string(error.message)
            out.raw("}")
        }
        out.raw("]}")
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// A JSON writer into bytes, escaping as RFC 8259 requires.
    struct JSONBytes {
        var bytes: [UInt8] = []
        init() { bytes.reserveCapacity(320) }
        mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }
        mutating func string(_ s: String?) {
            guard let s else { raw("null"); return }
            bytes.append(UInt8(ascii: "\""))
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)],
                    ])
                default: bytes.append(b)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
        mutating func list(_ items: [String]) {
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(item)
            }
            bytes.append(UInt8(ascii: "]"))
        }
    }

    /// ISO 8601 with seconds and the zone's offset at that instant (`2026-03-05T15:00:00-05:00`).
    public static func iso(_ date: Date, _ zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let seconds = local - days * 86400
        let day = Chronology.day(fromOrdinal: days)
        var out = [UInt8]()
        out.reserveCapacity(25)
        func two(_ n: Int) { out.append(UInt8(48 + n / 10 % 10)); out.append(UInt8(48 + n % 10)) }
        let year = day.year
        if year >= 0 && year <= 9999 {
            two(year / 100); two(year % 100)
        } else {
            out.append(contentsOf: String(year).utf8)
        }
        out.append(45); two(day.month); out.append(45); two(day.day)
        out.append(84); two(seconds / 3600); out.append(58); two((seconds % 3600) / 60); out.append(58);
        two(seconds % 60)
        let a = abs(offset)
        out.append(offset < 0 ? 45 : 43)
        two(a / 3600); out.append(58); two((a % 3600) / 60)
        return String(decoding: out, as: UTF8.self)
    }

}

/// Reads English requests relative to a reference time and zone.
public struct TaskParser: Sendable {
    /// How to read `3/5`: month first (default), day first, or refuse to guess.
    public enum DateOrder: String, Sendable { case mdy, dmy, ask }

    public struct Configuration: Sendable {
        public var dateOrder: DateOrder = .mdy
        /// Names to addresses: `alice` → `alice@example.com`.
        public var contacts: [String: String] = [:]
        /// Part-of-day windows in hours `[start, end)`.
        public var windows: [PartOfDay: (start: Int, end: Int)] = [:]
        /// When a meeting in a part of the day starts.
        public var defaultStarts: [PartOfDay: Int] = [:]
        public init() {}
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Longest input read; the rest is ignored with an error.
    public static let maximumLength = 10_000

    public func parse(_ text: String, now: Date, timeZone: TimeZone) -> ParsedTask {
        var task = ParsedTask()
        task.timeZone = timeZone
        var scalars = Array(text.unicodeScalars)
        if scalars.count > Self.maximumLength {
            scalars.removeLast(scalars.count - Self.maximumLength)
            task.errors.append(
                ParseIssue(
                    field: "input",
                    code: "invalid_input",
                    message: "the request is longer than \(Self.maximumLength) characters"
                )
            )
        }
        let tokens = Tokenizer.tokenize(scalars)
        if tokens.isEmpty {
            task.errors.append(ParseIssue(field: "input", code: "invalid_input", message: "the request is empty"))
            return task
        }
        let chrono = Chronology(now: now, zone: timeZone)
        let grammar = TemporalGrammar(
            tokens: tokens,
            chrono: chrono,
            dateOrder: TemporalGrammar.DateOrder(rawValue: configuration.dateOrder.rawValue) ?? .mdy
        )
        let found = grammar.scan()
        var windows: [PartOfDay: (start: Int, end: Int)] = [:]
        for (k, v) in configuration.windows { windows[k] = v }
        let resolver = TimeResolver(chrono: chrono, windows: windows, defaultStarts: configuration.defaultStarts)
        var time = resolver.resolve(found)
        task.intent = Self.intent(tokens)
        var content = ContentReader(
            tokens: tokens,
            scalars: scalars,
            covered: time.covered,
            contacts: configuration.contacts,
            intent: task.intent
        )
        content.read(into: &task)
        // A bare length said in a scheduling request is the meeting's length ("30 minutes with Alice").
        task.start = time.start
        task.end = time.end
        if time.errors.contains(where: {
            $0.field == "start" && ["invalid_date", "invalid_time", "ambiguous_date"].contains($0.code)
        }) {
            // Never a guess: a request with a date or time that cannot be read has no start.
            task.start = nil
            task.end = nil
            time.dateOnly = false
            time.durationMinutes = time.durationMinutes.flatMap { time.end == nil ? $0 : nil }
        }
        task.dateOnly = time.dateOnly
        task.durationMinutes = time.durationMinutes
        task.errors += time.errors
        time.errors = []
        check(&task, now: now)
        return task
    }

    /// Errors for a request whose intent is clear but whose content is not.
    func check(_ task: inout ParsedTask, now: Date) {
        switch task.intent {
        case .schedule:
            if task.start == nil && !task.errors.contains(where: { $0.field == "start" }) {
                task.errors.append(
                    ParseIssue(
                        field: "start",
                        code: "missing_time",
                        message: "say when: a day and a time, such as \"tomorrow at 3pm\""
                    )
                )
            } else if task.dateOnly, !task.errors.contains(where: { $0.field == "start" }) {
                task.errors.append(
                    ParseIssue(
                        field: "start",
                        code: "missing_time",
                        message: "say what time on that day, such as \"at 3pm\""
                    )
                )
            }
            if let start = task.start, start < now.addingTimeInterval(-60), !task.dateOnly {
                task.errors.append(
                    ParseIssue(
                        field: "start",
                        code: "time_in_past",
                        message: "the start, \(ParsedTask.iso(start, task.timeZone)), has already passed"
                    )
                )
            }
            if task.attendees.isEmpty
                && task.errors.allSatisfy({ $0.code != "unknown_contact" && $0.code != "invalid_email" })
            {
                // A meeting with nobody is allowed (a focus block); nothing to add.
            }
        case .sendEmail:
            if task.to.isEmpty
                && !task.errors.contains(where: { $0.code == "unknown_contact" || $0.code == "invalid_email" })
            {
                task.errors.append(
                    ParseIssue(
                        field: "to",
                        code: "missing_recipient",
                        message: "say who the e-mail is for: an address or a contact's name"
                    )
                )
            }
        case .unknown:
            break
        }
    }

    static let scheduleVerbs: Set<String> = [
        "schedule", "meet", "meeting", "book", "arrange", "organize", "organise", "plan", "call", "sync", "setup",
        "invite", "reserve", "block", "catch", "chat", "standup", "stand-up", "huddle", "lunch", "coffee", "dinner",
        "breakfast", "appointment", "interview", "demo", "1:1", "review", "workshop", "session", "meetup", "hangout",
        "calendar", "slot", "talk", "discuss", "retro", "retrospective", "kickoff", "onboarding", "training", "webinar",
        "planning", "brainstorm", "offsite", "presentation", "catchup", "checkin", "party", "drinks", "dentist",
        "haircut",
    ]
    static let emailVerbs: Set<String> = [
        "email", "e-mail", "mail", "send", "write", "message", "reply", "forward", "notify", "ping", "drop", "shoot",
        "tell", "inform", "cc",
    ]
    static let refusals: Set<String> = [
        "cancel", "delete", "remove", "move", "reschedule", "postpone", "decline", "unschedule", "clear", "undo",
        "push", "shift",
    ]

    static func intent(_ tokens: [Token]) -> Intent {
        var schedule = -1, email = -1, refusal = -1
        for (index, token) in tokens.enumerated() where token.kind == .number && token.text == "1" {
            // "1:1"
            if index + 2 < tokens.count, tokens[index + 1].isPunct(":"), tokens[index + 2].text == "1",
                tokens[index + 2].kind == .number,
                !tokens[index + 1].spaced
            {
                schedule = index
                break
            }
        }
        for (index, token) in tokens.enumerated() where token.kind == .word {
            let w = token.text
            if token.lexeme.isRefusal, refusal < 0 { refusal = index }
            if (w == "e" && index + 2 < tokens.count && tokens[index + 1].isPunct("-") && tokens[index + 2].is("mail"))
                || token.lexeme.isEmailVerb || w == "emails"
            {
                if email < 0 { email = index }
            }
            if token.lexeme.isScheduleVerb || (w == "set" && index + 1 < tokens.count && tokens[index + 1].is("up"))
                || (w == "put" && index + 1 < tokens.count && tokens[index + 1].is("in"))
            {
                if schedule < 0 || schedule > index { schedule = index }
            }
        }
        // "send an invite" is scheduling; "send a message" is e-mail. The earliest clear verb wins.
        if refusal >= 0, refusal <= max(schedule, email),
            refusal < (schedule < 0 ? Int.max : schedule) || refusal < (email < 0 ? Int.max : email)
        {
            return .unknown
        }
        if email >= 0, schedule >= 0 {
            let w = tokens[email].text
            if w == "send" || w == "drop" || w == "shoot" {
                // "send an invite for a meeting" vs "send Bob the report"
                let next = tokens.dropFirst(email + 1).prefix(3).map(\.text)
                if next.contains("invite") || next.contains("invitation") || next.contains("meeting") {
                    return .schedule
                }
            }
            return email < schedule ? .sendEmail : .schedule
        }
        if email >= 0 { return .sendEmail }
        if schedule >= 0 { return .schedule }
        return .unknown
    }
}
