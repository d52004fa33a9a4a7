/// One piece of a request: a word, a number, a punctuation mark, an e-mail address or a quoted text, with where
/// it sits in the original text (offsets in Unicode scalars) so titles and bodies can be cut out verbatim.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case word
        case number
        case punct
        case email
        case quoted
    }

    var kind: Kind
    /// Lower-cased text (for numbers, the digits; for quoted text, the inside as written).
    var text: String
    /// Offsets in the original text's scalars: `start..<end`.
    var start: Int
    var end: Int
    /// Whether whitespace came right before this token.
    var spaced: Bool
    /// For words: the spelling the grammar reads (`tmrw` → `tomorrow`), and what the vocabulary knows of it,
    /// looked up once here rather than by every rule.
    var normalized: String = ""
    /// The word was written with a capital first letter (`Jan` may be a name, `jan` hardly).
    var capitalised = false
    var lexeme = Lexeme()

    /// Each known word's normalized spelling and vocabulary, built once.
    static let lexicon: [String: (normalized: String, lexeme: Lexeme)] = {
        var words = Set<String>()
        words.formUnion(Vocabulary.units.keys)
        words.formUnion(Vocabulary.months.keys)
        words.formUnion(Vocabulary.weekdays.keys)
        words.formUnion(Vocabulary.numberWords.keys)
        words.formUnion(Vocabulary.ordinalWords.keys)
        words.formUnion(Vocabulary.aliases.keys)
        words.formUnion(TaskParser.scheduleVerbs)
        words.formUnion(TaskParser.emailVerbs)
        words.formUnion(TaskParser.refusals)
        var table: [String: (normalized: String, lexeme: Lexeme)] = [:]
        for word in words {
            let n = Vocabulary.aliases[word] ?? word
            table[word] = (
                n,
                Lexeme(
                    unit: Vocabulary.units[n],
                    month: Vocabulary.months[n],
                    weekday: Vocabulary.weekdays[n],
                    numberWord: Vocabulary.numberWords[n],
                    ordinalWord: Vocabulary.ordinalWords[n],
                    isScheduleVerb: TaskParser.scheduleVerbs.contains(word),
                    isEmailVerb: TaskParser.emailVerbs.contains(word),
                    isRefusal: TaskParser.refusals.contains(word)
                )
            )
        }
        return table
    }()

    struct Lexeme: Sendable, Equatable {
        var unit: Vocabulary.Unit?
        var month: Int?
        var weekday: Int?
        var numberWord: Int?
        var ordinalWord: Int?
        var isScheduleVerb = false
        var isEmailVerb = false
        var isRefusal = false
    }

    init(kind: Kind, text: String, start: Int, end: Int, spaced: Bool) {
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.spaced = spaced
        if kind == .word {
            var base = text
            // "tomorrow's fine"; "friday's demo" stays a topic.
            if base == "tomorrow's" || base == "today's" || base == "tonight's" || base == "yesterday's" {
                base.removeLast(2)
            }
            // One lookup: every vocabulary word (and each spelling variant) is in the lexicon.
            if let entry = Token.lexicon[base] {
                normalized = entry.normalized
                lexeme = entry.lexeme
            } else {
                normalized = base
            }
        }
    }

    var number: Int? { kind == .number ? Int(text) : nil }
    func `is`(_ word: String) -> Bool { kind == .word && text == word }
    func isPunct(_ c: String) -> Bool { kind == .punct && text == c }
}

