import InMemoryLogging
import Logging
import MetricsTestKit
import SwitchboardCore
import SwitchboardTesting
import Testing

@Suite struct IntegrationManagerTests {
    func manager(_ clock: TestClock, logger: Logger? = nil, metrics: TestMetrics? = nil) -> IntegrationManager {
        IntegrationManager(
            clock: clock,
            logger: logger ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            random: { 1.0 },
            metrics: metrics ?? TestMetrics()
        )
    }

    func policy(_ configure: (inout ServicePolicy) -> Void = { _ in }) -> ServicePolicy {
        var policy = ServicePolicy()
        policy.deadline = nil
        configure(&policy)
        return policy
    }

    /// Runs `body` in a task and moves the clock forward until it finishes.
    func drive<T: Sendable>(
        _ clock: TestClock,
        _ body: @escaping @Sendable () async throws -> T
    ) async -> Result<T, any Error> {
        let task = Task { try await body() }
        let result = Task { await task.result }
        await clock.runUntilIdle()
        return await result.value
    }

    // MARK: Registry and lookup

    @Test func unknownServiceAndOperationListWhatIsKnown() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        try manager.register(ScriptedIntegration(steps: []), as: "alpha")
        try manager.register(ScriptedIntegration(steps: []), as: "beta")
        let unknownService = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "gamma", operation: "read", input: [:])
        }
        #expect(unknownService?.code == .unknownService)
        #expect(unknownService?.description.contains("alpha, beta") == true)
        let unknownOperation = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "alpha", operation: "delete", input: [:])
        }
        #expect(unknownOperation?.code == .unknownOperation)
        #expect(unknownOperation?.description.contains("read, write") == true)
        #expect(manager.serviceNames == ["alpha", "beta"])
        #expect(try await manager.remove("alpha"))
        #expect(manager.adapter(named: "alpha") == nil)
        #expect(throws: IntegrationError.self) { try manager.register(ScriptedIntegration(steps: []), as: "beta") }
    }

    @Test func aDisabledServiceRefuses() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [])
        try manager.register(adapter, as: "mail", policy: policy { $0.enabled = false })
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "mail", operation: "read", input: [:])
        }
        #expect(error?.code == .serviceDisabled)
        #expect(error?.description.contains("disabled") == true)
        #expect(adapter.attempts.isEmpty)
    }

    // MARK: Retry

    @Test func transientErrorsAreRetriedForIdempotentOperations() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [
            .fail(.status(503, message: "unavailable")), .fail(.connectionFailed("reset")), .succeed(["n": 1]),
        ])
        try manager.register(adapter, as: "svc", policy: policy())
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect(try result.get() == ["n": 1])
        #expect(adapter.attempts.map(\.attempt) == [1, 2, 3])
        // Full jitter with random = 1: 200 ms, then 400 ms.
        #expect(clock.now == .milliseconds(600))
    }

    @Test func theFinalErrorNamesServiceOperationAttemptsAndCause() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [], then: .fail(.status(503, message: "HTTP 503 from upstream")))
        try manager.register(adapter, as: "svc", policy: policy { $0.retry.maxRetries = 2 })
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        let error = try #require(result.failureValue as? IntegrationError)
        #expect(adapter.attempts.count == 3, "retry_attempts counts retries after the first attempt")
        #expect(error.service == "svc" && error.operation == "read" && error.attempts == 3)
        #expect(error.description == "svc.read: HTTP 503 from upstream (after 3 attempts)")
    }

    @Test func nonIdempotentOperationsAreNotRetriedWithoutAnIdempotencyKey() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "unavailable"))])
        try manager.register(adapter, as: "svc", policy: policy())
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "write", input: [:]) }
        #expect((result.failureValue as? IntegrationError)?.status == 503)
        #expect(adapter.attempts.count == 1)
    }

    @Test func anIdempotencyKeyMakesAWriteRetryableAndReachesTheAdapter() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "unavailable")), .succeed(["id": "e1"])])
        try manager.register(adapter, as: "svc", policy: policy())
        let result = await drive(clock) {
            try await manager.execute(
                service: "svc",
                operation: "write",
                input: [:],
                options: .init(idempotencyKey: "task-42")
            )
        }
        #expect(try result.get() == ["id": "e1"])
        #expect(adapter.attempts.map(\.idempotencyKey) == ["task-42", "task-42"])
    }

    @Test func a500IsRetriedOnlyForIdempotentOperations() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let reads = ScriptedIntegration(steps: [.fail(.status(500, message: "boom"))])
        let writes = ScriptedIntegration(steps: [.fail(.status(500, message: "boom"))])
        try manager.register(reads, as: "r", policy: policy())
        try manager.register(writes, as: "w", policy: policy())
        _ = await drive(clock) { try await manager.execute(service: "r", operation: "read", input: [:]) }
        _ = await drive(clock) { try await manager.execute(service: "w", operation: "write", input: [:]) }
        #expect(reads.attempts.count == 2)
        #expect(writes.attempts.count == 1)
    }

    @Test func permanentErrorsAreNeverRetried() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(404, message: "no such event"))])
        try manager.register(adapter, as: "svc", policy: policy())
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect((result.failureValue as? IntegrationError)?.code == .notFound)
        #expect(adapter.attempts.count == 1)
    }

    @Test func retryAfterIsHonoured() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(429, message: "slow down", retryAfter: .seconds(7)))])
        try manager.register(adapter, as: "svc", policy: policy())
        let task = Task { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(7))
        clock.advance(by: .seconds(7))
        #expect(try await task.value == ["ok": true])
    }

    @Test func aRetryAfterBeyondTheMaximumEndsTheRetries() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "down", retryAfter: .seconds(3600)))])
        try manager.register(adapter, as: "svc", policy: policy())
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        let error = try #require(result.failureValue as? IntegrationError)
        #expect(error.retryAfter == .seconds(3600))
        #expect(adapter.attempts.count == 1)
    }

    // MARK: Rate limit

    @Test func everyAttemptIncludingRetriesTakesAPermit() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "x")), .fail(.status(503, message: "x"))])
        try manager.register(
            adapter,
            as: "svc",
            policy: policy {
                $0.rateLimit = .init(limit: 2, window: .seconds(10))
                $0.maximumWait = .seconds(60)
            }
        )
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect(try result.get() == ["ok": true])
        #expect(adapter.attempts.count == 3)
        // Two permits fit in the first window; the third attempt had to wait for the window to move on.
        #expect(clock.now >= .seconds(10))
    }

    @Test func aCallThatCannotGetAPermitInTimeFailsAtOnce() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [])
        try manager.register(
            adapter,
            as: "svc",
            policy: policy { $0.rateLimit = .init(limit: 1, window: .seconds(100)) }
        )
        _ = try await manager.execute(service: "svc", operation: "read", input: [:])
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(
                service: "svc",
                operation: "read",
                input: [:],
                options: .init(maximumWait: .seconds(1))
            )
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(100))
        #expect(error?.service == "svc")
        #expect(adapter.attempts.count == 1)
    }

    // MARK: Circuit breaker

    @Test func theBreakerOpensRefusesAndRecoversThroughHalfOpen() async throws {
        let clock = TestClock()
        let logs = InMemoryLogHandler()
        let metrics = TestMetrics()
        let manager = manager(clock, logger: Logger(label: "t", factory: { _ in logs }), metrics: metrics)
        let adapter = ScriptedIntegration(steps: Array(repeating: .fail(.status(503, message: "down")), count: 4))
        try manager.register(
            adapter,
            as: "svc",
            policy: policy {
                $0.retry.maxRetries = 0
                $0.breaker.windowSize = 4
                $0.breaker.minimumCalls = 4
                $0.breaker.halfOpenProbes = 1
                $0.breaker.openDuration = .seconds(30)
            }
        )
        for _ in 0..<4 { _ = try? await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect(manager.circuitState(for: "svc") == .open)
        let refused = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "svc", operation: "read", input: [:])
        }
        #expect(refused?.code == .circuitOpen)
        #expect(refused?.retryAfter == .seconds(30))
        #expect(adapter.attempts.count == 4, "an open breaker does not call the service")
        clock.advance(by: .seconds(30))
        #expect(try await manager.execute(service: "svc", operation: "read", input: [:]) == ["ok": true])
        #expect(manager.circuitState(for: "svc") == .closed)
        let changes = logs.entries.filter { $0.message == "circuit breaker state changed" }
        #expect(changes.map { $0.metadata[LogKey.breakerState]?.description } == ["open", "half_open", "closed"])
        #expect(metrics.counterTotal(label: MetricName.breakerTransitions) == 3)
    }

    @Test func clientErrorsDoNotOpenTheBreaker() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [], then: .fail(.status(404, message: "missing")))
        try manager.register(
            adapter,
            as: "svc",
            policy: policy {
                $0.breaker.windowSize = 2
                $0.breaker.minimumCalls = 2
            }
        )
        for _ in 0..<5 { _ = try? await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect(manager.circuitState(for: "svc") == .closed)
    }

    // MARK: Bulkhead

    @Test func theBulkheadCapsCallsInFlight() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: Array(repeating: .hang, count: 5))
        try manager.register(adapter, as: "svc", policy: policy { $0.maxConnections = 2 })
        let group = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<5 {
                    group.addTask { _ = try? await manager.execute(service: "svc", operation: "read", input: [:]) }
                }
            }
        }
        await clock.waitForSleepers(2)
        for _ in 0..<1_000 { await Task.yield() }
        #expect(adapter.peakInFlight == 2)
        #expect(adapter.attempts.count == 2)
        group.cancel()
        await group.value
        #expect(adapter.peakInFlight == 2)
    }

    @Test func anAdapterWithItsOwnPoolGetsCallsQueuedForItsConnections() async throws {
        struct Pooled: Integration {
            let inner: ScriptedIntegration
            var kind: String { inner.kind }
            var operations: [OperationDescriptor] { inner.operations }
            var poolsConnections: Bool { true }
            func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
                try await inner.execute(operation, input: input, context: context)
            }
        }
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: Array(repeating: .hang, count: 12))
        try manager.register(Pooled(inner: adapter), as: "svc", policy: policy { $0.maxConnections = 2 })
        let group = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<12 {
                    group.addTask { _ = try? await manager.execute(service: "svc", operation: "read", input: [:]) }
                }
            }
        }
        let cap = 2 * IntegrationManager.queuedCallsPerConnection
        await clock.waitForSleepers(cap)
        for _ in 0..<1_000 { await Task.yield() }
        #expect(adapter.peakInFlight == cap, "the pool, not the bulkhead, queues up to \(cap) calls")
        group.cancel()
        await group.value
        #expect(adapter.peakInFlight == cap)
    }

    // MARK: Deadlines and cancellation

    @Test func theOverallDeadlineStopsAHungCall() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.hang])
        try manager.register(adapter, as: "svc", policy: policy { $0.deadline = .seconds(5) })
        let task = Task { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(5))
        let error = await #expect(throws: IntegrationError.self) { try await task.value }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.description.contains("deadline of 5s passed") == true)
        #expect(clock.sleeperCount == 0, "the hung attempt was cancelled")
    }

    @Test func aCallOptionDeadlineOverridesThePolicy() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        try manager.register(
            ScriptedIntegration(steps: [.hang]),
            as: "svc",
            policy: policy { $0.deadline = .seconds(30) }
        )
        let task = Task {
            try await manager.execute(
                service: "svc",
                operation: "read",
                input: [:],
                options: .init(deadline: .seconds(2))
            )
        }
        await clock.waitForSleepers(2)
        #expect(clock.nextDeadline == .seconds(2))
        clock.advance(by: .seconds(2))
        await #expect(throws: IntegrationError.self) { try await task.value }
    }

    @Test func aTimedOutAttemptIsRetried() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.hang, .succeed(["second": true])])
        try manager.register(adapter, as: "svc", policy: policy { $0.attemptTimeout = .seconds(1) })
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        #expect(try result.get() == ["second": true])
        #expect(adapter.attempts.count == 2)
    }

    @Test func theDeadlineBoundsTheBackoff() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "down", retryAfter: .seconds(20)))])
        try manager.register(adapter, as: "svc", policy: policy { $0.deadline = .seconds(10) })
        let result = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        let error = try #require(result.failureValue as? IntegrationError)
        #expect(error.status == 503)
        #expect(error.description.contains("deadline would pass"))
        #expect(adapter.attempts.count == 1)
        #expect(clock.now == .zero, "no pointless wait")
    }

    @Test func cancellingTheCallerStopsTheCallAndItsRetries() async throws {
        let clock = TestClock()
        let manager = manager(clock)
        let adapter = ScriptedIntegration(steps: [.fail(.status(503, message: "down")), .hang])
        try manager.register(adapter, as: "svc", policy: policy())
        let task = Task { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        await clock.waitForSleepers(1)  // in backoff
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(adapter.attempts.count == 1)
        #expect(clock.sleeperCount == 0)
    }

    // MARK: Input validation and observability

    @Test func inputIsCheckedAgainstTheSchemaBeforeTheServiceIsCalled() async throws {
        struct Strict: Integration {
            let kind = "strict"
            let operations = [
                OperationDescriptor(
                    name: "op",
                    summary: "",
                    inputSchema: ["type": "object", "required": ["n"], "properties": ["n": ["type": "integer"]]],
                    idempotency: .idempotent
                )
            ]
            func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
                input
            }
        }
        let manager = manager(TestClock())
        try manager.register(Strict(), as: "s")
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "s", operation: "op", input: ["n": "three"])
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message == "input.n: expected integer, found string")
        #expect(try await manager.execute(service: "s", operation: "op", input: ["n": 3]) == ["n": 3])
    }

    @Test func retriesAreLoggedWithMetadataAndCounted() async throws {
        let clock = TestClock()
        let logs = InMemoryLogHandler()
        let metrics = TestMetrics()
        let manager = manager(clock, logger: Logger(label: "t", factory: { _ in logs }), metrics: metrics)
        try manager.register(
            ScriptedIntegration(steps: [.fail(.status(502, message: "bad gateway"))]),
            as: "svc",
            policy: policy()
        )
        _ = await drive(clock) { try await manager.execute(service: "svc", operation: "read", input: [:]) }
        let retry = try #require(logs.entries.first { $0.message == "retrying after transient error" })
        #expect(retry.metadata[LogKey.service] == "svc")
        #expect(retry.metadata[LogKey.operation] == "read")
        #expect(retry.metadata[LogKey.attempt]?.description == "1")
        #expect(metrics.counterTotal(label: MetricName.retries) == 1)
        #expect(metrics.counterTotal(label: MetricName.calls) == 1)
    }

    @Test func anIdempotencyDecidedPerCallFollowsTheInput() async throws {
        struct HTTPLike: Integration {
            let kind = "http"
            let script: ScriptedIntegration
            var operations: [OperationDescriptor] {
                [
                    OperationDescriptor(
                        name: "request",
                        summary: "",
                        idempotency: .decidedPerCall { input in
                            ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(input["method"]?.stringValue ?? "GET")
                        }
                    )
                ]
            }
            func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
                try await script.execute("read", input: input, context: context)
            }
        }
        let clock = TestClock()
        let manager = manager(clock)
        let script = ScriptedIntegration(steps: [
            .fail(.status(503, message: "x")), .succeed(["get": true]), .fail(.status(503, message: "x")),
        ])
        try manager.register(HTTPLike(script: script), as: "api", policy: policy())
        let get = await drive(clock) {
            try await manager.execute(service: "api", operation: "request", input: ["method": "GET"])
        }
        #expect(try get.get() == ["get": true])
        let post = await drive(clock) {
            try await manager.execute(service: "api", operation: "request", input: ["method": "POST"])
        }
        #expect(post.failureValue != nil)
        #expect(script.attempts.count == 3)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
