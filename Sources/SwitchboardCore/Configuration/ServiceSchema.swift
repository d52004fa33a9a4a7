/// The keys a service block of one `type` may hold: what `config check` validates against.
///
/// Every type DESIGN.md names is here, whether or not this build has its adapter.
public struct ServiceSchema: Sendable {
    /// The kind of value a key takes.
    public enum Kind: Sendable, Hashable {
        case string, integer, number, boolean, stringList, mapping
        /// One of a fixed set of words.
        case oneOf([String])
        /// An absolute `http` or `https` URL with a host.
        case url

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
            }
        }
    }

    /// One key.
    public struct Key: Sendable {
        /// The key as written in YAML.
        public var name: String
        /// The kind of value.
        public var kind: Kind
        /// Whether the value is a credential (redacted everywhere, warned about when in plain text).
        public var isSecret: Bool
        /// The smallest number allowed, for numeric keys.
        public var minimum: Double?
    }

    /// The configuration `type`.
    public var type: String
    /// The family: `calendar`, `email`, `database`, `storage` or `http`.
    public var family: String
    /// The keys allowed.
    public var keys: [Key]
    /// Keys of which at least one must be present (each inner list is one requirement).
    public var required: [[String]]

    /// The key named `name`.
    public func key(_ name: String) -> Key? { keys.first { $0.name == name } }

    // MARK: The table

    /// Keys whose plain-text values count as secrets for the file-permission check.
    public static let secretKeyNames: Set<String> = [
        "password", "api_key", "client_secret", "secret_key", "access_key", "refresh_token", "token",
        "session_token", "imap_password",
    ]

    /// All known types.
    public static let all: [ServiceSchema] = {
        func k(_ name: String, _ kind: Kind = .string, secret: Bool = false, min: Double? = nil) -> Key {
            Key(name: name, kind: kind, isSecret: secret, minimum: min)
        }
        let common = [k("service_name"), k("type"), k("description")]
        let timeouts = [
            k("connect_timeout_ms", .integer, min: 1), k("read_timeout_ms", .integer, min: 1),
            k("timeout_ms", .integer, min: 1),
        ]
        let http =
            common + timeouts + [
                k("base_url", .url),
                k("auth_type", .oneOf(["none", "api_key", "basic", "bearer", "oauth2", "service_account"])),
                k("api_key", secret: true), k("api_key_header"), k("api_key_query"), k("api_key_prefix"),
                k("username"), k("password", secret: true), k("token", secret: true),
                k("client_id"), k("client_secret", secret: true), k("redirect_uri", .url), k("scopes", .stringList),
                k("auth_uri", .url), k("token_uri", .url), k("refresh_token", secret: true), k("service_account_file"),
                k("grant_type", .oneOf(["authorization_code", "refresh_token", "client_credentials", "jwt_bearer"])),
                k("audience"), k("subject"), k("refresh_margin_s", .number, min: 0),
                k("client_auth", .oneOf(["basic", "post"])),
                k("user_agent"), k("ca_file"), k("max_body_bytes", .integer, min: 1), k("headers", .mapping),
                k("follow_redirects", .boolean),
            ]
        let smtp =
            common + timeouts + [
                k("host"), k("port", .integer, min: 1), k("username"), k("password", secret: true),
                k("tls", .oneOf(["starttls", "tls", "none"])), k("from"), k("from_name"), k("helo_name"),
                k("ca_file"), k("imap_host"), k("imap_port", .integer, min: 1),
                k("imap_tls", .oneOf(["starttls", "tls", "none"])), k("imap_username"),
                k("imap_password", secret: true), k("auth_type", .oneOf(["none", "basic", "plain", "login"])),
            ]
        return [
            ServiceSchema(
                type: "google_calendar",
                family: "calendar",
                keys: http + [k("calendar_id"), k("time_zone")],
                required: []
            ),
            ServiceSchema(
                type: "caldav",
                family: "calendar",
                keys: http + [k("url", .url), k("calendar"), k("calendar_url", .url), k("time_zone")],
                required: [["base_url", "url", "calendar_url"]]
            ),
            ServiceSchema(
                type: "local_calendar",
                family: "calendar",
                keys: common + [k("path"), k("time_zone")],
                required: []
            ),
            ServiceSchema(type: "smtp", family: "email", keys: smtp, required: [["host"]]),
            ServiceSchema(
                type: "http_api",
                family: "email",
                keys: http + [k("provider"), k("from"), k("from_name"), k("send_path"), k("messages_path")],
                required: [["base_url"]]
            ),
            ServiceSchema(type: "maildir", family: "email", keys: common + [k("path"), k("from")], required: []),
            ServiceSchema(
                type: "postgresql",
                family: "database",
                keys: common + timeouts + [
                    k("host"), k("port", .integer, min: 1), k("database"), k("username"),
                    k("password", secret: true), k("tls", .oneOf(["require", "prefer", "disable"])), k("ca_file"),
                    k("statement_timeout_ms", .integer, min: 0), k("application_name"), k("max_rows", .integer, min: 1),
                ],
                required: []
            ),
            ServiceSchema(
                type: "sqlite",
                family: "database",
                keys: common + [
                    k("path"), k("busy_timeout_ms", .integer, min: 0), k("max_rows", .integer, min: 1),
                    k("allow_attach", .boolean),
                ],
                required: []
            ),
            ServiceSchema(
                type: "s3",
                family: "storage",
                keys: common + timeouts + [
                    k("bucket"), k("region"), k("access_key", secret: true), k("secret_key", secret: true),
                    k("session_token", secret: true), k("endpoint", .url), k("path_style", .boolean),
                    k("multipart_threshold_mb", .integer, min: 5), k("part_size_mb", .integer, min: 5),
                    k("parallel_parts", .integer, min: 1), k("ca_file"), k("user_agent"), k("prefix"),
                ],
                required: [["bucket"]]
            ),
            ServiceSchema(type: "local", family: "storage", keys: common + [k("root")], required: []),
            ServiceSchema(type: "http", family: "http", keys: http, required: [["base_url"]]),
        ]
    }()

    /// The schema of `type`, accepting the alias `postgres`.
    public static func named(_ type: String) -> ServiceSchema? {
        let normalized = type == "postgres" ? "postgresql" : type
        return all.first { $0.type == normalized }
    }

    /// Every known type name.
    public static var typeNames: [String] { all.map(\.type) }
}
