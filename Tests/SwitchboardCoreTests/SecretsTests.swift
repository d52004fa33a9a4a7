import Foundation
import InMemoryLogging
import Logging
import SwitchboardCore
import SwitchboardTesting
import Testing

@Suite struct SecretsTests {
    @Test func aSecretIsRedactedInEveryRendering() throws {
        let secret = Secret("hunter2")
        #expect(String(describing: secret) == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret).contains("hunter2") == false)
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        let encoded = String(decoding: try JSONEncoder().encode(["password": secret]), as: UTF8.self)
        #expect(!encoded.contains("hunter2"))
        #expect(secret.reveal() == "hunter2")
    }

    @Test func noSecretReachesALogLineOrAnError() async throws {
        let dir = TemporaryDirectory()
        let file = dir.write("s.yaml", "api:\n  type: http\n  base_url: https://example.com\n  token: ${TOKEN}\n")
        let configuration = try ConfigurationLoader.testing(["TOKEN": "tok-SECRET-123"]).load(path: file)
        let token = try #require(try configuration.service("api")?.secret("token"))

        struct Leaky: Integration {
            let kind = "leaky"
            let token: Secret
            let operations = [OperationDescriptor(name: "op", summary: "", idempotency: .idempotent)]
            func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
                context.logger.info("sending request", metadata: ["authorization": "\(token)"])
                throw IntegrationError.status(503, message: "upstream failed for token \(token)")
            }
        }
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "t", factory: { _ in logs })
        logger.logLevel = .trace
        let clock = TestClock()
        let manager = IntegrationManager(clock: clock, logger: logger, random: { 0 })
        try manager.register(Leaky(token: token), as: "api")
        let task = Task { try await manager.execute(service: "api", operation: "op", input: ["q": 1]) }
        await clock.runUntilIdle()
        let result = await task.result
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        let rendered =
            [String(describing: error), String(reflecting: error)]
            + logs.entries.map { "\($0.message) \($0.metadata)" }
        #expect(logs.entries.count > 3)
        for text in rendered { #expect(!text.contains("tok-SECRET-123"), "\(text)") }
    }

    @Test func encryptDecryptRoundTripsAndKeysAreChecked() throws {
        let key = EncryptionKey.generate()
        let cipher = try ConfigCipher.fromEnvironment(["CONFIG_ENCRYPTION_KEY": key])
        let token = try cipher.encrypt("p@ss wörd")
        #expect(token.hasPrefix("enc:v1:" + cipher.current!.id + ":"))
        #expect(try cipher.decryptString(token) == "p@ss wörd")
        #expect(try cipher.encrypt("x") != cipher.encrypt("x"), "a fresh nonce every time")
        #expect(throws: IntegrationError.self) { try ConfigCipher.fromEnvironment(["CONFIG_ENCRYPTION_KEY": "short"]) }
        let hex = String(repeating: "ab", count: 32)
        #expect(try EncryptionKey(text: hex).id.count == 8)
    }
}
