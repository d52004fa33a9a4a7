import Foundation
import SwitchboardCore

/// Converts a JSON value to a bind for a column of a known type, refusing values that cannot be that type with a
/// message naming the column.
enum ValueConversion {
    static func bind(_ value: JSONValue, column: ColumnInfo, dialect: SQLDialect) throws -> BindValue {
        if case .null = value { return .null }
        let type = column.type
        func wrong(_ expected: String) -> IntegrationError {
            let shown: String
            switch value {
            case .string(let s): shown = "text '\(s.count > 40 ? String(s.prefix(40)) + "…" : s)'"
            default: shown = value.typeName + " " + value.jsonString().prefix(40)
            }
            return IntegrationError.invalidInput("column \(column.name) (\(type)) expects \(expected), found \(shown)")
        }
        switch column.kind {
        case .array:
            guard case .array(let items) = value else { throw wrong("a JSON array") }
            return .text(postgresArrayLiteral(items))
        case .bytes:
            guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
                throw wrong("base64 text")
            }
            return .bytes(Array(data))
        case .json:
            return .text(value.jsonString())
        case .boolean:
            switch value {
            case .bool(let b): return dialect == .sqlite ? .int(b ? 1 : 0) : .bool(b)
            case .string(let s) where ["true", "false"].contains(s.lowercased()):
                let b = s.lowercased() == "true"
                return dialect == .sqlite ? .int(b ? 1 : 0) : .bool(b)
            case .int(let i) where i == 0 || i == 1: return dialect == .sqlite ? .int(i) : .bool(i == 1)
            default: throw wrong("true or false")
            }
        case .integer:
            switch value {
            case .int(let i): return .int(i)
            case .double(let d) where d.rounded() == d && abs(d) < 9e15: return .int(Int(d))
            case .string(let s) where Int(s) != nil: return .int(Int(s)!)
            default: throw wrong("an integer")
            }
        case .numeric:
            switch value {
            case .int(let i): return .text(String(i))
            case .double(let d): return .text("\(d)")
            case .string(let s)
            where s.range(of: #"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"#, options: .regularExpression) != nil:
                return dialect == .sqlite ? .text(s) : .text(s)
            default: throw wrong("a number or a decimal string")
            }
        case .floating:
            switch value {
            case .int(let i): return .double(Double(i))
            case .double(let d): return .double(d)
            case .string(let s) where Double(s) != nil: return .double(Double(s)!)
            default: throw wrong("a number")
            }
        case .uuid:
            guard case .string(let s) = value, UUID(uuidString: s) != nil else { throw wrong("a UUID") }
            return .text(s)
        case .dateTime:
            guard case .string(let s) = value,
                s.range(
                    of: #"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?|-?infinity)$"#,
                    options: .regularExpression
                ) != nil
            else { throw wrong("an ISO 8601 date or timestamp") }
            return .text(s)
        case .timeOfDay:
            guard case .string(let s) = value, !s.isEmpty else { throw wrong("a time of day") }
            return .text(s)
        case .text, .other:
            // Text and anything else: JSON scalars as themselves, structures as JSON text.
            let textual = column.kind == .text
            switch value {
            case .string(let s): return .text(s)
            case .int(let i): return dialect == .sqlite && !textual ? .int(i) : .text(String(i))
            case .double(let d): return dialect == .sqlite && !textual ? .double(d) : .text("\(d)")
            case .bool(let b): return dialect == .sqlite ? .int(b ? 1 : 0) : .text(b ? "true" : "false")
            default: return .text(value.jsonString())
            }
        }
    }

    /// `{1,2,"a b",NULL}`: PostgreSQL's array input syntax.
    static func postgresArrayLiteral(_ items: [JSONValue]) -> String {
        "{"
            + items.map { item -> String in
                switch item {
                case .null: return "NULL"
                case .array(let inner): return postgresArrayLiteral(inner)
                case .string(let s):
                    return "\""
                        + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                        + "\""
                case .object:
                    return "\""
                        + item.jsonString().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                            of: "\"",
                            with: "\\\""
                        ) + "\""
                default: return item.jsonString()
                }
            }.joined(separator: ",") + "}"
    }
}
