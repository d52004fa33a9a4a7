import Foundation
import SwitchboardCore

/// Where an API key goes.
public struct APIKeyPlacement: Sendable, Hashable {
    enum Base: Sendable, Hashable {
        case bearer
        case header(String, prefix: String)
        case query(String)
    }
    let base: Base
    /// `Authorization: Bearer KEY`, as the seed sends it.
    public static let bearer = APIKeyPlacement(base: .bearer)
    /// A named header (`X-API-Key: KEY`), with an optional value prefix.
    public static func header(_ name: String, prefix: String = "") -> APIKeyPlacement {
        APIKeyPlacement(base: .header(name, prefix: prefix))
    }
    /// A query parameter (`?key=KEY`).
    public static func query(_ name: String) -> APIKeyPlacement { APIKeyPlacement(base: .query(name)) }
}

/// OAuth 2.0 client settings of a service.
///
/// ## Configuration keys
/// `client_id`, `client_secret` (secret), `auth_uri`, `token_uri`, `redirect_uri`, `scopes` (list),
/// `refresh_token` (secret; lets a headless server start without `auth login`), `service_account_file`
/// (Google service-account JSON key: the JWT bearer grant), `subject` (user to impersonate with a service
/// account), `grant_type` (`authorization_code`, `refresh_token`, `client_credentials`, `jwt_bearer`; inferred when
/// absent), `client_auth` (`basic`, the default, or `post`), `refresh_margin_s` (default 60).
public struct OAuth2Settings: Sendable {
    /// The grant that obtains tokens.
    public enum Grant: String, Sendable {
        /// Authorization code with PKCE (`auth login`), then refresh tokens.
        case authorizationCode = "authorization_code"
        /// A refresh token from the configuration or the token store.
        case refreshToken = "refresh_token"
        /// The client's own credentials.
        case clientCredentials = "client_credentials"
        /// A signed JWT from a service-account key (RFC 7523).
        case jwtBearer = "jwt_bearer"
    }

    /// How the client authenticates to the token endpoint.
    public enum ClientAuthentication: String, Sendable {
        /// HTTP Basic, as RFC 6749 §2.3.1 asks servers to support.
        case basic
        /// `client_id` and `client_secret` in the form body.
        case post
    }

    public var clientID: String?
    public var clientSecret: Secret?
    public var authURI: String?
    public var tokenURI: String?
    public var redirectURI: String?
    public var scopes: [String] = []
    public var refreshToken: Secret?
    public var serviceAccountFile: String?
    public var subject: String?
    public var grant: Grant = .authorizationCode
    public var clientAuthentication: ClientAuthentication = .basic
    /// Refresh when less than this remains of a token's life. Default 60 s.
    public var refreshMargin: Duration = .seconds(60)

    /// Creates settings.
    public init() {}
}

/// The credentials a service sends: the seed's `auth_type` and its keys.
public struct AuthenticationSettings: Sendable {
    enum Kind: Sendable {
        case none
        case apiKey(Secret, APIKeyPlacement)
        case basic(username: String, password: Secret)
        case bearer(Secret)
        case oauth2(OAuth2Settings)
    }
    let kind: Kind

    /// No credentials.
    public static let none = AuthenticationSettings(kind: .none)
    /// An API key (`auth_type: api_key`).
    public static func apiKey(_ key: Secret, placement: APIKeyPlacement = .bearer) -> AuthenticationSettings {
        AuthenticationSettings(kind: .apiKey(key, placement))
    }
    /// HTTP Basic (`auth_type: basic`).
    public static func basic(username: String, password: Secret) -> AuthenticationSettings {
        AuthenticationSettings(kind: .basic(username: username, password: password))
    }
    /// A fixed bearer token (`auth_type: bearer`).
    public static func bearer(_ token: Secret) -> AuthenticationSettings {
        AuthenticationSettings(kind: .bearer(token))
    }
    /// OAuth 2.0 (`auth_type: oauth2` or `service_account`).
    public static func oauth2(_ settings: OAuth2Settings) -> AuthenticationSettings {
        AuthenticationSettings(kind: .oauth2(settings))
    }

    /// The OAuth 2.0 settings, when this is OAuth 2.0.
    public var oauth2: OAuth2Settings? {
        if case .oauth2(let settings) = kind { return settings }
        return nil
    }

    /// The `auth_type` word.
    public var typeName: String {
        switch kind {
        case .none: return "none"
        case .apiKey: return "api_key"
        case .basic: return "basic"
        case .bearer: return "bearer"
        case .oauth2: return "oauth2"
        }
    }

