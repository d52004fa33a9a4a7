/// The resilience settings of one service: what `integrations_config.yaml` says about it.
///
/// Defaults, for a service with no entry: enabled, 3 retries, backoff base 200 ms and cap 10 s, no rate limit,
/// 10 calls in flight, a 30 s deadline per call, a 5 s wait for a rate-limit permit, no per-attempt timeout, and a
/// breaker that opens at a 50 % failure rate over the last 20 calls (at least 10) for 30 s.
public struct ServicePolicy: Sendable, Hashable {
    /// Whether the service takes calls (`enabled`). Default `true`.
    public var enabled: Bool = true
    /// The rate limit (`max_rate_limit` per `rate_limit_window_s`). Default: none.
    public var rateLimit: RateLimiter.Configuration? = nil
    /// Retries and backoff (`retry_attempts`, `backoff_base_ms`, `backoff_cap_ms`, `max_retry_after_s`).
    public var retry = RetryPolicy()
    /// Calls in flight at once (`max_connections`). Default 10.
    public var maxConnections: Int = 10
    /// The overall deadline of a call (`deadline_s`; 0 means none). Default 30 s.
    public var deadline: Duration? = .seconds(30)
    /// The timeout of one attempt (`attempt_timeout_s`). Default: none (the deadline still applies).
    public var attemptTimeout: Duration? = nil
    /// How long a call may wait for a rate-limit permit (`max_wait_ms`), within its deadline. Default 5 s.
    public var maximumWait: Duration = .seconds(5)
    /// The circuit breaker (`breaker_failure_rate`, `breaker_window`, `breaker_minimum_calls`,
    /// `breaker_open_s`, `breaker_half_open_probes`).
    public var breaker = CircuitBreakerStateMachine.Configuration()

    /// Creates the default policy.
    public init() {}
}
