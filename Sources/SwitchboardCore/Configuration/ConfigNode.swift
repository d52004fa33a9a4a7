/// Where a configuration value came from: a file position, an environment variable or a command-line flag.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path, or a label such as `environment SWITCHBOARD_DATABASE__HOST` or `--set`.
    public var file: String
    /// The line, from 1, when known.
    public var line: Int?
    /// The column, from 1, when known.
    public var column: Int?

    /// Creates a location.
    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, or as much of it as is known.
    public var description: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }
}

/// One value of a configuration tree, with where it came from.
public struct ConfigNode: Sendable {
    /// One key and its value in a mapping.
    public struct Entry: Sendable {
        /// The key.
        public var key: String
        /// Where the key stands.
        public var keyLocation: SourceLocation
        /// The value.
        public var node: ConfigNode
    }

    /// The shape of a value.
    public enum Value: Sendable {
        /// Text; YAML's plain `null`, `~` and empty values are ``ConfigNode/isNull``.
        case scalar(String)
        /// A list.
        case sequence([ConfigNode])
        /// A mapping, in file order.
        case mapping([Entry])
    }

    /// How a scalar got its value.
    public enum Origin: Sendable, Hashable {
        /// Written in the file as it is.
        case literal
        /// Built from `${VAR}` references.
        case environment
        /// Decrypted from an `enc:v1:` value or an encrypted file.
        case encrypted
        /// Set by a `SWITCHBOARD_*` variable or a `--set` flag.
        case override
    }

    /// The value.
    public var value: Value
    /// Where the value stands.
    public var location: SourceLocation
    /// `true` when the YAML scalar was quoted (so `"5432"` is text, not a number).
    public var isQuoted: Bool = false
    /// How the value was obtained.
    public var origin: Origin = .literal

    /// Creates a node.
    public init(value: Value, location: SourceLocation, isQuoted: Bool = false, origin: Origin = .literal) {
        self.value = value
        self.location = location
        self.isQuoted = isQuoted
        self.origin = origin
    }

    /// The scalar text, or `nil` for a list or a mapping.
    public var scalar: String? {
        if case .scalar(let s) = value { return s }
        return nil
    }

    /// The mapping entries, or `nil` when the value is not a mapping.
    public var entries: [Entry]? {
        if case .mapping(let e) = value { return e }
        return nil
    }

    /// `true` for YAML null (`null`, `~` or nothing), unquoted.
    public var isNull: Bool {
        guard !isQuoted, let s = scalar else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// The member `key` of a mapping.
    public subscript(key: String) -> ConfigNode? {
        entries?.first(where: { $0.key == key })?.node
    }

    /// A word for the value's shape, for messages: `a mapping`, `a list`, `text`, `a number`.
    public var shapeDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            if isNull { return "nothing (null)" }
            if !isQuoted && Int(s) != nil { return "a number" }
            if !isQuoted && Double(s) != nil { return "a number" }
            if !isQuoted && ConfigNode.boolValue(s) != nil { return "a boolean" }
            return "text"
        }
    }

    static func boolValue(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The value as plain data (mappings as objects), secrets included: for adapters that read nested blocks.
    public var jsonValue: JSONValue {
        switch value {
        case .scalar(let s):
            if isNull { return .null }
            if !isQuoted, let i = Int(s) { return .int(i) }
            if !isQuoted, let d = Double(s) { return .double(d) }
            if !isQuoted, let b = ConfigNode.boolValue(s) { return .bool(b) }
            return .string(s)
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let entries):
            var object: [String: JSONValue] = [:]
            for entry in entries { object[entry.key] = entry.node.jsonValue }
            return .object(object)
        }
    }
}