    static func load(
        from configuration: ServiceConfiguration,
        defaultTokenURI: String?,
        defaultAuthURI: String?
    ) throws -> AuthenticationSettings {
        let type = try configuration.string("auth_type")?.lowercased() ?? "none"
        switch type {
        case "none":
            return .none
        case "api_key":
            let key = try configuration.secret("api_key") ?? Secret(configuration.requiredString("api_key"))
            if let header = try configuration.string("api_key_header") {
                return .apiKey(
                    key,
                    placement: .header(header, prefix: try configuration.string("api_key_prefix") ?? "")
                )
            }
            if let parameter = try configuration.string("api_key_query") {
                return .apiKey(key, placement: .query(parameter))
            }
            return .apiKey(key)
        case "basic":
            return .basic(
                username: try configuration.requiredString("username"),
                password: Secret(try configuration.requiredString("password"))
            )
        case "bearer":
            return .bearer(Secret(try configuration.requiredString("token")))
        case "oauth2", "service_account":
            return .oauth2(
                try oauth2Settings(
                    from: configuration,
                    serviceAccount: type == "service_account",
                    defaultTokenURI: defaultTokenURI,
                    defaultAuthURI: defaultAuthURI
                )
            )
        default:
            throw ConfigurationError(
                at: configuration.node("auth_type")?.location ?? configuration.location,
                keyPath: "\(configuration.name).auth_type",
                "unknown auth_type \(type); expected none, api_key, basic, bearer, oauth2 or service_account"
            )
        }
    }

    /// The OAuth 2.0 keys of a service block (`client_id`, `token_uri`, `refresh_token`, ...), checked for the
    /// grant they imply; for OAuth 2.0 outside HTTP too (SMTP and IMAP XOAUTH2).
    package static func oauth2Settings(
        from configuration: ServiceConfiguration,
        serviceAccount: Bool = false,
        defaultTokenURI: String? = nil,
        defaultAuthURI: String? = nil
    ) throws -> OAuth2Settings {
        var settings = OAuth2Settings()
        settings.clientID = try configuration.string("client_id")
        settings.clientSecret = try configuration.secret("client_secret")
        settings.authURI = try configuration.string("auth_uri") ?? defaultAuthURI
        settings.tokenURI = try configuration.string("token_uri") ?? defaultTokenURI
        settings.redirectURI = try configuration.string("redirect_uri")
        settings.scopes = try configuration.stringList("scopes") ?? []
        settings.refreshToken = try configuration.secret("refresh_token")
        settings.serviceAccountFile = try configuration.string("service_account_file")
        settings.subject = try configuration.string("subject")
        if let margin = try configuration.double("refresh_margin_s") { settings.refreshMargin = .seconds(margin) }
        if let auth = try configuration.string("client_auth") {
            settings.clientAuthentication = OAuth2Settings.ClientAuthentication(rawValue: auth) ?? .basic
        }
        if let grant = try configuration.string("grant_type") {
            settings.grant = OAuth2Settings.Grant(rawValue: grant) ?? .authorizationCode
        } else if settings.serviceAccountFile != nil || serviceAccount {
            settings.grant = .jwtBearer
        } else if settings.refreshToken != nil {
            settings.grant = .refreshToken
        } else if settings.redirectURI != nil || configuration.node("auth_uri") != nil {
            settings.grant = .authorizationCode
        } else {
            settings.grant = .clientCredentials
        }
        let location = configuration.node("auth_type")?.location ?? configuration.location
        func require(_ value: Any?, _ key: String, _ why: String) throws {
            if value == nil {
                throw ConfigurationError(
                    at: location,
                    keyPath: "\(configuration.name).\(key)",
                    "is required \(why)"
                )
            }
        }
        switch settings.grant {
        case .jwtBearer:
            try require(settings.serviceAccountFile, "service_account_file", "for the service-account (JWT) grant")
        case .clientCredentials:
            try require(settings.clientID, "client_id", "for the client_credentials grant")
            try require(settings.tokenURI, "token_uri", "for OAuth2")
        case .refreshToken:
            try require(settings.clientID, "client_id", "to refresh tokens")
            try require(settings.tokenURI, "token_uri", "for OAuth2")
        case .authorizationCode:
            try require(settings.clientID, "client_id", "for OAuth2")
            try require(settings.tokenURI, "token_uri", "for OAuth2")
        }
        return settings
    }
}
