import Synchronization

/// A sliding-window rate limiter that never admits more than `limit` permits in any window of `window` length.
///
/// Every permit, retries included, is recorded at the instant it is granted. A caller that cannot be admitted at
/// once is given the earliest instant at which admitting it keeps every window within the limit, in FIFO order
/// (a later caller never gets an earlier slot); if that wait exceeds the caller's maximum, it gets
/// ``IntegrationError/Code/rateLimited`` with `retryAfter` at once and nothing is recorded.
///
/// The log is kept in groups: admissions less than `window / 1024` apart share a group, which expires with its
/// latest member. This bounds memory to about a thousand entries whatever the limit, and can only delay a permit
/// (by at most `window / 1024`), never admit one early.
public final class RateLimiter: Sendable {
    /// The limiter's settings.
    public struct Configuration: Sendable, Hashable {
        /// Permits allowed in any window.
        public var limit: Int
        /// The window's length. Defaults to 100 s, the seed's "requests per 100 seconds".
        public var window: Duration

        /// Creates a configuration.
        public init(limit: Int, window: Duration = .seconds(100)) {
            precondition(limit > 0, "limit must be positive")
            precondition(window > .zero, "window must be positive")
            self.limit = limit
            self.window = window
        }
    }

    /// The outcome of asking for a permit.
    public enum Decision: Sendable, Equatable {
        /// Admitted; proceed after waiting `wait` (zero when admitted at once). The permit is already recorded.
        case admitted(at: Duration, wait: Duration)
        /// Not admitted within the maximum wait; a permit would be free after `retryAfter`.
        case rejected(retryAfter: Duration)
    }

    private struct Group {
        var latest: Duration
        var first: Duration
        var count: Int
    }

    private struct State {
        var groups: [Group] = []
        var head = 0
        var total = 0
        var lastAdmission: Duration = .zero
        var hasAdmitted = false

        var liveCount: Int { groups.count - head }

        mutating func compact() {
            if head > 64 && head * 2 > groups.count {
                groups.removeFirst(head)
                head = 0
            }
        }
    }

    /// The settings in force.
    public let configuration: Configuration
    private let clock: any ResilienceClock
    private let granularity: Duration
    private let state = Mutex(State())

    /// Creates a limiter on `clock`.
    public init(configuration: Configuration, clock: any ResilienceClock) {
        self.configuration = configuration
        self.clock = clock
        self.granularity = configuration.window / 1024
    }

    /// Reserves a permit if one is available within `maximumWait`; records it and returns when to proceed.
    public func reserve(maximumWait: Duration) -> Decision {
        reserve(maximumWait: maximumWait, now: clock.now)
    }

    /// As ``reserve(maximumWait:)``, at an instant the caller has just read from the limiter's clock.
    func reserve(maximumWait: Duration, now: Duration) -> Decision {
        let window = configuration.window
        let limit = configuration.limit
        return state.withLock { state in
            var t = now
            if state.hasAdmitted && state.lastAdmission > t { t = state.lastAdmission }
            // Expire groups that ended before the window that closes at `t`.
            let horizon = t - window
            while state.head < state.groups.count && state.groups[state.head].latest <= horizon {
                state.total -= state.groups[state.head].count
                state.head += 1
            }
            if state.total + 1 > limit {
                // Find the earliest instant at which enough of the oldest groups have expired.
                var excess = state.total + 1 - limit
                var index = state.head
                while excess > 0 {
                    excess -= state.groups[index].count
                    if excess > 0 { index += 1 }
                }
                let earliest = state.groups[index].latest + window
                if earliest > t { t = earliest }
                if t - now > maximumWait { return .rejected(retryAfter: t - now) }
                let horizon = t - window
                while state.head < state.groups.count && state.groups[state.head].latest <= horizon {
                    state.total -= state.groups[state.head].count
                    state.head += 1
                }
            }
            // FIFO: a caller behind future reservations waits for its turn too.
            if t - now > maximumWait { return .rejected(retryAfter: t - now) }
            // Record the admission at `t`.
            let last = state.groups.count - 1
            if last >= state.head && t - state.groups[last].first < granularity {
                state.groups[last].count += 1
                state.groups[last].latest = t
            } else {
                state.groups.append(Group(latest: t, first: t, count: 1))
            }
            state.total += 1
            state.lastAdmission = t
            state.hasAdmitted = true
            state.compact()
            return .admitted(at: t, wait: t - now)
        }
    }

    /// Takes a permit, waiting up to `maximumWait` for it.
    /// - Throws: ``IntegrationError`` `rateLimited(retryAfter:)` when no permit is free within `maximumWait`;
    ///   `CancellationError` when the task is cancelled while waiting.
    /// - Returns: How long the caller waited.
    @discardableResult
    public func acquire(maximumWait: Duration) async throws -> Duration {
        let (at, wait) = try admit(maximumWait: maximumWait, now: clock.now)
        if wait > .zero { try await clock.sleep(until: at) }
        return wait
    }

    /// Reserves a permit or throws `rateLimited`; the caller sleeps until `at` when `wait` is positive.
    func admit(maximumWait: Duration, now: Duration) throws -> (at: Duration, wait: Duration) {
        switch reserve(maximumWait: maximumWait, now: now) {
        case .admitted(let at, let wait):
            return (at, wait)
        case .rejected(let retryAfter):
            throw IntegrationError(
                code: .rateLimited,
                message: "rate limit of \(configuration.limit) per \(configuration.window.secondsText) reached",
                transience: .never,
                retryAfter: retryAfter
            )
        }
    }

    /// Permits recorded in the window that ends now (for diagnostics).
    public var permitsInCurrentWindow: Int {
        let horizon = clock.now - configuration.window
        return state.withLock { state in
            var n = 0
            for i in state.head..<state.groups.count where state.groups[i].latest > horizon {
                n += state.groups[i].count
            }
            return n
        }
    }
}
