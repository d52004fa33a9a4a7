import Foundation
import JWTKit
import SwitchboardCore
import Synchronization

/// Keeps one service's OAuth 2.0 tokens fresh: reuses a stored unexpired token, refreshes proactively when less
/// than `refresh_margin_s` of its life remains, runs a single refresh however many calls need one, persists
/// rotated refresh tokens before handing the new access token out, and says to log in again when the grant fails.
public final class TokenManager: Sendable {
    private struct State {
        var tokens: TokenSet?
        var loaded = false
        var refreshCount = 0
        /// Refresh attempts that ended (in success or failure), and the last one's failure.
        var attempts = 0
        var lastFailure: (any Error)?

        func fresh(at now: Date, margin: Duration) -> TokenSet? {
            guard let tokens, loaded, tokens.isFresh(at: now, margin: margin) else { return nil }
            return tokens
        }
    }

    /// The service name.
    public let service: String
    let settings: OAuth2Settings
    private let endpoint: TokenEndpoint
    private let store: any TokenStore
    private let clock: any ResilienceClock
    private let serviceAccount: ServiceAccountKey?
    private let state = Mutex(State())
    /// One refresh at a time; the callers that need one wait here in order, and can be cancelled while waiting.
    private let gate = Bulkhead(maximum: 1)

    /// Creates a manager. Reads the service-account key file now, so a bad file fails at startup.
    public init(
        service: String,
        settings: OAuth2Settings,
        transport: HTTPTransport,
        store: any TokenStore,
        clock: any ResilienceClock = SystemClock(),
        caFile: String? = nil
    ) throws {
        var settings = settings
        if let file = settings.serviceAccountFile {
            let key = try ServiceAccountKey(file: file, service: service)
            serviceAccount = key
            if settings.tokenURI == nil { settings.tokenURI = key.tokenURI }
        } else {
            serviceAccount = nil
        }
        self.service = service
        self.settings = settings
        self.store = store
        self.clock = clock
        self.endpoint = TokenEndpoint(service: service, settings: settings, transport: transport, caFile: caFile)
    }

    /// How many times tokens were obtained from the endpoint (for diagnostics and tests).
    public var refreshCount: Int { state.withLock { $0.refreshCount } }

    /// Secrets to redact: the current tokens and the configured ones.
    var secretValues: [String] {
        var values = [settings.clientSecret?.reveal(), settings.refreshToken?.reveal()].compactMap { $0 }
        if let tokens = state.withLock({ $0.tokens }) {
            values.append(tokens.accessToken)
            if let refresh = tokens.refreshToken { values.append(refresh) }
        }
        return values
    }

    /// A fresh access token, refreshing (once, for all callers) when needed.
    ///
    /// Callers that find the token stale queue on one gate: the first refreshes, the others then find the new
    /// token, or share the refresh's failure rather than each trying again. A refresh whose caller was cancelled
    /// is not shared: the next caller tries itself.
    public func token(deadline: Duration? = nil) async throws -> TokenSet {
        let margin = settings.refreshMargin
        let (ready, seen) = state.withLock { ($0.fresh(at: clock.wallTime, margin: margin), $0.attempts) }
        if let ready { return ready }
        try await gate.acquire()
        defer { gate.release() }
        let now = clock.wallTime
        let (fresh, current, loaded, attempts, failure) = state.withLock { state in
            (state.fresh(at: now, margin: margin), state.tokens, state.loaded, state.attempts, state.lastFailure)
        }
        if let fresh { return fresh }
        if attempts != seen, let failure { throw failure }
        do {
            let fresh = try await obtain(current: current, loaded: loaded, now: now, deadline: deadline)
            state.withLock { state in
                state.tokens = fresh
                state.loaded = true
                state.attempts += 1
                state.lastFailure = nil
            }
            return fresh
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            state.withLock { state in
                state.loaded = true
                state.attempts += 1
                state.lastFailure = error
            }
            throw error
        }
    }

    /// Marks `accessToken` as rejected (after a 401) so that the next call refreshes; the refresh token is kept.
    public func invalidate(accessToken: String?) {
        state.withLock { state in
            guard let tokens = state.tokens, accessToken == nil || tokens.accessToken == accessToken else { return }
            state.tokens?.expiresAt = Date.distantPast
        }
    }

    /// Stores tokens obtained elsewhere (`auth login`).
    public func install(_ tokens: TokenSet) async throws {
        try await store.save(tokens, service: service)
        state.withLock { state in
            state.tokens = tokens
            state.loaded = true
        }
    }

