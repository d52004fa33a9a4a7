import Foundation

/// Reads who, what and where from a request: addresses and contacts, title, location, and for e-mail the
/// recipients, subject, body and attachments.
struct ContentReader {
    let tokens: [Token]
    let scalars: [Unicode.Scalar]
    let covered: [Range<Int>]
    let contacts: [String: String]
    let intent: Intent
    private var isTime: [Bool]

    init(tokens: [Token], scalars: [Unicode.Scalar], covered: [Range<Int>], contacts: [String: String], intent: Intent)
    {
        self.tokens = tokens
        self.scalars = scalars
        self.covered = covered
        self.intent = intent
        var lowered: [String: String] = [:]
        for (k, v) in contacts { lowered[k.lowercased()] = v }
        self.contacts = lowered
        var isTime = [Bool](repeating: false, count: tokens.count)
        for range in covered { for i in range where i < tokens.count { isTime[i] = true } }
        self.isTime = isTime
    }

    func word(_ i: Int) -> String? { i >= 0 && i < tokens.count && tokens[i].kind == .word ? tokens[i].text : nil }
    func isWord(_ i: Int, _ options: String...) -> Bool { word(i).map(options.contains) ?? false }
    @inline(__always) func isWord(_ i: Int, _ a: String) -> Bool { word(i) == a }
    @inline(__always) func isWord(_ i: Int, _ a: String, _ b: String) -> Bool {
        guard let w = word(i) else { return false }
        return w == a || w == b
    }
    @inline(__always) func isWord(_ i: Int, _ a: String, _ b: String, _ c: String) -> Bool {
        guard let w = word(i) else { return false }
        return w == a || w == b || w == c
    }
    func original(_ range: Range<Int>) -> String {
        guard !range.isEmpty, range.upperBound <= tokens.count else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[tokens[range.lowerBound].start..<tokens[range.upperBound - 1].end])
        return String(view)
    }
    func isCapitalized(_ i: Int) -> Bool {
        guard i < tokens.count, tokens[i].kind == .word,
            let first = scalars[tokens[i].start].properties.isUppercase as Bool?
        else { return false }
        return first
    }

    static let stop: Set<String> = [
        "with", "and", "at", "in", "on", "for", "about", "to", "from", "by", "re", "regarding", "tomorrow", "today",
        "tonight",
        "next", "this", "please", "thanks", "thank", "asap", "saying", "that", "subject", "body", "attach", "attaching",
        "cc",
        "bcc", "titled", "called", "named", "until", "before", "after", "between", "so", "we", "i", "can", "could",
        "would",
        "will", "if", "then", "via", "over", "around", "re:",
    ]

    static let eventNouns: [String: String] = [
        "standup": "Standup", "stand-up": "Standup", "lunch": "Lunch", "dinner": "Dinner", "breakfast": "Breakfast",
        "coffee": "Coffee", "demo": "Demo", "interview": "Interview", "review": "Review", "retro": "Retro",
        "retrospective": "Retrospective", "workshop": "Workshop", "kickoff": "Kickoff", "kick-off": "Kickoff",
        "onboarding": "Onboarding", "training": "Training", "webinar": "Webinar", "huddle": "Huddle",
        "presentation": "Presentation", "planning": "Planning", "brainstorm": "Brainstorm", "offsite": "Offsite",
        "appointment": "Appointment", "sync": "Sync", "check-in": "Check-in", "checkin": "Check-in", "party": "Party",
        "drinks": "Drinks", "happy hour": "Happy hour", "dentist": "Dentist", "doctor": "Doctor", "haircut": "Haircut",
        "call": "Call", "meeting": "Meeting", "catchup": "Catch-up", "catch-up": "Catch-up", "1:1": "1:1",
    ]
    static let eventModifiers: Set<String> = [
        "team", "weekly", "daily", "monthly", "quarterly", "project", "sprint", "design", "product", "client", "board",
        "sales", "all-hands", "budget", "status", "code", "quick", "strategy", "staff", "family", "birthday", "phone",
        "video", "zoom",
    ]

    mutating func read(into task: inout ParsedTask) {
        let people = readPeople(&task)
        switch intent {
        case .schedule:
            task.attendees = people.all
            task.title = title(people: people)
            task.location = location()
        case .sendEmail:
            task.to = people.to
            task.cc = people.cc
            task.bcc = people.bcc
            readEmailContent(&task)
        case .unknown:
            task.attendees = people.all
        }
    }

    struct People {
        var all: [String] = []
        var to: [String] = []
        var cc: [String] = []
        var bcc: [String] = []
        var firstName: String?
    }

    /// Addresses and contact names, with the role the words before them give (cc, bcc, to).
    func readPeople(_ task: inout ParsedTask) -> People {
        var people = People()
        var role = "to"
        var i = 0
        var inBody = false
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .word, ["saying", "says", "body", "message"].contains(t.text), intent == .sendEmail, i > 0 {
                inBody = true
            }
            if inBody { i += 1; continue }
            if t.kind == .word {
                if t.text == "cc" || t.text == "copy" || t.text == "copying" { role = "cc" }
                if t.text == "bcc" { role = "bcc" }
                if t.text == "to" || t.text == "email" || t.text == "mail" { role = "to" }
            }
            if t.kind == .email {
                let address = t.text
                if let problem = Self.emailProblem(address) {
                    task.errors.append(
                        ParseIssue(
                            field: intent == .sendEmail ? role : "attendees",
                            code: "invalid_email",
                            message: "\(address) is not a valid e-mail address: \(problem)"
                        )
                    )
                } else {
                    add(address.lowercased(), role: role, to: &people)
                }
            } else if t.kind == .word, !isTime[i] {
                if let address = contacts[t.text] {
                    if people.firstName == nil { people.firstName = original(i..<(i + 1)) }
                    add(address, role: role, to: &people)
                } else if isNameSlot(i), !Self.commonWords.contains(t.text), !Self.notNames.contains(t.text),
                    !Self.stop.contains(t.text),
                    !TemporalGrammarWords.isTemporal(t.text), !TaskParser.scheduleVerbs.contains(t.text),
                    !TaskParser.emailVerbs.contains(t.text)
                {
                    task.errors.append(
                        ParseIssue(
                            field: intent == .sendEmail ? role : "attendees",
                            code: "unknown_contact",
                            message:
                                "\(original(i..<(i + 1))) is not in contacts: add them under contacts: in the configuration, or write their address"
                        )
                    )
                }
            }
            i += 1
        }
        return people
    }

    static let notNames: Set<String> = [
        "i", "me", "us", "them", "him", "her", "everyone", "team", "the", "my", "our", "all", "a", "an", "boss",
        "manager",
    ]

    /// Words that follow "with" or "to" without being anyone's name.
    static let commonWords: Set<String> = [
        "the", "my", "our", "your", "his", "her", "their", "its", "a", "an", "some", "any", "all", "everyone",
        "everybody",
        "team", "teams", "them", "him", "us", "me", "you", "it", "this", "that", "these", "those", "client", "clients",
        "customer", "customers", "manager", "managers", "boss", "colleagues", "colleague", "friends", "friend",
        "family",
        "people", "folks", "guys", "group", "board", "staff", "engineering", "sales", "marketing", "design", "product",
        "hr", "legal", "finance", "ops", "support", "vendor", "vendors", "partner", "partners", "investors",
        "candidate",
        "candidates", "recruiter", "doctor", "dentist", "someone", "anyone", "nobody", "whoever", "subject", "body",
        "attachment", "say", "discuss", "talk", "review", "go", "be", "get", "have", "do", "make", "see", "check",
        "regards", "love", "thanks", "please", "details", "agenda", "notes", "info", "priority", "respect", "care",
        "and", "or", "to", "from", "about", "re", "on", "in", "at", "for", "by", "of", "as", "so", "if", "then",
        "now", "soon", "later", "asap", "again", "both", "each", "other", "others", "new", "old", "whole", "entire",
        "regard", "reference", "a", "lunch", "dinner", "coffee", "breakfast", "drinks", "meeting", "call", "sync",
    ]

    /// Whether a capitalized word stands where a person's name would: right after "with", "invite", "to",
    /// "cc", "email", or in a list of people ("Alice and Bob", "Alice, Bob").
    func isNameSlot(_ i: Int) -> Bool {
        guard i > 0 else { return false }
        if isWord(
            i - 1,
            "with",
            "invite",
            "cc",
            "bcc",
            "email",
            "e-mail",
            "mail",
            "message",
            "ping",
            "tell",
            "inform",
            "meet",
            "call"
        ) {
            return true
        }
        if isWord(i - 1, "to"), intent == .sendEmail { return true }
        if isWord(i - 1, "and") || tokens[i - 1].isPunct(",") {
            // continuing a list of people
            var j = i - 2
            while j >= 0,
                tokens[j].kind == .email
                    || (tokens[j].kind == .word && (contacts[tokens[j].text] != nil || isCapitalized(j)))
            {
                if j == 0 { return false }
                if isWord(j - 1, "with", "invite", "cc", "bcc", "email", "to") { return true }
                if isWord(j - 1, "and") || tokens[j - 1].isPunct(",") { j -= 2; continue }
                return false
            }
        }
        return false
    }

    func add(_ address: String, role: String, to people: inout People) {
        if !people.all.contains(address) { people.all.append(address) }
        switch role {
        case "cc": if !people.cc.contains(address) { people.cc.append(address) }
        case "bcc": if !people.bcc.contains(address) { people.bcc.append(address) }
        default: if !people.to.contains(address) { people.to.append(address) }
        }
    }

    static let allowedLocal: Set<UInt8> = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.".utf8
    )

    /// Why an address is not an RFC 5322 addr-spec with a fully qualified domain, or nil when it is.
    static func emailProblem(_ address: String) -> String? {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "it must have exactly one @" }
        let local = parts[0], domain = parts[1]
        if local.isEmpty || local.count > 64 { return "the part before @ is empty or too long" }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            return "dots must not start, end or repeat in the part before @"
        }
        if local.utf8.contains(where: { !allowedLocal.contains($0) }) {
            return "the part before @ has a character addresses cannot have"
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count < 2 { return "the domain \(domain) is not fully qualified (it needs a dot)" }
        for label in labels {
            if label.isEmpty { return "the domain has an empty label" }
            if label.count > 63 { return "a domain label is too long" }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "a domain label starts or ends with -" }
            if label.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) {
                return "the domain has a character domains cannot have"
            }
        }
        if let tld = labels.last, tld.count < 2 || tld.allSatisfy(\.isNumber) {
            return "the domain's last label \(tld) is not a top-level domain"
        }
        return nil
    }

    // MARK: Titles and locations

    /// The text after `i` up to the next stop: a time expression, a person, a location or duration phrase.
    func phrase(from i: Int, stops: Set<String> = ContentReader.stop) -> Range<Int>? {
        var j = i
        while j < tokens.count {
            let t = tokens[j]
            if isTime[j] { break }
            if t.kind == .punct, [".", "!", "?", ";", ","].contains(t.text) {
                // "re: Q3" keeps its colon; "3.5" is not here (numbers are tokens)
                break
            }
            if t.kind == .email { break }
            if t.kind == .word, j > i, stops.contains(t.text) {
                // "Q3 planning and budgeting" keeps its "and"; "and alice", "and attach ..." end the phrase.
                if t.text != "and" || isPersonAhead(j + 1)
                    || (j + 1 < tokens.count
                        && (stops.contains(tokens[j + 1].text) || Self.stop.contains(tokens[j + 1].text)))
                {
                    break
                }
            }
            j += 1
        }
        return j > i ? i..<j : nil
    }

    func isPersonAhead(_ i: Int) -> Bool {
        guard i < tokens.count else { return false }
        return tokens[i].kind == .email || (tokens[i].kind == .word && contacts[tokens[i].text] != nil)
    }

    func title(people: People) -> String? {
        // Quoted after titled / called / named, or any quoted text.
        for (i, t) in tokens.enumerated() where t.kind == .quoted {
            if isWord(i - 1, "titled", "called", "named", "title", "about", "re")
                || tokens.filter({ $0.kind == .quoted }).count == 1
            {
                return t.text.trimmingCharacters(in: .whitespaces)
            }
        }
        for (i, t) in tokens.enumerated() where t.kind == .word && !isTime[i] {
            var start: Int?
            switch t.text {
            case "about", "regarding", "titled", "called", "named", "re", "concerning":
                start = i + 1
                if t.text == "re", i + 1 < tokens.count, tokens[i + 1].isPunct(":") { start = i + 2 }
                if t.text == "called", isWord(i - 1, "i", "we", "he", "she", "they", "you", "who", "just") {
                    start = nil
                }
            case "discuss", "review", "go":
                if t.text == "go", isWord(i + 1, "over") { start = i + 2 } else if isWord(i - 1, "to") { start = i + 1 }
            case "topic", "agenda":
                if i + 1 < tokens.count, tokens[i + 1].isPunct(":") { start = i + 2 }
            default:
                break
            }
            if let s = start, s < tokens.count,
                let range = phrase(
                    from: s,
                    stops: Self.stop.subtracting(["and", "to", "on", "for"]).union(["with", "at", "in"])
                )
            {
                let text = original(range).trimmingCharacters(in: CharacterSet(charactersIn: " :-\"'"))
                if !text.isEmpty { return text }
            }
        }
        // The event the request names: "Standup", "Team lunch", "1:1", "Demo".
        for (i, t) in tokens.enumerated() where !isTime[i] {
            var key = t.text
            var end = i + 1
            if t.kind == .number, t.text == "1", i + 2 < tokens.count, tokens[i + 1].isPunct(":"),
                tokens[i + 2].text == "1"
            {
                key = "1:1"; end = i + 3
            }
            if t.text == "happy", isWord(i + 1, "hour") { key = "happy hour"; end = i + 2 }
            if t.text == "catch", isWord(i + 1, "up") { key = "catchup"; end = i + 2 }
            if t.text == "check", tokens.count > i + 2, tokens[i + 1].isPunct("-"), isWord(i + 2, "in") {
                key = "check-in"; end = i + 3
            }
            guard let name = Self.eventNouns[key] else { continue }
            if key == "meeting" || key == "call" || key == "sync" || key == "chat" {
                // A bare meeting: "Meeting with Alice".
                var modifierStart = i
                while modifierStart > 0, let w = word(modifierStart - 1), Self.eventModifiers.contains(w) {
                    modifierStart -= 1
                }
                if modifierStart < i, word(modifierStart) != "quick" {
                    return capitalizeFirst(original(modifierStart..<end))
                }
                if let who = people.firstName {
                    return "\(name) with \(capitalizeFirst(who))"
                }
                if let who = people.all.first { return "\(name) with \(who)" }
                return name
            }
            var modifierStart = i
            while modifierStart > 0, let w = word(modifierStart - 1), Self.eventModifiers.contains(w), w != "quick" {
                modifierStart -= 1
            }
            if modifierStart < i { return capitalizeFirst(original(modifierStart..<end)) }
            return name
        }
        if let who = people.firstName { return "Meeting with \(capitalizeFirst(who))" }
        if let who = people.all.first { return "Meeting with \(who)" }
        return nil
    }

    func capitalizeFirst(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst()
    }

    func location() -> String? {
        for (i, t) in tokens.enumerated()
        where t.kind == .word && !isTime[i] && (t.text == "in" || t.text == "at" || t.text == "@") {
            guard i + 1 < tokens.count, !isTime[i + 1] else { continue }
            let next = tokens[i + 1]
            var ok = false
            if next.kind == .word
                && (next.text == "the" || next.text == "room" || next.text == "office" || next.text == "building"
                    || isCapitalized(i + 1) || next.text == "our" || next.text == "my")
            {
                ok = true
            }
            if next.kind == .number, t.text == "at", i + 2 < tokens.count, tokens[i + 2].kind == .word, !isTime[i + 2] {
                ok = true
            }  // at 221 Baker St
            if next.kind == .word,
                Self.notNames.contains(next.text) && next.text != "the" && next.text != "our" && next.text != "my"
            {
                ok = false
            }
            guard ok else { continue }
            if next.kind == .word, contacts[next.text] != nil { continue }
            guard let range = phrase(from: i + 1, stops: Self.stop.subtracting(["and"])) else { continue }
            let text = original(range)
            if text.lowercased() == "the" { continue }
            return text
        }
        return nil
    }

    // MARK: E-mail

    mutating func readEmailContent(_ task: inout ParsedTask) {
        var bodyStart: Int?
        for (i, t) in tokens.enumerated() where t.kind == .word || t.kind == .quoted {
            if t.kind == .quoted {
                if task.subject == nil,
                    isWord(i - 1, "subject", "titled", "re")
                        || (i >= 2 && tokens[i - 1].isPunct(":") && isWord(i - 2, "subject"))
                {
                    task.subject = t.text
                } else if task.body == nil {
                    task.body = t.text
                }
                continue
            }
            switch t.text {
            case "subject":
                var s = i + 1
                if s < tokens.count, tokens[s].isPunct(":") { s += 1 }
                if task.subject == nil, s < tokens.count, tokens[s].kind != .quoted,
                    let range = phrase(
                        from: s,
                        stops: [
                            "saying", "that", "body", "attach", "attaching", "and", "with", "to", "cc", "bcc",
                            "telling", "asking",
                        ]
                    )
                {
                    task.subject = original(range)
                }
            case "saying", "says", "telling", "asking":
                if bodyStart == nil { bodyStart = i + 1 }
            case "body", "message", "text":
                if i + 1 < tokens.count, tokens[i + 1].isPunct(":"), bodyStart == nil { bodyStart = i + 2 }
            case "about", "re", "regarding":
                if task.subject == nil, bodyStart == nil {
                    var s = i + 1
                    if s < tokens.count, tokens[s].isPunct(":") { s += 1 }
                    if s < tokens.count, tokens[s].kind != .quoted,
                        let range = phrase(
                            from: s,
                            stops: [
                                "saying", "that", "body", "attach", "attaching", "with", "cc", "bcc", "telling",
                                "asking",
                            ]
                        )
                    {
                        task.subject = original(range)
                    }
                }
            case "attach", "attaching", "attached", "attachment":
                var s = i + 1
                if s < tokens.count, tokens[s].isPunct(":") { s += 1 }
                while s < tokens.count, let w = word(s), ["the", "file", "files", "a", "this"].contains(w) { s += 1 }
                // A path runs to the next whitespace.
                while s < tokens.count {
                    var end = s + 1
                    while end < tokens.count, !tokens[end].spaced { end += 1 }
                    var path = original(s..<end)
                    while let last = path.last, ".,;!?".contains(last) { path.removeLast() }
                    if path.contains(".") || path.contains("/") { task.attachments.append(path) }
                    if end < tokens.count, isWord(end, "and") || tokens[end].isPunct(",") {
                        s = end + 1
                        continue
                    }
                    break
                }
            default:
                break
            }
            if t.text == "that", isWord(i + 1, "says", "reads"), bodyStart == nil { bodyStart = i + 2 }
        }
        if task.body == nil, let b = bodyStart, b < tokens.count {
            var end = tokens.count
            for j in b..<tokens.count where isWord(j, "attach", "attaching") { end = j; break }
            var text = original(b..<end).trimmingCharacters(in: .whitespaces)
            if text.hasPrefix(":") { text = String(text.dropFirst()).trimmingCharacters(in: .whitespaces) }
            while let last = text.last, last == "," { text.removeLast() }
            if !text.isEmpty { task.body = text }
        }
    }
}

/// Words the temporal grammar uses, so they are never taken for a person's name.
enum TemporalGrammarWords {
    static func isTemporal(_ w: String) -> Bool {
        Vocabulary.months[w] != nil || Vocabulary.weekdays[w] != nil || Vocabulary.units[w] != nil
            || ["today", "tomorrow", "tonight", "noon", "midnight", "morning", "afternoon", "evening", "next", "this"]
                .contains(w)
    }
}
