import SwitchboardCore
import SwitchboardTesting
import Testing

@Suite struct DeadlineWatchTests {
    struct Expired: Error {}

    @Test func manyCallsShareOneSleeperAndOnlyTheLateOneTimesOut() async throws {
        let clock = TestClock()
        let watch = DeadlineWatch(clock: clock)
        let release = AsyncStream<Void>.makeStream()
        // Ten calls that wait for a signal, with deadlines 5 s apart, and one that never ends.
        let quick = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 1...10 {
                    group.addTask {
                        try await withDeadline(.seconds(100 + 5 * i), watch: watch, timeoutError: { Expired() }) {
                            try await clock.sleep(until: .seconds(50))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let hanging = Task {
            try await withDeadline(.seconds(60), watch: watch, timeoutError: { Expired() }) {
                for await _ in release.stream {}
                try Task.checkCancellation()
            }
        }
        // Ten bodies sleeping on the clock, and one shared sleeper for all eleven deadlines.
        await clock.waitForSleepers(11)
        #expect(clock.sleeperDeadlines.filter { $0 == .seconds(60) }.count == 1)
        #expect(clock.sleeperCount == 11)
        clock.advance(to: .seconds(50))
        try await quick.value  // finished before their deadlines: no timeout
        await clock.waitForSleepers(1)
        clock.advance(to: .seconds(60))
        // The stream never yields: only the deadline's cancellation ends the loop.
        await #expect(throws: Expired.self) { try await hanging.value }
        release.continuation.finish()
        await clock.runUntilIdle()
        #expect(clock.sleeperCount == 0, "no sleeper left once nothing is watched")
    }

    @Test func aBodyThatFailsOnItsOwnKeepsItsError() async throws {
        struct Own: Error {}
        let clock = TestClock()
        let watch = DeadlineWatch(clock: clock)
        await #expect(throws: Own.self) {
            try await withDeadline(.seconds(1), watch: watch, timeoutError: { Expired() }) { throw Own() }
        }
        #expect(try await withDeadline(.seconds(1), watch: watch, timeoutError: { Expired() }) { 42 } == 42)
    }

    @Test func cancellingTheCallerCancelsTheBody() async throws {
        let clock = TestClock()
        let watch = DeadlineWatch(clock: clock)
        let task = Task {
            try await withDeadline(.seconds(100), watch: watch, timeoutError: { Expired() }) {
                try await clock.sleep(until: .seconds(1000))
            }
        }
        await clock.waitForSleepers(2)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func anOperationThatOptsOutRunsPastTheServiceDeadlineButNotPastItsOwn() async throws {
        /// A transfer that takes 60 s on the clock.
        struct Transfer: Integration {
            let clock: TestClock
            let kind = "transfer"
            var operations: [OperationDescriptor] {
                [OperationDescriptor(name: "move", summary: "", idempotency: .idempotent, usesServiceDeadline: false)]
            }
            func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
                try await clock.sleep(until: clock.now + .seconds(60))
                return ["done": true]
            }
        }
        let clock = TestClock()
        let manager = IntegrationManager(clock: clock)
        var policy = ServicePolicy()
        policy.deadline = .seconds(5)
        policy.rateLimit = nil
        try manager.register(Transfer(clock: clock), as: "files", policy: policy)
        let slow = Task { try await manager.execute(service: "files", operation: "move", input: [:]) }
        await clock.runUntilIdle()
        #expect(try await slow.value == ["done": true], "the service's 5 s deadline does not cut a transfer short")
        let bounded = Task {
            try await manager.execute(
                service: "files",
                operation: "move",
                input: [:],
                options: .init(deadline: .seconds(10))
            )
        }
        await clock.runUntilIdle()
        let error = await #expect(throws: IntegrationError.self) { try await bounded.value }
        #expect(error?.code == .deadlineExceeded, "the call's own deadline still holds")
    }

    @Test func theOneOffFormTimesOutAHungBody() async throws {
        let clock = TestClock()
        let task = Task {
            try await withDeadline(.seconds(3), clock: clock, timeoutError: { Expired() }) {
                try await clock.sleep(until: .seconds(1000))
            }
        }
        await clock.waitForSleepers(2)
        clock.advance(to: .seconds(3))
        await #expect(throws: Expired.self) { try await task.value }
    }
}