    /// The stored tokens, without refreshing (for `auth status`).
    public func storedTokens() async throws -> TokenSet? {
        if let tokens = state.withLock({ $0.loaded ? $0.tokens : nil }) { return tokens }
        return try await store.load(service: service)
    }

    private func obtain(current: TokenSet?, loaded: Bool, now: Date, deadline: Duration?) async throws -> TokenSet {
        var current = current
        if !loaded, let stored = try await store.load(service: service) {
            if stored.isFresh(at: now, margin: settings.refreshMargin) { return stored }  // a later process reuses it
            current = stored
        }
        let fresh: TokenSet
        let scope = settings.scopes.isEmpty ? [] : [("scope", settings.scopes.joined(separator: " "))]
        if settings.grant == .jwtBearer, let serviceAccount {
            let assertion = try await serviceAccount.assertion(
                scopes: settings.scopes,
                audience: settings.tokenURI ?? serviceAccount.tokenURI,
                subject: settings.subject,
                now: now
            )
            fresh = try await endpoint.request(
                [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)],
                now: now,
                deadline: deadline
            )
        } else if let refreshToken = current?.refreshToken ?? settings.refreshToken?.reveal() {
            var obtained = try await endpoint.request(
                [("grant_type", "refresh_token"), ("refresh_token", refreshToken)],
                now: now,
                deadline: deadline
            )
            if obtained.refreshToken == nil { obtained.refreshToken = refreshToken }  // not rotated: keep it
            fresh = obtained
        } else if settings.grant == .clientCredentials {
            fresh = try await endpoint.request(
                [("grant_type", "client_credentials")] + scope,
                now: now,
                deadline: deadline
            )
        } else {
            throw IntegrationError(
                code: .unauthorized,
                message: "no OAuth2 tokens for \(service) yet",
                service: service,
                hint: "run `switchboard auth login \(service)`, or set refresh_token in its configuration"
            )
        }
        // Persist first: a rotated refresh token must survive a crash right after this call.
        try await store.save(fresh, service: service)
        state.withLock { $0.refreshCount += 1 }
        return fresh
    }

    /// Exchanges an authorization code (PKCE) for tokens and stores them.
    func exchange(code: String, verifier: String, redirectURI: String) async throws -> TokenSet {
        let now = clock.wallTime
        let tokens = try await endpoint.request(
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", verifier),
            ],
            now: now
        )
        try await install(tokens)
        state.withLock { $0.refreshCount += 1 }
        return tokens
    }
}

/// A Google service-account key file: what the JWT bearer grant (RFC 7523) signs with.
struct ServiceAccountKey: Sendable {
    let clientEmail: String
    let privateKeyPEM: String
    let privateKeyID: String?
    let tokenURI: String

    init(file: String, service: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "cannot read service_account_file \(file)",
                service: service
            )
        }
        guard let json = try? JSONValue.parse(data), let email = json["client_email"]?.stringValue,
            let pem = json["private_key"]?.stringValue
        else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message:
                    "service_account_file \(file) is not a service-account JSON key (client_email and private_key are required)",
                service: service
            )
        }
        clientEmail = email
        privateKeyPEM = pem
        privateKeyID = json["private_key_id"]?.stringValue
        tokenURI = json["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token"
        _ = try Self.privateKey(pem, service: service)
    }

    static func privateKey(_ pem: String, service: String) throws -> Insecure.RSA.PrivateKey {
        do {
            return try Insecure.RSA.PrivateKey(pem: pem)
        } catch {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "the private_key of the service-account file is not an RSA key in PEM form",
                service: service
            )
        }
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var scope: String?
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var sub: SubjectClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// A signed RS256 assertion valid for one hour.
    func assertion(scopes: [String], audience: String, subject: String?, now: Date) async throws -> String {
        let keys = JWTKeyCollection()
        let kid = privateKeyID.map { JWKIdentifier(string: $0) }
        await keys.add(
            rsa: try Self.privateKey(privateKeyPEM, service: clientEmail),
            digestAlgorithm: .sha256,
            kid: kid
        )
        let claims = Claims(
            iss: IssuerClaim(value: clientEmail),
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "),
            aud: AudienceClaim(value: audience),
            exp: ExpirationClaim(value: now.addingTimeInterval(3600)),
            iat: IssuedAtClaim(value: now),
            sub: subject.map { SubjectClaim(value: $0) }
        )
        return try await keys.sign(claims, kid: kid)
    }
}
