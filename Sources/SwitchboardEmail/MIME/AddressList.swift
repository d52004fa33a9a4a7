import Foundation

/// One mailbox of an address header: a display name (decoded) and an address.
public struct MailAddress: Sendable, Hashable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

/// RFC 5322 §3.4 address lists (`From`, `To`, `Cc`, `Reply-To`): mailboxes and groups (their members, in
/// order), display names quoted or encoded, comments, and the malformed lists real mail has (read as well as
/// they can be, never a crash).
package enum AddressList {
    enum Token: Equatable {
        case atom(String)
        case quoted(String)
        case special(Character)
        case angle(String)
    }

    /// The mailboxes of `value`, groups flattened, in order.
    package static func parse(_ value: String) -> [MailAddress] {
        var result: [MailAddress] = []
        var words: [Token] = []
        var inGroup = false

        func flush() {
            defer { words.removeAll() }
            guard !words.isEmpty else { return }
            if let angleIndex = words.lastIndex(where: { if case .angle = $0 { return true } else { return false } }),
                case .angle(let address) = words[angleIndex]
            {
                let name = displayName(Array(words[..<angleIndex]))
                let cleaned = address.trimming(" \t")
                if !cleaned.isEmpty || name != nil {
                    result.append(MailAddress(name: name, address: cleaned))
                }
                return
            }
            // A bare addr-spec: the tokens joined.
            var text = ""
            for word in words {
                switch word {
                case .atom(let a): text += a
                case .quoted(let q): text += "\"" + q + "\""
                case .special(let c): text.append(c)
                case .angle(let a): text += a
                }
            }
            let cleaned = text.trimming(" \t")
            if !cleaned.isEmpty { result.append(MailAddress(name: nil, address: cleaned)) }
        }

        for token in tokens(value) {
            switch token {
            case .special(","):
                flush()
            case .special(":")
            where !inGroup && !words.contains(where: { if case .angle = $0 { return true } else { return false } }):
                // A group's name: the members follow.
                words.removeAll()
                inGroup = true
            case .special(";") where inGroup:
                flush()
                inGroup = false
            default:
                words.append(token)
            }
        }
        flush()
        return result
    }

    /// A display name from the words before `<`: atoms joined with spaces, encoded words decoded.
    static func displayName(_ words: [Token]) -> String? {
        var parts: [String] = []
        for word in words {
            switch word {
            case .atom(let a): parts.append(a)
            case .quoted(let q): parts.append(q)
            case .special(let c): parts.append(String(c))
            case .angle: break
            }
        }
        guard !parts.isEmpty else { return nil }
        let joined = MIMEText.decodeUnstructured(parts.joined(separator: " "))
        let name = joined.trimming(" \t\"")
        return name.isEmpty ? nil : name
    }

    /// Tokens: atoms (dots and @ included, so an addr-spec is one atom), quoted strings (unescaped), `<...>`,
    /// and the specials `,` `:` `;`. Comments are dropped.
    static func tokens(_ value: String) -> [Token] {
        var out: [Token] = []
        var chars = Array(value)
        if chars.count > 100_000 { chars = Array(chars.prefix(100_000)) }
        var i = 0
        var atom = ""
        func endAtom() {
            if !atom.isEmpty { out.append(.atom(atom)) }
            atom = ""
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\r", "\n":
                endAtom()
                i += 1
            case "\"":
                endAtom()
                var text = ""
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\" && i + 1 < chars.count { i += 1 }
                    text.append(chars[i])
                    i += 1
                }
                i += 1
                out.append(.quoted(text))
            case "(":
                endAtom()
                var depth = 1
                i += 1
                while i < chars.count && depth > 0 {
                    if chars[i] == "\\" {
                        i += 2
                        continue
                    }
                    if chars[i] == "(" { depth += 1 }
                    if chars[i] == ")" { depth -= 1 }
                    i += 1
                }
            case "<":
                endAtom()
                var text = ""
                i += 1
                while i < chars.count && chars[i] != ">" {
                    if chars[i] == "\"" {
                        text.append("\"")
                        i += 1
                        while i < chars.count && chars[i] != "\"" {
                            text.append(chars[i])
                            i += 1
                        }
                    }
                    if i < chars.count && chars[i] != ">" {
                        if chars[i] != " " && chars[i] != "\t" { text.append(chars[i]) }
                        i += 1
                    }
                }
                i += 1
                out.append(.angle(text))
            case ",", ":", ";":
                endAtom()
                out.append(.special(c))
                i += 1
            default:
                atom.append(c)
                i += 1
            }
        }
        endAtom()
        return out
    }
}
