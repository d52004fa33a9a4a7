import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing

/// Against the real authorization server that `scripts/services up oauth` starts (NanoIDP). The test command
/// exports its settings; without them these tests fail, they are not skipped.
@Suite struct AuthorizationServerTests {
    struct Server {
        let tokenURL: String
        let clientID: String
        let clientSecret: String
        let user: String
        let password: String

        init() throws {
            guard let tokenURL = env("OAUTH_TOKEN_URL") else {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "OAUTH_TOKEN_URL is not set: run the tests with scripts/test (it starts the OAuth2 server)"
                )
            }
            self.tokenURL = tokenURL
            clientID = env("OAUTH_CLIENT_ID") ?? "demo-client"
            clientSecret = env("OAUTH_CLIENT_SECRET") ?? "demo-secret"
            user = env("OAUTH_USER") ?? "testuser"
            password = env("OAUTH_PASSWORD") ?? "test123"
        }

        /// A refresh token from the password grant (the test's stand-in for an earlier login).
        func refreshToken() async throws -> String {
            var request = HTTPClientRequest(url: tokenURL)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(
                name: "Authorization",
                value: "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
            )
            request.body = .bytes(
                ByteBuffer(
                    string: "grant_type=password&username=\(user)&password=\(password)&scope=openid%20offline_access"
                )
            )
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return try #require(try JSONValue.parse(Data(body.readableBytesView))["refresh_token"]?.stringValue)
        }
    }

    @Test func clientCredentialsFromTheRealServerReachTheAPI() async throws {
        let server = try Server()
        let api = try await protectedAPI { $0.split(separator: ".").count == 3 }  // a signed JWT
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: oauth2
                  grant_type: client_credentials
                  client_id: \(server.clientID)
                  client_secret: ${OAUTH_SECRET}
                  token_uri: \(server.tokenURL)
                """,
            environment: ["OAUTH_SECRET": server.clientSecret]
        )
        #expect(try await harness.call(["path": "/me"])["status"] == 200)
        #expect(try await harness.call(["path": "/me"])["status"] == 200)
        #expect(api.requests.count == 2)
        await harness.shutdown()
        try await api.shutdown()
    }

    @Test func rotatedRefreshTokensArePersistedAndUsed() async throws {
        let server = try Server()
        let initial = try await server.refreshToken()
        let api = try await protectedAPI { $0.split(separator: ".").count == 3 }
        let store = InMemoryTokenStore()
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: oauth2
                  client_id: \(server.clientID)
                  client_secret: \(server.clientSecret)
                  token_uri: \(server.tokenURL)
                  refresh_token: ${START_TOKEN}
                """,
            store: store,
            environment: ["START_TOKEN": initial]
        )
        #expect(try await harness.call(["path": "/a"])["status"] == 200)
        let first = try #require(try await store.load(service: "api"))
        #expect(first.refreshToken != nil && first.refreshToken != initial, "the server rotated the refresh token")
        // Force a second refresh: it must use the rotated token (the initial one is now spent).
        try await store.save(
            TokenSet(accessToken: "expired", refreshToken: first.refreshToken, expiresAt: .distantPast),
            service: "api"
        )
        let again = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: oauth2
                  client_id: \(server.clientID)
                  client_secret: \(server.clientSecret)
                  token_uri: \(server.tokenURL)
                  refresh_token: ${START_TOKEN}
                """,
            store: store,
            environment: ["START_TOKEN": initial]
        )
        #expect(try await again.call(["path": "/b"])["status"] == 200)
        #expect(try await store.load(service: "api")?.refreshToken != first.refreshToken)
        await harness.shutdown()
        await again.shutdown()
        try await api.shutdown()
    }

    @Test func aWrongClientSecretIsAClearError() async throws {
        let server = try Server()
        let api = try await protectedAPI { _ in true }
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: oauth2
                  grant_type: client_credentials
                  client_id: \(server.clientID)
                  client_secret: not-the-secret
                  token_uri: \(server.tokenURL)
                """
        )
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/me"]) }
        #expect(error?.code == .unauthorized)
        #expect(error?.description.contains("invalid_client") == true)
        #expect(error?.description.contains("not-the-secret") == false)
        #expect(api.requests.isEmpty)
        await harness.shutdown()
        try await api.shutdown()
    }

    @Test func aSpentRefreshTokenSaysToLogInAgain() async throws {
        let server = try Server()
        let token = try await server.refreshToken()
        let api = try await protectedAPI { _ in true }
        let yaml = """
            api:
              type: http
              base_url: \(api.baseURL)
              auth_type: oauth2
              client_id: \(server.clientID)
              client_secret: \(server.clientSecret)
              token_uri: \(server.tokenURL)
              refresh_token: \(token)
            """
        let first = try Harness(yaml: yaml)
        _ = try await first.call(["path": "/a"])  // spends (rotates) the configured token
        let second = try Harness(yaml: yaml)  // a fresh store: only the spent token is known
        let error = await #expect(throws: IntegrationError.self) { try await second.call(["path": "/a"]) }
        #expect(error?.description.contains("auth login api") == true)
        await first.shutdown()
        await second.shutdown()
        try await api.shutdown()
    }
}
