import Foundation
import SwitchboardCore

/// Turns `execute_query`'s `params` into positional binds: an array as is (`$1`, `$2`, ...), or an object whose
/// `:name` references in the query are rewritten to positional placeholders. Text in quotes, comments and `::`
/// casts is left alone.
enum ParameterList {
    /// - Throws: ``IntegrationError`` `invalidInput` when a placeholder has no value or a value no placeholder
    ///   (a missing value would otherwise be bound as NULL), before anything runs.
    static func bind(query: String, params: JSONValue?, dialect: SQLDialect, field: String = "params") throws -> (
        String, [BindValue]
    ) {
        switch params {
        case nil, .null?:
            if let first = positionalPlaceholders(in: query, dialect: dialect).min() {
                throw IntegrationError.invalidInput("the query uses $\(first), but \(field) gives no values")
            }
            return (dialect == .sqlite ? rewritePositional(query) : query, [])
        case .array(let values)?:
            let used = positionalPlaceholders(in: query, dialect: dialect)
            if let highest = used.max(), highest > values.count {
                throw IntegrationError.invalidInput(
                    "the query uses $\(highest), but \(field) gives \(values.count) value\(values.count == 1 ? "" : "s"); give one value per placeholder"
                )
            }
            if let unused = (1...max(1, values.count)).first(where: { $0 <= values.count && !used.contains($0) }) {
                throw IntegrationError.invalidInput(
                    "\(field)[\(unused - 1)] has no placeholder: the query does not use $\(unused); remove the value or use it"
                )
            }
            return (dialect == .sqlite ? rewritePositional(query) : query, try values.map(bindValue))
        case .object(let members)?:
            if let first = positionalPlaceholders(in: query, dialect: dialect).min() {
                throw IntegrationError.invalidInput(
                    "the query uses $\(first), but \(field) is an object (for :name placeholders); use one kind of placeholder"
                )
            }
            return try rewriteNamed(query, members: members, dialect: dialect)
        case let other?:
            throw IntegrationError.invalidInput(
                "params must be an array (for $1, $2, ...) or an object (for :name), found \(other.typeName)"
            )
        }
    }

