import Foundation
import Logging
import SwitchboardCore

/// The generic REST adapter (`type: http`): the seed's `BaseAdapter` for any API.
///
/// Operation `request`: input `{method, path, query, headers, body}`, output `{status, headers, body}`. GET, HEAD,
/// PUT, DELETE and OPTIONS are idempotent; POST and PATCH are retried only with an idempotency key, which is sent
/// as the `Idempotency-Key` header.
public struct HTTPIntegration: Integration {
    public let kind = "http"
    /// The transport stops every request at the call's deadline.
    public var enforcesDeadline: Bool { true }
    /// The service's settings.
    public let settings: HTTPServiceSettings
    let transport: HTTPTransport
    let authenticator: any Authenticator

    static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "PUT", "DELETE", "OPTIONS": true
        default: false
        }
    }

    /// The method, upper-cased (GET when absent); the schema allows only ASCII names.
    static func method(_ given: String?) -> String {
        guard let given else { return "GET" }
        return given.utf8.contains(where: { (0x61...0x7A).contains($0) }) ? given.uppercased() : given
    }

    /// Creates the adapter.
    public init(settings: HTTPServiceSettings, transport: HTTPTransport, authenticator: any Authenticator) {
        self.settings = settings
        self.transport = transport
        self.authenticator = authenticator
    }

    public var operations: [OperationDescriptor] {
        [
            OperationDescriptor(
                name: "request",
                summary: "Send one HTTP request to the service's base_url and return the status, headers and body.",
                inputSchema: [
                    "type": "object",
                    "properties": [
                        "method": [
                            "type": "string",
                            "enum": [
                                "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "head", "post",
                                "put", "patch", "delete", "options",
                            ],
                        ],
                        "path": ["type": "string"],
                        "query": ["type": "object"],
                        "headers": ["type": "object"],
                        "body": ["type": ["object", "array", "string", "number", "boolean", "null"]],
                    ],
                    "additionalProperties": false,
                ],
                outputSchema: [
                    "type": "object",
                    "properties": [
                        "status": ["type": "integer"], "headers": ["type": "object"],
                        "body": ["type": ["object", "array", "string", "number", "boolean", "null"]],
                    ],
                ],
                idempotency: .decidedPerCall { input in
                    Self.isIdempotent(Self.method(input["method"]?.stringValue))
                }
            )
        ]
    }

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        guard operation == "request" else {
            throw IntegrationError(code: .unknownOperation, message: "no operation named \(operation)")
        }
        let method = Self.method(input["method"]?.stringValue)
        var query: [(String, String)] = []
        if let members = input["query"]?.objectValue, !members.isEmpty {
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .array(let items): query += items.map { (name, Self.text($0)) }
                case .null: continue
                default: query.append((name, Self.text(value)))
                }
            }
        }
        let url = try settings.url(path: input["path"]?.stringValue ?? "", query: query)
        var headers: [(String, String)] = []
        if let members = input["headers"]?.objectValue, !members.isEmpty {
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                try HeaderRules.checkInput(name: name, value: Self.text(value))
                headers.append((name, Self.text(value)))
            }
        }
        var body: Data?
        switch input["body"] {
        case nil, .null?: body = nil
        case .string(let text)?: body = Data(text.utf8)
        case let value?:
            body = Data(value.jsonString().utf8)
            if !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "Content-Type") }) {
                headers.append(("Content-Type", "application/json"))
            }
        }
        if let key = context.idempotencyKey {
            try HeaderRules.checkValue(key, field: "the idempotency key")
        }
        if let key = context.idempotencyKey,
            !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "Idempotency-Key") })
        {
            headers.append(("Idempotency-Key", key))
        }
        if !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "Accept") }) {
            headers.append(("Accept", "application/json, */*;q=0.5"))
        }
        let response = try await transport.send(
            TransportRequest(method: method, url: url, headers: headers, body: body.map(TransportBody.init)),
            settings: settings,
            authenticator: authenticator,
            logger: context.logger(enabledAt: .trace),
            deadline: context.remaining
        )
        var headerObject: [String: JSONValue] = [:]
        headerObject.reserveCapacity(response.headers.count)
        for (name, value) in response.headers {
            let key = asciiLowercased(name)
            if case .string(let existing)? = headerObject[key] {
                headerObject[key] = .string(existing + ", " + value)
            } else {
                headerObject[key] = .string(value)
            }
        }
        return ["status": .int(response.status), "headers": .object(headerObject), "body": Self.decodeBody(response)]
    }

    static func text(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.jsonString()
    }

    static func decodeBody(_ response: TransportResponse) -> JSONValue {
        if response.body.isEmpty { return .null }
        if let type = response.header("Content-Type"), asciiContainsCaseInsensitive(type, "json"),
            let json = try? JSONValue.parse(response.body)
        {
            return json
        }
        return .string(String(decoding: response.body, as: UTF8.self))
    }
}

