import SwitchboardCore
import SwitchboardTesting
import Testing

@Suite struct RateLimiterTests {
    /// Counts, for each admission, the admissions in the window that ends at it: the most any window holds.
    static func busiestWindow(_ times: [Duration], window: Duration) -> Int {
        var best = 0
        var start = 0
        for (end, t) in times.enumerated() {
            while times[start] <= t - window { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    @Test(arguments: [(3, 10), (5, 1), (100, 100), (7, 2)])
    func neverAdmitsMoreThanTheLimitInAnyWindow(limit: Int, windowSeconds: Int) {
        let clock = TestClock()
        let window = Duration.seconds(windowSeconds)
        let limiter = RateLimiter(configuration: .init(limit: limit, window: window), clock: clock)
        var generator = SplitMix(seed: UInt64(limit * 31 + windowSeconds))
        var admitted: [Duration] = []
        var rejected = 0
        for _ in 0..<2_000 {
            // Callers arrive in bursts and gaps; some accept a long wait, some none.
            clock.advance(by: .milliseconds(Int64(generator.next() % UInt64(windowSeconds * 400 / limit + 1))))
            let maximumWait: Duration = generator.next() % 3 == 0 ? .zero : window * 2
            switch limiter.reserve(maximumWait: maximumWait) {
            case .admitted(let at, let wait):
                #expect(wait <= maximumWait)
                #expect(at >= clock.now)
                admitted.append(at)
            case .rejected(let retryAfter):
                #expect(retryAfter > maximumWait)
                rejected += 1
            }
        }
        #expect(admitted == admitted.sorted(), "permits are granted in FIFO order")
        #expect(Self.busiestWindow(admitted, window: window) <= limit)
        #expect(admitted.count > limit * 2, "the limiter still admits traffic")
        #expect(rejected > 0)
    }

    @Test func admitsAFullBurstThenWaitsForTheOldestToLeaveTheWindow() {
        let clock = TestClock()
        let limiter = RateLimiter(configuration: .init(limit: 3, window: .seconds(10)), clock: clock)
        for _ in 0..<3 { #expect(limiter.reserve(maximumWait: .zero) == .admitted(at: .zero, wait: .zero)) }
        #expect(limiter.reserve(maximumWait: .zero) == .rejected(retryAfter: .seconds(10)))
        clock.advance(by: .seconds(4))
        #expect(limiter.reserve(maximumWait: .seconds(5)) == .rejected(retryAfter: .seconds(6)))
        // A rejected caller records nothing: the next one is offered the same slot.
        #expect(limiter.reserve(maximumWait: .seconds(6)) == .admitted(at: .seconds(10), wait: .seconds(6)))
        // FIFO: the caller after it is queued behind it, at the next free slot.
        #expect(limiter.reserve(maximumWait: .seconds(60)) == .admitted(at: .seconds(10), wait: .seconds(6)))
        #expect(limiter.reserve(maximumWait: .seconds(60)) == .admitted(at: .seconds(10), wait: .seconds(6)))
        #expect(limiter.reserve(maximumWait: .seconds(60)) == .admitted(at: .seconds(20), wait: .seconds(16)))
    }

    @Test func acquireWaitsOnTheClockAndThrowsRateLimitedBeyondTheMaximumWait() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(configuration: .init(limit: 1, window: .seconds(2)), clock: clock)
        try await limiter.acquire(maximumWait: .zero)
        let error = await #expect(throws: IntegrationError.self) { try await limiter.acquire(maximumWait: .seconds(1)) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(2))
        let waiter = Task { try await limiter.acquire(maximumWait: .seconds(5)) }
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == .seconds(2))
        clock.advance(by: .seconds(2))
        #expect(try await waiter.value == .seconds(2))
    }

    @Test func cancellingAWaiterStopsTheWait() async {
        let clock = TestClock()
        let limiter = RateLimiter(configuration: .init(limit: 1, window: .seconds(60)), clock: clock)
        _ = limiter.reserve(maximumWait: .zero)
        let waiter = Task { try await limiter.acquire(maximumWait: .seconds(120)) }
        await clock.waitForSleepers(1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func memoryStaysBoundedForAHighLimit() {
        let clock = TestClock()
        let limiter = RateLimiter(configuration: .init(limit: 1_000_000, window: .seconds(1)), clock: clock)
        for _ in 0..<200_000 {
            clock.advance(by: .microseconds(3))
            guard case .admitted = limiter.reserve(maximumWait: .zero) else {
                Issue.record("a permit under the limit was refused")
                return
            }
        }
        #expect(limiter.permitsInCurrentWindow > 0)
    }
}
