import Foundation

/// The clock every time-dependent part of Switchboard reads: rate limiters, backoff, breakers, deadlines.
///
/// Instants are `Duration`s since an arbitrary origin, so components can do arithmetic on them without generics
/// (an existential `any Clock<Duration>` cannot subtract its own instants). Production code uses
/// ``SystemClock``; tests use `TestClock` from `SwitchboardTesting` and never sleep.
public protocol ResilienceClock: Sendable {
    /// Monotonic time since the clock's origin.
    var now: Duration { get }
    /// Wall-clock time, for `Retry-After` HTTP dates and expiry stamps.
    var wallTime: Date { get }
    /// Suspends until `deadline` (in the clock's timeline).
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Duration) async throws
}

/// The real clock: `ContinuousClock` for monotonic time, `Date()` for wall time.
public struct SystemClock: ResilienceClock {
    private let origin: ContinuousClock.Instant

    /// Creates a clock whose origin is now.
    public init() { origin = ContinuousClock.now }

    public var now: Duration { ContinuousClock.now - origin }

    public var wallTime: Date { Date() }

    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin.advanced(by: deadline), tolerance: nil)
    }
}
