/// The keys a service block of one `type` may hold: what `config check` validates against.
///
/// Each adapter family declares the schemas of its types (``AdapterFactory/schema``); the loader validates
/// against the ones registered with it (``SchemaRegistry``).
public struct ServiceSchema: Sendable {
    /// The kind of value a key takes.
    public enum Kind: Sendable, Hashable {
        case string, integer, number, boolean, stringList, mapping
        /// One of a fixed set of words.
        case oneOf([String])
        /// An absolute `http` or `https` URL with a host.
        case url
        /// A nested block whose keys are validated one by one like a service's own (`smtp:` and `imap:`
        /// inside an e-mail service): did-you-mean, kinds, placeholders, secrets, `${VAR}`.
        indirect case block([Key])

        var expectation: String {
            switch self {
            case .string: return "text"
            case .integer: return "an integer"
            case .number: return "a number"
            case .boolean: return "true or false"
            case .stringList: return "a list of text"
            case .mapping: return "a mapping"
            case .oneOf(let words): return "one of " + words.joined(separator: ", ")
            case .url: return "an http or https URL"
            case .block: return "a mapping of keys"
            }
        }
    }

    /// One key.
    public struct Key: Sendable, Hashable {
        /// The key as written in YAML.
        public var name: String
        /// The kind of value.
        public var kind: Kind
        /// Whether the value is a credential (redacted everywhere, warned about when in plain text).
        public var isSecret: Bool
        /// The smallest number allowed, for numeric keys.
        public var minimum: Double?

        /// Creates a key.
        public init(_ name: String, _ kind: Kind = .string, secret: Bool = false, minimum: Double? = nil) {
            self.name = name
            self.kind = kind
            self.isSecret = secret
            self.minimum = minimum
        }
    }

    /// The configuration `type`.
    public var type: String
    /// The family: `calendar`, `email`, `database`, `storage` or `http`.
    public var family: String
    /// The keys allowed.
    public var keys: [Key]
    /// Keys of which at least one must be present (each inner list is one requirement).
    public var required: [[String]]
    /// Other names of the type (`postgres` for `postgresql`).
    public var aliases: [String]

    /// The key named `name`.
    public func key(_ name: String) -> Key? { keys.first { $0.name == name } }

    // MARK: The table

    /// Keys whose plain-text values count as secrets for the file-permission check.
    public static let secretKeyNames: Set<String> = [
        "password", "api_key", "client_secret", "secret_key", "access_key", "refresh_token", "token",
        "session_token", "imap_password",
    ]

    /// Creates a schema.
    public init(type: String, family: String, keys: [Key], required: [[String]] = [], aliases: [String] = []) {
        self.type = type
        self.family = family
        self.keys = keys
        self.required = required
        self.aliases = aliases
    }

    /// The keys every service block may hold, whatever its type: `service_name`, `type`, `description`.
    public static let commonKeys = [Key("service_name"), Key("type"), Key("description")]
}