/// Builds the HTTP-based adapters this module offers, sharing one transport and one token store.
public struct HTTPAdapters: Sendable {
    /// The shared transport.
    public let transport: HTTPTransport
    /// Where OAuth 2.0 tokens are kept.
    public let tokenStore: any TokenStore
    /// The clock token refreshes and JWTs use.
    public let clock: any ResilienceClock

    /// Creates the set.
    public init(transport: HTTPTransport, tokenStore: any TokenStore, clock: any ResilienceClock = SystemClock()) {
        self.transport = transport
        self.tokenStore = tokenStore
        self.clock = clock
    }

    /// The keys of the timeouts every network service takes.
    public static let timeoutKeys: [ServiceSchema.Key] = [
        .init("connect_timeout_ms", .integer, minimum: 1), .init("read_timeout_ms", .integer, minimum: 1),
        .init("timeout_ms", .integer, minimum: 1),
    ]

    /// The keys of any HTTP-based service block (`http`, and the calendar and e-mail APIs): the URL,
    /// authentication, timeouts, TLS and headers.
    public static let serviceKeys: [ServiceSchema.Key] =
        ServiceSchema.commonKeys + timeoutKeys + [
            .init("base_url", .url),
            .init("auth_type", .oneOf(["none", "api_key", "basic", "bearer", "oauth2", "service_account"])),
            .init("api_key", secret: true), .init("api_key_header"), .init("api_key_query"), .init("api_key_prefix"),
            .init("username"), .init("password", secret: true), .init("token", secret: true),
            .init("client_id"), .init("client_secret", secret: true), .init("redirect_uri", .url),
            .init("scopes", .stringList), .init("auth_uri", .url), .init("token_uri", .url),
            .init("refresh_token", secret: true), .init("service_account_file"),
            .init("grant_type", .oneOf(["authorization_code", "refresh_token", "client_credentials", "jwt_bearer"])),
            .init("audience"), .init("subject"), .init("refresh_margin_s", .number, minimum: 0),
            .init("client_auth", .oneOf(["basic", "post"])),
            .init("user_agent"), .init("ca_file"), .init("max_body_bytes", .integer, minimum: 1),
            .init("headers", .mapping), .init("follow_redirects", .boolean),
        ]

    /// The `http` family: `type: http` for any REST API; a block with `base_url` and no `type` is one.
    public var family: AdapterFamily {
        AdapterFamily(name: "http", factories: factories) { _, block in block["base_url"] != nil ? "http" : nil }
    }

    /// The factory for `type: http`.
    public var factories: [AdapterFactory] {
        [
            AdapterFactory(
                schema: ServiceSchema(type: "http", family: "http", keys: Self.serviceKeys, required: [["base_url"]])
            ) {
                configuration,
                _ in
                let settings = try HTTPServiceSettings.load(from: configuration)
                return HTTPIntegration(
                    settings: settings,
                    transport: transport,
                    authenticator: try authenticator(for: settings)
                )
            }
        ]
    }

    /// The authenticator of a service with `settings`, on this set's transport, token store and clock.
    public func authenticator(for settings: HTTPServiceSettings) throws -> any Authenticator {
        try settings.authentication.makeAuthenticator(
            service: settings.service,
            transport: transport,
            store: tokenStore,
            clock: clock,
            caFile: settings.caFile
        )
    }

    /// `shared` when there is one, else a set of its own (a transport the adapter must shut down: `owned`).
    public static func sharedOrOwn(_ shared: HTTPAdapters?) -> (http: HTTPAdapters, owned: Bool) {
        if let shared { return (shared, false) }
        return (HTTPAdapters(transport: HTTPTransport(), tokenStore: InMemoryTokenStore()), true)
    }

    /// Google's endpoints, the defaults for `type: google_calendar`.
    public static let googleTokenURI = "https://oauth2.googleapis.com/token"
    /// Google's authorization endpoint.
    public static let googleAuthURI = "https://accounts.google.com/o/oauth2/v2/auth"

    /// The settings of any HTTP-based service block, with Google's endpoints as defaults for `google_calendar`.
    public static func settings(for configuration: ServiceConfiguration) throws -> HTTPServiceSettings {
        let google = configuration.type == "google_calendar"
        return try HTTPServiceSettings.load(
            from: configuration,
            defaultBaseURL: google ? "https://www.googleapis.com/calendar/v3" : nil,
            defaultTokenURI: google ? googleTokenURI : nil,
            defaultAuthURI: google ? googleAuthURI : nil
        )
    }
}
