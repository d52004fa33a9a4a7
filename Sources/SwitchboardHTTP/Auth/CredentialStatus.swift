import Foundation
import SwitchboardCore

/// How one service's credentials stand, as `switchboard auth status` (and the server's status page) shows it:
/// the type, the OAuth 2.0 grant, whether a stored token is valid, its expiry and scopes. Never a secret.
public struct CredentialStatus: Sendable, Equatable {
    /// The service name.
    public var service: String
    /// The `auth_type` (`oauth2`, `api_key`, `basic`, `bearer`, `none`), or `nil` when the settings are invalid.
    public var authType: String?
    /// The OAuth 2.0 grant (`authorization_code`, `client_credentials`, ...).
    public var grant: String?
    /// What a person needs to know (`token valid`, `not logged in: run ...`, `invalid: ...`).
    public var state: String
    /// When the stored token expires.
    public var expiresAt: Date?
    /// The stored token's scopes.
    public var scopes: [String] = []
    /// Whether a refresh token is stored.
    public var hasRefreshToken: Bool?

    /// Creates a status.
    public init(service: String, authType: String?, grant: String? = nil, state: String) {
        self.service = service
        self.authType = authType
        self.grant = grant
        self.state = state
    }

    /// The JSON form: `{service, auth_type, grant?, state, expires_at?, scopes?, refresh_token?}`.
    public var json: JSONValue {
        var row: [String: JSONValue] = ["service": .string(service), "state": .string(state)]
        if let authType { row["auth_type"] = .string(authType) }
        if let grant { row["grant"] = .string(grant) }
        if let hasRefreshToken {
            row["expires_at"] = expiresAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null
            row["scopes"] = .array(scopes.map { .string($0) })
            row["refresh_token"] = .bool(hasRefreshToken)
        }
        return .object(row)
    }

    /// One line for a person.
    public var line: String {
        var line = "\(service): \(authType ?? "?")"
        if let grant { line += " (\(grant))" }
        line += " — \(state)"
        if let expiresAt { line += ", expires \(ISO8601DateFormatter().string(from: expiresAt))" }
        if !scopes.isEmpty { line += ", scopes: " + scopes.joined(separator: " ") }
        return line
    }
}

extension HTTPAdapters {
    /// The credential state of every configured service with credentials (an `auth_type`, or Google Calendar's
    /// implied OAuth 2.0), in configuration order, reading stored tokens from ``tokenStore``.
    public func credentialStatuses(of configuration: Configuration, now: Date = Date()) async -> [CredentialStatus] {
        var statuses: [CredentialStatus] = []
        for service in configuration.services {
            guard service.node("auth_type") != nil || service.type == "google_calendar" else { continue }
            let settings: HTTPServiceSettings
            do {
                settings = try Self.settings(for: service)
            } catch {
                statuses.append(CredentialStatus(service: service.name, authType: nil, state: "invalid: \(error)"))
                continue
            }
            let type = settings.authentication.typeName
            guard let oauth = settings.authentication.oauth2 else {
                statuses.append(
                    CredentialStatus(
                        service: service.name,
                        authType: type,
                        state: type == "none" ? "no credentials" : "static credentials configured"
                    )
                )
                continue
            }
            var status = CredentialStatus(
                service: service.name,
                authType: type,
                grant: oauth.grant.rawValue,
                state: ""
            )
            if let stored = try? await tokenStore.load(service: service.name) {
                let fresh = stored.isFresh(at: now, margin: .zero)
                status.state =
                    fresh
                    ? "token valid" : (stored.refreshToken != nil ? "token expired (will refresh)" : "token expired")
                status.expiresAt = stored.expiresAt
                status.scopes = stored.scopes
                status.hasRefreshToken = stored.refreshToken != nil
            } else if oauth.refreshToken != nil {
                status.state = "no stored token (refresh_token configured)"
            } else if oauth.grant == .clientCredentials || oauth.grant == .jwtBearer {
                status.state = "no stored token (obtained on first call)"
            } else {
                status.state = "not logged in: run `switchboard auth login \(service.name)`"
            }
            statuses.append(status)
        }
        return statuses
    }
}
