/// Logger metadata keys, defined once.
public enum LogKey {
    /// The service name of a call.
    public static let service = "integration.service"
    /// The operation name of a call.
    public static let operation = "integration.operation"
    /// The attempt number, from 1.
    public static let attempt = "attempt"
    /// The backoff before the next attempt, in milliseconds.
    public static let retryDelay = "retry.delay_ms"
    /// A circuit breaker's state.
    public static let breakerState = "breaker.state"
    /// An error's code.
    public static let errorCode = "error.code"
    /// A rate-limit wait, in milliseconds.
    public static let rateLimitWait = "ratelimit.wait_ms"
}

/// Metric names, in OpenTelemetry style. Dimensions: `integration.service`, `integration.operation`,
/// `error.type`.
public enum MetricName {
    /// Calls, counted once per `execute`.
    public static let calls = "switchboard.calls"
    /// Failed calls, by `error.type`.
    public static let errors = "switchboard.errors"
    /// Retries (attempts after the first).
    public static let retries = "switchboard.retries"
    /// Call duration.
    public static let callDuration = "switchboard.call.duration"
    /// Time spent waiting for a rate-limit permit.
    public static let rateLimitWait = "switchboard.ratelimit.wait"
    /// Breaker state: 0 closed, 1 half-open, 2 open.
    public static let breakerState = "switchboard.breaker.state"
    /// Breaker state changes, by `from` and `to`.
    public static let breakerTransitions = "switchboard.breaker.transitions"
}