/// Splits text into tokens in one pass, linear in its length.
enum Tokenizer {
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return (s.value | 0x20) >= 97 && (s.value | 0x20) <= 122 }
        return s.properties.isAlphabetic
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 48 && s.value <= 57 }

    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return s.value == 32 || (s.value >= 9 && s.value <= 13) }
        return s.properties.isWhitespace
    }

    static func tokenize(_ scalars: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(scalars.count / 3)
        var i = 0
        var spaced = true
        let n = scalars.count
        while i < n {
            let c = scalars[i]
            if isSpace(c) {
                spaced = true
                i += 1
                continue
            }
            // Quoted text: "..." or “...”; a lone apostrophe is punctuation.
            if c == "\"" || c == "\u{201C}" {
                let close: Unicode.Scalar = c == "\"" ? "\"" : "\u{201D}"
                var j = i + 1
                while j < n, scalars[j] != close { j += 1 }
                if j < n {
                    var inner = String.UnicodeScalarView()
                    inner.append(contentsOf: scalars[(i + 1)..<j])
                    tokens.append(Token(kind: .quoted, text: String(inner), start: i, end: j + 1, spaced: spaced))
                    i = j + 1
                    spaced = false
                    continue
                }
            }
            if isDigit(c) {
                var j = i
                while j < n, isDigit(scalars[j]) { j += 1 }
                // An e-mail address can start with digits.
                if j < n, isEmailChar(scalars[j]) || scalars[j] == "@", let email = email(scalars, from: i) {
                    tokens.append(Token(kind: .email, text: email.text, start: i, end: email.end, spaced: spaced))
                    i = email.end
                    spaced = false
                    continue
                }
                let digits = String(decoding: scalars[i..<j].map { UInt8($0.value) }, as: UTF8.self)
                tokens.append(Token(kind: .number, text: digits, start: i, end: j, spaced: spaced))
                i = j
                spaced = false
                continue
            }
            if isLetter(c) {
                if scalars.count > i, let email = email(scalars, from: i) {
                    tokens.append(Token(kind: .email, text: email.text, start: i, end: email.end, spaced: spaced))
                    i = email.end
                    spaced = false
                    continue
                }
                var j = i
                while j < n,
                    isLetter(scalars[j]) || (scalars[j] == "'" && j + 1 < n && isLetter(scalars[j + 1]))
                        || (scalars[j] == "\u{2019}" && j + 1 < n && isLetter(scalars[j + 1]))
                {
                    j += 1
                }
                var word: String
                if scalars[i..<j].allSatisfy({ $0.value < 128 }) {
                    var bytes = [UInt8]()
                    bytes.reserveCapacity(j - i)
                    for s in scalars[i..<j] {
                        bytes.append(UInt8(s.value >= 65 && s.value <= 90 ? s.value + 32 : s.value))
                    }
                    word = String(decoding: bytes, as: UTF8.self)
                } else {
                    word = ""
                    for s in scalars[i..<j] {
                        if s.value < 128 {
                            word.unicodeScalars.append(
                                s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32)! : s
                            )
                        } else if s == "\u{2019}" {
                            word.unicodeScalars.append("'")
                        } else {
                            word.unicodeScalars.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
                        }
                    }
                }
                var token = Token(kind: .word, text: word, start: i, end: j, spaced: spaced)
                let first = scalars[i].value
                token.capitalised = first < 128 ? (first >= 65 && first <= 90) : scalars[i].properties.isUppercase
                tokens.append(token)
                i = j
                spaced = false
                continue
            }
            var p = String.UnicodeScalarView()
            p.append(c == "\u{2013}" || c == "\u{2014}" ? "-" : c)
            tokens.append(Token(kind: .punct, text: String(p), start: i, end: i + 1, spaced: spaced))
            i += 1
            spaced = false
        }
        return tokens
    }

    static let emailPunctuation: Set<UInt32> = Set("._%+-'!#$&*=?^`{|}~/".unicodeScalars.map(\.value))

    static func isEmailChar(_ s: Unicode.Scalar) -> Bool {
        guard s.value < 128 else { return false }
        return isLetter(s) || isDigit(s) || emailPunctuation.contains(s.value)
    }

    /// An addr-spec starting at `i`: local part, `@`, a domain of labels with at least one dot. The address is
    /// returned as written (validation happens later); `nil` when there is no `@` in the run.
    static func email(_ s: [Unicode.Scalar], from i: Int) -> (text: String, end: Int)? {
        var j = i
        let n = s.count
        while j < n, isEmailChar(s[j]), s[j] != "/" { j += 1 }
        guard j < n, s[j] == "@", j > i else { return nil }
        var k = j + 1
        while k < n, s[k].value < 128, isLetter(s[k]) || isDigit(s[k]) || s[k] == "-" || s[k] == "." { k += 1 }
        // Trailing dots belong to the sentence.
        while k > j + 1, s[k - 1] == "." { k -= 1 }
        guard k > j + 1 else { return nil }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: s[i..<k])
        return (String(text), k)
    }
}
