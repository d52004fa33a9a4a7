import AsyncHTTPClient
import Foundation
import SwitchboardCore

/// Posts grants to a token endpoint (RFC 6749 §3.2) and reads the answer.
struct TokenEndpoint: Sendable {
    let service: String
    let settings: OAuth2Settings
    let transport: HTTPTransport
    let caFile: String?

    /// Requests tokens with `form`; client authentication is added as configured (Basic by default).
    func request(_ form: [(String, String)], now: Date, deadline: Duration? = nil) async throws -> TokenSet {
        guard let tokenURI = settings.tokenURI else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "token_uri is not configured",
                service: service
            )
        }
        var http = try HTTPServiceSettings(service: service, baseURL: tokenURI)
        http.caFile = caFile
        http.followRedirects = false
        var form = form
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        var secrets: [String] = form.filter { ["refresh_token", "assertion", "code", "code_verifier"].contains($0.0) }
            .map(\.1)
        if let clientID = settings.clientID {
            switch settings.clientAuthentication {
            case .basic where settings.clientSecret != nil:
                // RFC 6749 §2.3.1: form-encode each part, then Basic.
                let user = Self.formEncode(clientID)
                let password = Self.formEncode(settings.clientSecret!.reveal())
                let basic = Data((user + ":" + password).utf8).base64EncodedString()
                headers.append(("Authorization", "Basic " + basic))
                secrets.append(basic)
            default:
                form.append(("client_id", clientID))
                if let secret = settings.clientSecret { form.append(("client_secret", secret.reveal())) }
            }
        }
        if let secret = settings.clientSecret { secrets.append(secret.reveal()) }
        let body = form.map { Self.formEncode($0.0) + "=" + Self.formEncode($0.1) }.joined(separator: "&")
        let request = TransportRequest(
            method: "POST",
            url: tokenURI,
            headers: headers,
            body: TransportBody(Data(body.utf8))
        )
        let response: TransportResponse
        do {
            response = try await transport.send(
                request,
                settings: http,
                authenticator: RedactingAuthenticator(secrets: secrets),
                deadline: deadline
            )
        } catch var error as IntegrationError {
            error.service = service
            if let status = error.status, (400..<500).contains(status) {
                throw grantError(error, secrets: secrets)
            }
            error.message = "token endpoint: " + error.message
            throw error
        }
        return try parse(response.body, now: now)
    }

    private func grantError(_ error: IntegrationError, secrets: [String]) -> IntegrationError {
        let text = error.message
        let code = [
            "invalid_grant", "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
            "invalid_request",
        ]
        .first { text.contains($0) }
        let message: String
        var hint: String?
        switch code {
        case "invalid_grant":
            message =
                "the authorization server rejected the grant for \(service) (invalid_grant): the refresh token or code is expired, revoked or already used"
            hint = "run `switchboard auth login \(service)` to log in again"
        case "invalid_client", "unauthorized_client":
            message = "the authorization server rejected the client credentials of \(service) (\(code!))"
            hint = "check client_id and client_secret (and client_auth: basic or post)"
        case let code?:
            message = "the token endpoint refused the request for \(service) (\(code))"
        case nil:
            message = "the token endpoint refused the request for \(service): \(text)"
        }
        return IntegrationError(
            code: .unauthorized,
            message: message,
            service: service,
            transience: .never,
            status: error.status,
            hint: hint ?? "run `switchboard auth login \(service)` to log in again"
        )
    }

    private func parse(_ body: Data, now: Date) throws -> TokenSet {
        guard let json = try? JSONValue.parse(body), let access = json["access_token"]?.stringValue, !access.isEmpty
        else {
            throw IntegrationError(
                code: .serviceError,
                message: "the token endpoint of \(service) answered without an access_token",
                service: service
            )
        }
        let expiresIn = json["expires_in"]?.doubleValue ?? json["expires_in"]?.stringValue.flatMap(Double.init)
        let scopes = json["scope"]?.stringValue.map { $0.split(separator: " ").map(String.init) } ?? settings.scopes
        return TokenSet(
            accessToken: access,
            tokenType: json["token_type"]?.stringValue ?? "Bearer",
            refreshToken: json["refresh_token"]?.stringValue,
            expiresAt: expiresIn.map { now.addingTimeInterval($0) },
            scopes: scopes,
            obtainedAt: now
        )
    }

    static let formAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: formAllowed) ?? text
    }
}

/// Sends no credentials of its own but redacts the grant's secrets from errors (token endpoint requests).
struct RedactingAuthenticator: Authenticator {
    let secrets: [String]
    func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String? { nil }
    var sendsCredentials: Bool { true }
    var secretValues: [String] { secrets }
}
