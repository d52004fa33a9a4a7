import Foundation
import InMemoryLogging
import Logging
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing

@Suite struct HTTPAdapterTests {
    @Test func requestBuildsTheURLAndReturnsStatusHeadersAndJSON() async throws {
        let server = try await TestHTTPServer(handler: echo)
        let harness = try Harness(
            yaml: """
                api:
                  type: http
                  base_url: \(server.baseURL)/v1/
                  headers: {X-Team: blue}
                """
        )
        let output = try await harness.call(
            [
                "method": "post", "path": "/items?lang=en", "query": ["q": "a b", "tag": ["x", "y"]],
                "headers": ["X-Trace": "t1"], "body": ["name": "n"],
            ],
            key: "k-1"
        )
        #expect(output["status"] == 200)
        let echoed = try #require(output["body"])
        #expect(echoed["method"] == "POST")
        #expect(echoed["uri"] == "/v1/items?lang=en&q=a%20b&tag=x&tag=y")
        #expect(echoed["headers"]?["x-team"] == "blue")
        #expect(echoed["headers"]?["x-trace"] == "t1")
        #expect(echoed["headers"]?["idempotency-key"] == "k-1")
        #expect(echoed["headers"]?["content-type"] == "application/json")
        #expect(echoed["headers"]?["user-agent"] == .string("Switchboard/\(SwitchboardVersion.current)"))
        #expect(echoed["body"] == #"{"name":"n"}"#)
        #expect(output["headers"]?["content-type"] == "application/json")
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func anAbsoluteURLToAnotherHostIsRefused() async throws {
        let server = try await TestHTTPServer(handler: echo)
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}")
        let error = await #expect(throws: IntegrationError.self) {
            try await harness.call(["path": "http://example.com/steal"])
        }
        #expect(error?.code == .invalidInput)
        let same = try await harness.call(["path": .string(server.baseURL + "/ok")])
        #expect(same["status"] == 200)
        #expect(server.requests.count == 1)
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test(arguments: [
        ("auth_type: api_key\n  api_key: k-secret-1", "authorization", "Bearer k-secret-1"),
        ("auth_type: api_key\n  api_key: k-secret-2\n  api_key_header: X-API-Key", "x-api-key", "k-secret-2"),
        ("auth_type: basic\n  username: ann\n  password: p-secret-3", "authorization", "Basic YW5uOnAtc2VjcmV0LTM="),
        ("auth_type: bearer\n  token: t-secret-4", "authorization", "Bearer t-secret-4"),
    ])
    func staticCredentialsAreSent(auth: String, header: String, expected: String) async throws {
        let server = try await TestHTTPServer(handler: echo)
        let harness = try Harness(yaml: "api:\n  type: http\n  base_url: \(server.baseURL)\n  \(auth)\n")
        let output = try await harness.call(["path": "/whoami"])
        #expect(output["body"]?["headers"]?[header] == .string(expected))
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func anAPIKeyMayGoInTheQuery() async throws {
        let server = try await TestHTTPServer(handler: echo)
        let harness = try Harness(
            yaml:
                "api: {type: http, base_url: \"\(server.baseURL)\", auth_type: api_key, api_key: \"k/5 x\", api_key_query: key}"
        )
        let output = try await harness.call(["path": "/q?a=1"])
        #expect(output["body"]?["uri"] == "/q?a=1&key=k%2F5%20x")
        await harness.shutdown()
        try await server.shutdown()
    }

    // MARK: Faults

    @Test func retryAfterDelaysTheNextAttemptOnTheClock() async throws {
        let count = Counter()
        let server = try await TestHTTPServer { _ in
            count.next() == 1 ? .text(429, "slow down", headers: [("Retry-After", "2")]) : .json(200, "{}")
        }
        let clock = TestClock()
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}", clock: clock)
        let task = Task { try await harness.call(["path": "/x"]) }
        await clock.waitForSleepers(1)  // the backoff (the transport enforces the deadline itself)
        let sleeps = clock.sleeperDeadlines
        #expect(
            sleeps.contains { $0 >= .seconds(2) && $0 < .seconds(30) },
            "backoff waits at least Retry-After: \(sleeps)"
        )
        #expect(server.requests.count == 1)
        clock.advance(by: .seconds(2))
        #expect(try await task.value["status"] == 200)
        #expect(server.requests.count == 2)
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func a503ThenSuccessIsRetriedForAGet() async throws {
        let count = Counter()
        let server = try await TestHTTPServer { _ in
            count.next() == 1 ? .text(503, "busy") : .json(200, #"{"ok":true}"#)
        }
        let clock = TestClock()
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}", clock: clock)
        let task = Task { try await harness.call(["path": "/x"]) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await task.value["body"] == ["ok": true])
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test(arguments: ["500", "reset"])
    func aPostIsNotRetriedOnceSentWithoutAKey(fault: String) async throws {
        let server = try await TestHTTPServer { _ in fault == "500" ? .text(500, "boom") : .resetMidResponse }
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}")
        let error = await #expect(throws: IntegrationError.self) {
            try await harness.call(["method": "POST", "path": "/orders", "body": ["n": 1]])
        }
        #expect(error?.attempts == 1)
        #expect(server.requests.count == 1, "the write must not be sent twice")
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func aPostWithAKeyIsRetriedAndCarriesIt() async throws {
        let count = Counter()
        let server = try await TestHTTPServer { _ in count.next() == 1 ? .resetMidResponse : .json(201, "{}") }
        let clock = TestClock()
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}", clock: clock)
        let task = Task { try await harness.call(["method": "POST", "path": "/orders"], key: "order-7") }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await task.value["status"] == 201)
        #expect(server.requests.map { $0.header("Idempotency-Key") } == ["order-7", "order-7"])
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func aRefusedConnectionIsRetriedEvenForAPostSinceNothingWasSent() async throws {
        let server = try await TestHTTPServer(handler: echo)
        let port = server.port
        try await server.shutdown()
        let clock = TestClock()
        let harness = try Harness(
            yaml:
                "api: {type: http, base_url: \"http://127.0.0.1:\(port)\"}\nintegrations:\n  api: {retry_attempts: 1}",
            clock: clock
        )
        let task = Task { try await harness.call(["method": "POST", "path": "/x"]) }
        await clock.waitForSleepers(1)  // the backoff after the first refusal
        clock.advance(by: .seconds(1))
        let result = await task.result
        guard case .failure(let error as IntegrationError) = result else {
            Issue.record("expected a connection failure")
            return
        }
        #expect(error.code == .connectionFailed)
        #expect(error.attempts == 2, "retried although POST: the request never left")
        await harness.shutdown()
    }

    @Test func aSlowResponseTimesOut() async throws {
        let server = try await TestHTTPServer { _ in .delay(.seconds(2), .json(200, "{}")) }
        let harness = try Harness(
            yaml: """
                api: {type: http, base_url: "\(server.baseURL)", read_timeout_ms: 150}
                integrations:
                  api: {retry_attempts: 0}
                """
        )
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/slow"]) }
        #expect(error?.code == .timeout)
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func theCallDeadlineStopsASlowServer() async throws {
        let server = try await TestHTTPServer { _ in .delay(.seconds(10), .json(200, "{}")) }
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}")
        let started = ContinuousClock.now
        let error = await #expect(throws: IntegrationError.self) {
            try await harness.manager.execute(
                service: "api",
                operation: "request",
                input: ["path": "/slow"],
                options: .init(deadline: .milliseconds(300))
            )
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.service == "api")
        #expect(ContinuousClock.now - started < .seconds(6), "stopped by the 0.3 s deadline, not by the 10 s answer")
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func aBodyOverTheLimitIsAnError() async throws {
        let server = try await TestHTTPServer { _ in .text(200, String(repeating: "x", count: 5000)) }
        let harness = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\", max_body_bytes: 1024}")
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/big"]) }
        #expect(error?.message.contains("larger than") == true)
        #expect(error?.code.isUsageError == false, "a service answer: exit 1")
        #expect(server.requests.count == 1)
        await harness.shutdown()
        try await server.shutdown()
    }

    @Test func redirectsToAnotherHostAreRefusedWithCredentials() async throws {
        let other = try await TestHTTPServer(handler: echo)
        let server = try await TestHTTPServer { request in
            request.path == "/away"
                ? .text(302, "", headers: [("Location", other.baseURL + "/landing")])
                : request.path == "/here" ? .text(302, "", headers: [("Location", "/final")]) : await echo(request)
        }
        let authed = try Harness(
            yaml: "api: {type: http, base_url: \"\(server.baseURL)\", auth_type: bearer, token: tok-9}"
        )
        let error = await #expect(throws: IntegrationError.self) { try await authed.call(["path": "/away"]) }
        #expect(error?.message.contains("redirect to another host") == true)
        #expect(other.requests.isEmpty, "the credentials never reached the other host")
        let same = try await authed.call(["path": "/here"])
        #expect(same["body"]?["uri"] == "/final")
        #expect(same["body"]?["headers"]?["authorization"] == "Bearer tok-9")
        let anonymous = try Harness(yaml: "api: {type: http, base_url: \"\(server.baseURL)\"}")
        let followed = try await anonymous.call(["path": "/away"])
        #expect(followed["body"]?["uri"] == "/landing")
        await authed.shutdown()
        await anonymous.shutdown()
        try await server.shutdown()
        try await other.shutdown()
    }

    @Test func errorBodiesAreTruncatedAndRedacted() async throws {
        let server = try await TestHTTPServer { _ in
            .json(
                400,
                #"{"error":"bad","echo":"key=k-secret-99","access_token":"abc.def","detail":"\#(String(repeating: "z", count: 2000))"}"#
            )
        }
        let harness = try Harness(
            yaml: "api: {type: http, base_url: \"\(server.baseURL)\", auth_type: api_key, api_key: k-secret-99}"
        )
        let error = await #expect(throws: IntegrationError.self) { try await harness.call(["path": "/x"]) }
        let text = String(describing: error!) + String(reflecting: error!)
        #expect(error?.status == 400)
        #expect(!text.contains("k-secret-99"))
        #expect(!text.contains("abc.def"))
        #expect(error!.message.count < 400)
        await harness.shutdown()
        try await server.shutdown()
    }
}
