/// When to try again, and how long to wait first: exponential backoff with full jitter, capped, honouring the
/// service's `Retry-After`.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt (the seed's `retry_attempts`). Default 3.
    public var maxRetries: Int = 3
    /// The backoff base: the first retry waits a random time in `0...base`. Default 200 ms.
    public var base: Duration = .milliseconds(200)
    /// The most any backoff waits (before `Retry-After`). Default 10 s.
    public var cap: Duration = .seconds(10)
    /// The longest `Retry-After` the policy will wait for; a longer one ends the retries. Default 60 s.
    public var maximumRetryAfter: Duration = .seconds(60)

    /// Creates the default policy.
    public init() {}

    /// Whether an error may be retried, given whether repeating the call is safe.
    ///
    /// - Parameters:
    ///   - error: The error of the last attempt.
    ///   - repeatable: `true` when the operation is idempotent for this input, or the call carries an
    ///     idempotency key.
    public static func shouldRetry(_ error: any Error, repeatable: Bool) -> Bool {
        switch classify(error).transience {
        case .notSent: return true  // the service never saw the request
        case .always, .ifIdempotent: return repeatable
        default: return false
        }
    }

    /// How an error classifies itself: ``ClassifiedError`` conformers say so; anything else is final.
    public static func classify(_ error: any Error) -> (transience: Transience, retryAfter: Duration?) {
        if error is CancellationError { return (.never, nil) }
        if let classified = error as? any ClassifiedError { return (classified.transience, classified.retryAfter) }
        return (.never, nil)
    }

    /// The backoff before retry number `retry` (1 for the first retry): a uniformly random time in
    /// `0...min(cap, base * 2^(retry-1))`, raised to `retryAfter` when the service asked for longer.
    /// - Parameter random: a number in `0..<1`.
    public func delay(beforeRetry retry: Int, retryAfter: Duration?, random: Double) -> Duration {
        let exponent = min(max(retry - 1, 0), 40)
        let ceiling = min(cap, base * (1 << exponent))
        let jittered = ceiling * min(max(random, 0), 1)
        if let retryAfter, retryAfter > jittered { return retryAfter }
        return jittered
    }
}
