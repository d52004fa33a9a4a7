import Foundation
import InMemoryLogging
import JWTKit
import Logging
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing
import _CryptoExtras

/// A fake token endpoint: counts grants, issues `at-N` / `rt-N`, rotates refresh tokens.
final class FakeTokenEndpoint: Sendable {
    let counter = Counter()
    let server: TestHTTPServer

    init(expiresIn: Int = 3600, answer: (@Sendable (TestHTTPServer.Request) -> TestHTTPServer.Action?)? = nil)
        async throws
    {
        let counter = self.counter
        server = try await TestHTTPServer { request in
            if let custom = answer?(request) { return custom }
            let n = counter.next()
            return .json(
                200,
                #"{"access_token":"at-\#(n)","token_type":"Bearer","expires_in":\#(expiresIn),"refresh_token":"rt-\#(n)","scope":"read write"}"#
            )
        }
    }

    var url: String { server.baseURL + "/token" }
    var grants: [TestHTTPServer.Request] { server.requests }
}

/// An API that accepts only the bearer token `valid` says is good.
func protectedAPI(_ valid: @escaping @Sendable (String) -> Bool) async throws -> TestHTTPServer {
    try await TestHTTPServer { request in
        let header = request.header("Authorization") ?? ""
        guard header.hasPrefix("Bearer "), valid(String(header.dropFirst(7))) else {
            return .json(401, #"{"error":"invalid_token"}"#)
        }
        return .json(200, #"{"token":"\#(header.dropFirst(7))"}"#)
    }
}

@Suite struct OAuth2Tests {
    func yaml(api: TestHTTPServer, tokens: FakeTokenEndpoint, extra: String = "", maxConnections: Int = 10) -> String {
        """
        api:
          type: http
          base_url: \(api.baseURL)
          auth_type: oauth2
          client_id: my-client
          client_secret: my-secret-value
          token_uri: \(tokens.url)
          refresh_token: rt-config
        \(extra)
        integrations:
          api: {max_connections: \(maxConnections)}
        """
    }

    @Test func aHundredConcurrentCallsWithAnExpiredTokenMakeOneTokenRequest() async throws {
        let tokens = try await FakeTokenEndpoint()
        let api = try await protectedAPI { $0 == "at-1" }
        let store = InMemoryTokenStore()
        try await store.save(
            TokenSet(accessToken: "old", refreshToken: "rt-0", expiresAt: Date(timeIntervalSinceNow: -60)),
            service: "api"
        )
        let harness = try Harness(yaml: yaml(api: api, tokens: tokens, maxConnections: 100), store: store)
        let statuses = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for _ in 0..<100 { group.addTask { try await harness.call(["path": "/data"])["status"] } }
            var all: [JSONValue?] = []
            for try await status in group { all.append(status) }
            return all
        }
        #expect(statuses.count == 100 && statuses.allSatisfy { $0 == 200 })
        #expect(tokens.grants.count == 1)
        let grant = try #require(tokens.grants.first)
        #expect(grant.form["grant_type"] == "refresh_token")
        #expect(
            grant.form["refresh_token"] == "rt-0",
            "the stored (rotated) refresh token wins over the configured one"
        )
        #expect(
            grant.header("Authorization") == "Basic " + Data("my-client:my-secret-value".utf8).base64EncodedString()
        )
        #expect(grant.form["client_secret"] == nil)
        #expect(try await store.load(service: "api")?.refreshToken == "rt-1", "the rotated refresh token is persisted")
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func a401TriggersOneRefreshAndOneRetryNeverALoop() async throws {
        let tokens = try await FakeTokenEndpoint()
        let api = try await protectedAPI { _ in false }
        let store = InMemoryTokenStore()
        try await store.save(
            TokenSet(accessToken: "at-0", refreshToken: "rt-0", expiresAt: Date(timeIntervalSinceNow: 3600)),
            service: "api"
        )
        let harness = try Harness(yaml: yaml(api: api, tokens: tokens), store: store)
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/data"]) }
        #expect(error?.code == .unauthorized)
        #expect(api.requests.count == 2)
        #expect(tokens.grants.count == 1)
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func aRejectedRefreshSaysToLogInAgain() async throws {
        let tokens = try await FakeTokenEndpoint { _ in
            .json(400, #"{"error":"invalid_grant","error_description":"Token revoked"}"#)
        }
        let api = try await protectedAPI { _ in true }
        let harness = try Harness(yaml: yaml(api: api, tokens: tokens))
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/data"]) }
        #expect(error?.code == .unauthorized)
        #expect(error?.description.contains("invalid_grant") == true)
        #expect(error?.description.contains("switchboard auth login api") == true)
        #expect(tokens.grants.count == 1, "a rejected grant is not retried")
        #expect(api.requests.isEmpty)
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func aTokenIsRefreshedBeforeItsLastMinute() async throws {
        let tokens = try await FakeTokenEndpoint()
        let api = try await protectedAPI { $0 == "at-1" }
        let store = InMemoryTokenStore()
        try await store.save(
            TokenSet(accessToken: "soon", refreshToken: "rt-0", expiresAt: Date(timeIntervalSinceNow: 30)),
            service: "api"
        )
        let harness = try Harness(yaml: yaml(api: api, tokens: tokens), store: store)
        #expect(try await harness.call(["path": "/d"])["status"] == 200)
        #expect(api.requests.count == 1, "no 401 round trip: refreshed ahead of expiry")
        #expect(tokens.grants.count == 1)
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func clientCredentialsAndFormBodyClientAuthentication() async throws {
        let tokens = try await FakeTokenEndpoint()
        let api = try await protectedAPI { $0 == "at-1" }
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: oauth2
                  grant_type: client_credentials
                  client_auth: post
                  client_id: svc
                  client_secret: svc-secret
                  token_uri: \(tokens.url)
                  scopes: [read, write]
                """
        )
        #expect(try await harness.call(["path": "/d"])["status"] == 200)
        let grant = try #require(tokens.grants.first)
        #expect(grant.form["grant_type"] == "client_credentials")
        #expect(grant.form["scope"] == "read write")
        #expect(grant.form["client_id"] == "svc" && grant.form["client_secret"] == "svc-secret")
        #expect(grant.header("Authorization") == nil)
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func serviceAccountKeysSignAnRS256Assertion() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let publicPEM = key.publicKey.pemRepresentation
        let tokens = try await FakeTokenEndpoint()
        let dir = NSTemporaryDirectory() + "sa-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keyFile = dir + "/key.json"
        let json: JSONValue = [
            "type": "service_account", "client_email": "bot@project.iam.gserviceaccount.com",
            "private_key": .string(key.pemRepresentation), "private_key_id": "kid-1", "token_uri": .string(tokens.url),
        ]
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data(json.jsonString().utf8))
        let api = try await protectedAPI { $0 == "at-1" }
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(api.baseURL)
                  auth_type: service_account
                  service_account_file: \(keyFile)
                  scopes: ["https://www.googleapis.com/auth/calendar"]
                """
        )
        #expect(try await harness.call(["path": "/d"])["status"] == 200)
        let grant = try #require(tokens.grants.first)
        #expect(grant.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let assertion = try #require(grant.form["assertion"])
        struct Claims: JWTPayload {
            var iss: IssuerClaim
            var aud: AudienceClaim
            var scope: String
            var exp: ExpirationClaim
            func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
        }
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PublicKey(pem: publicPEM), digestAlgorithm: .sha256, kid: "kid-1")
        let claims = try await keys.verify(assertion, as: Claims.self)
        #expect(claims.iss.value == "bot@project.iam.gserviceaccount.com")
        #expect(claims.aud.value == [tokens.url])
        #expect(claims.scope == "https://www.googleapis.com/auth/calendar")
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }

    @Test func theFileStoreIsEncryptedOwnerOnlyAndReusedByALaterProcess() async throws {
        let dataDir = NSTemporaryDirectory() + "store-" + UUID().uuidString
        let first = try EncryptedFileTokenStore(dataDirectory: dataDir, environment: [:])
        let tokens = TokenSet(
            accessToken: "at-plain-123",
            refreshToken: "rt-plain-456",
            expiresAt: Date(timeIntervalSinceNow: 3600)
        )
        try await first.save(tokens, service: "api")
        let file = dataDir + "/tokens/api.json.enc"
        let raw = String(decoding: FileManager.default.contents(atPath: file)!, as: UTF8.self)
        #expect(raw.hasPrefix("enc:v1:"))
        #expect(!raw.contains("at-plain-123") && !raw.contains("rt-plain-456"))
        let mode = { (path: String) in
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(mode(file) == 0o600)
        #expect(mode(dataDir + "/tokens/token.key") == 0o600)
        #expect(mode(dataDir + "/tokens") == 0o700)
        #expect(!String(describing: tokens).contains("at-plain-123"))

        // A later process (a new store on the same directory) reuses the unexpired token: no grant at all.
        let endpoint = try await FakeTokenEndpoint()
        let api = try await protectedAPI { $0 == "at-plain-123" }
        let harness = try Harness(
            yaml: yaml(api: api, tokens: endpoint),
            store: try EncryptedFileTokenStore(dataDirectory: dataDir, environment: [:])
        )
        #expect(try await harness.call(["path": "/d"])["status"] == 200)
        #expect(endpoint.grants.isEmpty)
        await harness.shutdown()
        try await api.shutdown()
        try await endpoint.server.shutdown()

        // With CONFIG_ENCRYPTION_KEY the store encrypts under it and still reads what the key file wrote.
        let key = EncryptionKey.generate()
        let keyed = try EncryptedFileTokenStore(dataDirectory: dataDir, environment: ["CONFIG_ENCRYPTION_KEY": key])
        #expect(try await keyed.load(service: "api")?.accessToken == "at-plain-123")
    }

    @Test func noTokenSecretOrPasswordReachesALogLineOrAnError() async throws {
        let tokens = try await FakeTokenEndpoint()
        let api = try await TestHTTPServer { request in
            request.header("Authorization") == "Bearer at-1"
                ? .json(500, #"{"error":"boom","token":"at-1"}"#) : .json(401, "{}")
        }
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "t", factory: { _ in logs })
        logger.logLevel = .trace
        let harness = try Harness(yaml: yaml(api: api, tokens: tokens), logger: logger)
        let error = await #expect(throws: IntegrationError.self) {
            try await harness.call(["method": "POST", "path": "/d"])
        }
        let texts =
            logs.entries.map { "\($0.message) \($0.metadata)" } + [
                String(describing: error!), String(reflecting: error!),
            ]
        #expect(logs.entries.contains { $0.message == "http request" })
        for text in texts {
            for secret in [
                "at-1", "rt-1", "rt-config", "my-secret-value",
                Data("my-client:my-secret-value".utf8).base64EncodedString(),
            ] {
                #expect(!text.contains(secret), "\(secret) leaked: \(text)")
            }
        }
        await harness.shutdown()
        try await api.shutdown()
        try await tokens.server.shutdown()
    }
}