    /// A JSON value as a bind: numbers, booleans and text as themselves, objects and arrays as JSON text.
    static func bindValue(_ value: JSONValue) throws -> BindValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .text(s)
        case .array, .object: return .text(value.jsonString())
        }
    }

    /// The positional placeholders the query uses, outside quotes and comments: `$N` and, for SQLite, `?N` and
    /// bare `?` (numbered one past the highest so far, as SQLite does).
    static func positionalPlaceholders(in query: String, dialect: SQLDialect) -> Set<Int> {
        var used = Set<Int>()
        var highest = 0
        scan(query) { piece, isCode in
            guard isCode else { return }
            let chars = Array(piece.utf8)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                let marker = c == UInt8(ascii: "$") || (dialect == .sqlite && c == UInt8(ascii: "?"))
                guard marker else {
                    i += 1
                    continue
                }
                // `x$1` is part of a name, not a placeholder.
                if i > 0,
                    chars[i - 1] == UInt8(ascii: "_") || (chars[i - 1] >= 0x80)
                        || (chars[i - 1] | 0x20 >= UInt8(ascii: "a") && chars[i - 1] | 0x20 <= UInt8(ascii: "z"))
                        || (chars[i - 1] >= UInt8(ascii: "0") && chars[i - 1] <= UInt8(ascii: "9"))
                {
                    i += 1
                    continue
                }
                var j = i + 1
                var number = 0
                while j < chars.count, chars[j] >= UInt8(ascii: "0"), chars[j] <= UInt8(ascii: "9"), number < 1_000_000
                {
                    number = number * 10 + Int(chars[j] - UInt8(ascii: "0"))
                    j += 1
                }
                if j > i + 1, number > 0 {
                    used.insert(number)
                    highest = max(highest, number)
                } else if c == UInt8(ascii: "?") && j == i + 1 {
                    highest += 1
                    used.insert(highest)
                }
                i = j
            }
        }
        return used
    }

    /// `sql` (as ``bind(query:params:dialect:field:)`` gives it for SQLite) with every `?` and `?N` placeholder
    /// outside quotes and comments replaced by `NULL`: the statement's shape without its values.
    static func nullingPlaceholders(in sql: String) -> String {
        var out = ""
        scan(sql) { piece, isCode in
            guard isCode else {
                out += piece
                return
            }
            let chars = Array(piece)
            var i = 0
            while i < chars.count {
                if chars[i] == "?" {
                    out += "NULL"
                    i += 1
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                } else {
                    out.append(chars[i])
                    i += 1
                }
            }
        }
        return out
    }

    /// SQLite numbers `?NNN` placeholders; `$1` in a query written for PostgreSQL becomes `?1`.
    static func rewritePositional(_ query: String) -> String {
        var out = ""
        scan(query) { piece, isCode in
            guard isCode else {
                out += piece
                return
            }
            var chars = Array(piece)
            var i = 0
            while i < chars.count {
                if chars[i] == "$", i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isNumber {
                    chars[i] = "?"
                }
                i += 1
            }
            out += String(chars)
        }
        return out
    }

    static func rewriteNamed(_ query: String, members: [String: JSONValue], dialect: SQLDialect) throws -> (
        String, [BindValue]
    ) {
        var out = ""
        var order: [String] = []
        var binds: [BindValue] = []
        var problem: String?
        scan(query) { piece, isCode in
            guard isCode else {
                out += piece
                return
            }
            let chars = Array(piece)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if c == ":" && i + 1 < chars.count && chars[i + 1] == ":" {
                    out += "::"
                    i += 2
                    continue
                }
                if c == ":", i + 1 < chars.count, chars[i + 1] == "_" || chars[i + 1].isLetter,
                    i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_")
                {
                    var j = i + 1
                    while j < chars.count, chars[j] == "_" || chars[j].isLetter || chars[j].isNumber { j += 1 }
                    let name = String(chars[(i + 1)..<j])
                    guard let value = members[name] else {
                        problem = problem ?? "the query uses :\(name), which params does not give"
                        i = j
                        continue
                    }
                    let index: Int
                    if let existing = order.firstIndex(of: name) {
                        index = existing + 1
                    } else {
                        order.append(name)
                        binds.append((try? bindValue(value)) ?? .null)
                        index = order.count
                    }
                    out += dialect.placeholder(index)
                    i = j
                    continue
                }
                out.append(c)
                i += 1
            }
        }
        if let problem { throw IntegrationError.invalidInput(problem) }
        let unused = Set(members.keys).subtracting(order)
        if let name = unused.sorted().first {
            throw IntegrationError.invalidInput(
                "params.\(name) is not used by the query (write :\(name) where it belongs)"
            )
        }
        return (out, binds)
    }

    /// Splits SQL into code and non-code (quoted strings, quoted identifiers, comments, dollar quotes).
    static func scan(_ sql: String, _ emit: (String, Bool) -> Void) {
        let chars = Array(sql)
        var i = 0
        var code = ""
        func flushCode() {
            if !code.isEmpty { emit(code, true) }
            code = ""
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                flushCode()
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count && chars[j + 1] == c {
                            j += 2
                            continue
                        }
                        break
                    }
                    j += 1
                }
                emit(String(chars[i..<min(j + 1, chars.count)]), false)
                i = j + 1
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                flushCode()
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                emit(String(chars[i..<j]), false)
                i = j
            } else if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                flushCode()
                var j = i + 2
                while j + 1 < chars.count && !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
                let end = min(j + 2, chars.count)
                emit(String(chars[i..<end]), false)
                i = end
            } else if c == "$", let tagEnd = dollarTag(chars, from: i) {
                flushCode()
                let tag = String(chars[i...tagEnd])
                var j = tagEnd + 1
                var closed = chars.count
                while j < chars.count {
                    if chars[j] == "$", String(chars[j..<min(j + tag.count, chars.count)]) == tag {
                        closed = j + tag.count
                        break
                    }
                    j += 1
                }
                emit(String(chars[i..<min(closed, chars.count)]), false)
                i = closed
            } else {
                code.append(c)
                i += 1
            }
        }
        flushCode()
    }

    /// The end index of a `$tag$` opener at `i`, if there is one (`$1` is a parameter, not a tag).
    static func dollarTag(_ chars: [Character], from i: Int) -> Int? {
        var j = i + 1
        while j < chars.count, chars[j] == "_" || chars[j].isLetter { j += 1 }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return j
    }
}
