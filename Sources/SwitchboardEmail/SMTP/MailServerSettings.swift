import SwitchboardCore
import SwitchboardHTTP

/// The `smtp:` and `imap:` blocks of a `type: smtp` service, read into endpoints and credentials.
///
/// ```yaml
/// email:
///   type: smtp
///   from: alice@example.com
///   smtp: {host: smtp.example.com, port: 587, security: starttls, username: alice@example.com, password: ${SMTP_PASSWORD}}
///   imap: {host: imap.example.com, security: tls}     # username, password and ca_file default to smtp's
/// ```
package enum MailServerSettings {
    /// The keys of both blocks.
    package static let blockKeys: [ServiceSchema.Key] = [
        .init("host"), .init("port", .integer, minimum: 1), .init("security", .oneOf(["starttls", "tls", "none"])),
        .init("username"), .init("password", secret: true), .init("auth", .oneOf(["plain", "login", "xoauth2"])),
        .init("ca_file"), .init("allow_insecure", .boolean),
    ]

    /// The OAuth 2.0 keys a service may carry for `auth: xoauth2`.
    package static let oauthKeys: [ServiceSchema.Key] = [
        .init("client_id"), .init("client_secret", secret: true), .init("token_uri", .url),
        .init("refresh_token", secret: true), .init("scopes", .stringList),
        .init("grant_type", .oneOf(["refresh_token", "client_credentials", "jwt_bearer"])),
        .init("client_auth", .oneOf(["basic", "post"])), .init("service_account_file"), .init("subject"),
    ]

    struct Block {
        var endpoint: MailEndpoint
        var credentials: MailCredentials?
        var allowInsecure: Bool
    }

    /// One block; `fallback` (the smtp block, for imap) fills host, credentials and `ca_file` when absent.
    static func block(
        _ block: ServiceConfiguration,
        service: ServiceConfiguration,
        defaultPorts: (tls: Int, starttls: Int, none: Int),
        fallback: ServiceConfiguration?,
        http: HTTPAdapters?
    ) throws -> Block {
        func string(_ key: String) throws -> String? {
            if let value = try block.string(key) { return value }
            return try fallback?.string(key)
        }
        let host = try block.string("host") ?? fallback?.string("host") ?? block.requiredString("host")
        let port = try block.int("port")
        let security: MailSecurity
        if let word = try block.string("security"), let value = MailSecurity(rawValue: word) {
            security = value
        } else if port == defaultPorts.tls {
            security = .tls
        } else {
            security = .starttls
        }
        var endpoint = MailEndpoint(
            host: host,
            port: port
                ?? {
                    switch security {
                    case .tls: defaultPorts.tls
                    case .starttls: defaultPorts.starttls
                    case .none: defaultPorts.none
                    }
                }(),
            security: security,
            caFile: try string("ca_file")
        )
        if let connect = try service.int("connect_timeout_ms") { endpoint.connectTimeout = .milliseconds(connect) }
        let allowInsecure = try block.bool("allow_insecure") ?? false
        var credentials: MailCredentials?
        if let username = try string("username") {
            let mechanism = try block.string("auth").flatMap(SASLMechanism.init(rawValue:))
            let password =
                try block.secret("password") ?? (block.string("username") == nil ? fallback?.secret("password") : nil)
            var value = MailCredentials(username: username, password: password, mechanism: mechanism)
            if mechanism == .xoauth2 {
                let settings = try AuthenticationSettings.oauth2Settings(from: service)
                let (http, _) = HTTPAdapters.sharedOrOwn(http)
                let tokens = try TokenManager(
                    service: service.name,
                    settings: settings,
                    transport: http.transport,
                    store: http.tokenStore,
                    clock: http.clock
                )
                value.accessToken = { try await tokens.token().accessToken }
            } else if password == nil {
                throw ConfigurationError(
                    at: block.location,
                    keyPath: "\(block.name).password",
                    "is required with a username (or set auth: xoauth2 with the service's OAuth 2.0 keys)"
                )
            }
            credentials = value
        }
        if security == .none, credentials != nil, !allowInsecure {
            throw ConfigurationError(
                at: block.node("security")?.location ?? block.location,
                keyPath: "\(block.name).security",
                "security: none would send the password in the clear; use starttls or tls, or set allow_insecure: true"
            )
        }
        return Block(endpoint: endpoint, credentials: credentials, allowInsecure: allowInsecure)
    }

    /// The SMTP settings of `service`.
    static func smtp(_ service: ServiceConfiguration, http: HTTPAdapters?) throws -> SMTPSettings {
        guard let smtp = try service.block("smtp") else {
            throw ConfigurationError(
                at: service.location,
                keyPath: "\(service.name).smtp",
                "is required for a smtp service: smtp: {host, port, security, username, password}"
            )
        }
        let block = try block(smtp, service: service, defaultPorts: (465, 587, 25), fallback: nil, http: http)
        var settings = SMTPSettings(endpoint: block.endpoint, credentials: block.credentials)
        settings.allowInsecure = block.allowInsecure
        if let name = try service.string("helo_name") { settings.heloName = name }
        if let read = try service.int("read_timeout_ms") { settings.timeouts = SMTPTimeouts(all: .milliseconds(read)) }
        return settings
    }

    /// The IMAP settings of `service`, when it has an `imap:` block.
    static func imap(_ service: ServiceConfiguration, http: HTTPAdapters?) throws -> IMAPSettings? {
        guard let imap = try service.block("imap") else { return nil }
        let block = try block(
            imap,
            service: service,
            defaultPorts: (993, 143, 143),
            fallback: try service.block("smtp"),
            http: http
        )
        guard let credentials = block.credentials else {
            throw ConfigurationError(
                at: imap.location,
                keyPath: "\(imap.name).username",
                "is required: IMAP needs a login"
            )
        }
        var settings = IMAPSettings(endpoint: block.endpoint, credentials: credentials)
        settings.allowInsecure = block.allowInsecure
        if let read = try service.int("read_timeout_ms") { settings.timeout = .milliseconds(read) }
        return settings
    }
}
