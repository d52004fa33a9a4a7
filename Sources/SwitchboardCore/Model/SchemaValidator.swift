/// Checks a value against the subset of JSON Schema that operation catalogs use: `type`, `required`,
/// `properties`, `additionalProperties: false`, `items`, `enum`, `minimum`, `maximum`, `minLength`.
package enum SchemaValidator {
    /// The first problem found, as "`path`: expected ..., found ...", or `nil` when `value` conforms.
    package static func firstProblem(in value: JSONValue, schema: JSONValue, path: String = "input") -> String? {
        // A pass that builds no text first: most inputs conform, and the message is only built when one does not.
        if conforms(value, to: schema) { return nil }
        return report(value, schema: schema, path: path)
    }

    private static func conforms(_ value: JSONValue, to schema: JSONValue) -> Bool {
        guard case .object(let rules) = schema, !rules.isEmpty else { return true }
        if let type = rules["type"] {
            switch type {
            case .string(let name): if !matches(value, type: name) { return false }
            case .array(let names):
                if !names.isEmpty
                    && !names.contains(where: { $0.stringValue.map { matches(value, type: $0) } ?? false })
                {
                    return false
                }
            default: break
            }
        }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) { return false }
        if let minimum = rules["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            return false
        }
        if let maximum = rules["maximum"]?.doubleValue, let number = value.doubleValue, number > maximum {
            return false
        }
        if let minLength = rules["minLength"]?.intValue, let text = value.stringValue, text.count < minLength {
            return false
        }
        if case .object(let members) = value {
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where members[name] == nil || members[name] == .null {
                    return false
                }
            }
            let properties = rules["properties"]?.objectValue
            let closed = rules["additionalProperties"] == .bool(false)
            for (name, member) in members {
                if let propertySchema = properties?[name] {
                    if member == .null { continue }
                    if !conforms(member, to: propertySchema) { return false }
                } else if closed {
                    return false
                }
            }
        }
        if case .array(let items) = value, let itemSchema = rules["items"] {
            for item in items where !conforms(item, to: itemSchema) { return false }
        }
        return true
    }

    private static func report(_ value: JSONValue, schema: JSONValue, path: String) -> String? {
        guard case .object(let rules) = schema, !rules.isEmpty else { return nil }
        if let type = rules["type"] {
            let allowed: [String] = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
            if !allowed.isEmpty && !allowed.contains(where: { matches(value, type: $0) }) {
                return "\(path): expected \(allowed.joined(separator: " or ")), found \(value.typeName)"
            }
        }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            return "\(path): expected one of \(options.map(\.description).joined(separator: ", ")), found \(value)"
        }
        if let minimum = rules["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            return "\(path): must be at least \(rules["minimum"]!), found \(value)"
        }
        if let maximum = rules["maximum"]?.doubleValue, let number = value.doubleValue, number > maximum {
            return "\(path): must be at most \(rules["maximum"]!), found \(value)"
        }
        if let minLength = rules["minLength"]?.intValue, let text = value.stringValue, text.count < minLength {
            return "\(path): must be at least \(minLength) characters long"
        }
        if case .object(let members) = value {
            if let required = rules["required"]?.arrayValue {
                for case .string(let name) in required where members[name] == nil || members[name] == .null {
                    return "\(path).\(name): is required"
                }
            }
            let properties = rules["properties"]?.objectValue ?? [:]
            for (name, member) in members {
                if let propertySchema = properties[name] {
                    if member == .null && !(rules["required"]?.arrayValue?.contains(.string(name)) ?? false) {
                        continue
                    }
                    if let problem = report(member, schema: propertySchema, path: "\(path).\(name)") {
                        return problem
                    }
                } else if rules["additionalProperties"] == .bool(false) {
                    var message = "\(path).\(name): unknown field"
                    if let suggestion = Suggestion.closest(to: name, among: Array(properties.keys)) {
                        message += "; did you mean \(suggestion)?"
                    } else if !properties.isEmpty {
                        message += " (expected: \(properties.keys.sorted().joined(separator: ", ")))"
                    }
                    return message
                }
            }
        }
        if case .array(let items) = value, let itemSchema = rules["items"] {
            for (index, item) in items.enumerated() {
                if let problem = report(item, schema: itemSchema, path: "\(path)[\(index)]") { return problem }
            }
        }
        return nil
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .int), ("number", .int), ("number", .double):
            return true
        case ("integer", .double(let d)):
            return d.rounded() == d
        default:
            return false
        }
    }
}
