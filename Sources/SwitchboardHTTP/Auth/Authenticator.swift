import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SwitchboardCore

/// Adds a service's credentials to outgoing requests: the seed's `AuthenticationHandler`.
public protocol Authenticator: Sendable {
    /// Adds credentials to `request`; obtaining them (a token refresh) must finish within `deadline`, the time
    /// the call has left, when given.
    /// - Returns: The credential used (an access token), so that a 401 can invalidate exactly that one.
    func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String?
    /// Whether ``refresh(afterRejecting:)`` can obtain new credentials (OAuth 2.0).
    var canRefresh: Bool { get }
    /// Called once after a 401 to a request authorized with `credential`.
    /// - Returns: `true` when new credentials are worth one retry.
    func refresh(afterRejecting credential: String?) async throws -> Bool
    /// Whether requests carry credentials (so redirects to another host are refused).
    var sendsCredentials: Bool { get }
    /// Fixed secret values to redact from error bodies and logs.
    var secretValues: [String] { get }
}

extension Authenticator {
    public var canRefresh: Bool { false }
    public func refresh(afterRejecting credential: String?) async throws -> Bool { false }
}

/// No credentials.
public struct NoAuthenticator: Authenticator {
    /// Creates it.
    public init() {}
    public func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String? { nil }
    public var sendsCredentials: Bool { false }
    public var secretValues: [String] { [] }
}

/// Fixed credentials: an API key (Bearer, a named header or a query parameter), HTTP Basic, or a bearer token.
public struct StaticAuthenticator: Authenticator {
    enum Kind: Sendable {
        case apiKey(Secret, APIKeyPlacement)
        case basic(String, Secret)
        case bearer(Secret)
    }
    let kind: Kind

    public func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String? {
        switch kind {
        case .apiKey(let key, let placement):
            switch placement.base {
            case .bearer:
                request.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + key.reveal())
            case .header(let name, let prefix):
                request.headers.replaceOrAdd(name: name, value: prefix + key.reveal())
            case .query(let name):
                request.url +=
                    (request.url.contains("?") ? "&" : "?") + HTTPServiceSettings.encode([(name, key.reveal())])
            }
        case .basic(let username, let password):
            let raw = Data((username + ":" + password.reveal()).utf8).base64EncodedString()
            request.headers.replaceOrAdd(name: "Authorization", value: "Basic " + raw)
        case .bearer(let token):
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + token.reveal())
        }
        return nil
    }

    public var sendsCredentials: Bool { true }

    public var secretValues: [String] {
        switch kind {
        case .apiKey(let key, _): return [key.reveal()]
        case .basic(let username, let password):
            return [password.reveal(), Data((username + ":" + password.reveal()).utf8).base64EncodedString()]
        case .bearer(let token): return [token.reveal()]
        }
    }
}

/// OAuth 2.0 bearer tokens from a ``TokenManager``: refreshed ahead of expiry, once per 401.
public struct OAuth2Authenticator: Authenticator {
    /// The token source.
    public let tokens: TokenManager

    /// Creates it.
    public init(tokens: TokenManager) { self.tokens = tokens }

    public func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String? {
        let set = try await tokens.token(deadline: deadline)
        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + set.accessToken)
        return set.accessToken
    }

    public var canRefresh: Bool { true }

    public func refresh(afterRejecting credential: String?) async throws -> Bool {
        tokens.invalidate(accessToken: credential)
        return true
    }

    public var sendsCredentials: Bool { true }
    public var secretValues: [String] { tokens.secretValues }
}

extension AuthenticationSettings {
    /// The authenticator for these settings; OAuth 2.0 tokens come from (and go to) `store`.
    public func makeAuthenticator(
        service: String,
        transport: HTTPTransport,
        store: any TokenStore,
        clock: any ResilienceClock = SystemClock(),
        caFile: String? = nil
    ) throws -> any Authenticator {
        switch kind {
        case .none: return NoAuthenticator()
        case .apiKey(let key, let placement): return StaticAuthenticator(kind: .apiKey(key, placement))
        case .basic(let username, let password): return StaticAuthenticator(kind: .basic(username, password))
        case .bearer(let token): return StaticAuthenticator(kind: .bearer(token))
        case .oauth2(let settings):
            return OAuth2Authenticator(
                tokens: try TokenManager(
                    service: service,
                    settings: settings,
                    transport: transport,
                    store: store,
                    clock: clock,
                    caFile: caFile
                )
            )
        }
    }
}
