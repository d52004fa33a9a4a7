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

/// Parses an HTTP `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The wait a `Retry-After` header value asks for, measured from `now`; `nil` when it cannot be read.
    /// A date in the past gives `.zero`.
    public static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard let seconds = Int64(text) else { return nil }
            return .seconds(seconds)
        }
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let seconds = date.timeIntervalSince(now)
                return seconds <= 0 ? .zero : .milliseconds(Int64((seconds * 1000).rounded(.up)))
            }
        }
        return nil
    }

    private static let httpDateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz",  // IMF-fixdate
        "EEEE, dd-MMM-yy HH:mm:ss zzz",  // RFC 850
        "EEE MMM d HH:mm:ss yyyy",  // asctime
    ]
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
