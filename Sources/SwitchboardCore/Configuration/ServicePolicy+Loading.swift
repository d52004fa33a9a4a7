import Foundation

/// Loading a ``ServicePolicy`` from an `integrations.<service>` block.
///
/// ## Configuration keys
/// | key | type | default |
/// |---|---|---|
/// | `enabled` | boolean | `true` |
/// | `max_rate_limit` | integer ≥ 1: permits per window | none (no limit) |
/// | `rate_limit_window_s` | number > 0 | 100 |
/// | `retry_attempts` | integer ≥ 0: retries after the first attempt | 3 |
/// | `max_connections` | integer ≥ 1: calls in flight | 10 |
/// | `backoff_base_ms`, `backoff_cap_ms` | integer ≥ 0 | 200, 10000 |
/// | `max_retry_after_s` | number ≥ 0 | 60 |
/// | `deadline_s` | number ≥ 0 (0: none) | 30 |
/// | `attempt_timeout_s` | number > 0 | none |
/// | `max_wait_ms` | integer ≥ 0: wait for a rate-limit permit | 5000 |
/// | `breaker_failure_rate` | number in (0, 1] | 0.5 |
/// | `breaker_window`, `breaker_minimum_calls` | integer ≥ 1 | 20, 10 |
/// | `breaker_open_s` | number > 0 | 30 |
/// | `breaker_half_open_probes` | integer ≥ 1 | 3 |
extension ServicePolicy {
    /// The keys a policy block may hold.
    public static let keys = [
        "enabled", "max_rate_limit", "rate_limit_window_s", "retry_attempts", "max_connections", "backoff_base_ms",
        "backoff_cap_ms", "max_retry_after_s", "deadline_s", "attempt_timeout_s", "max_wait_ms",
        "breaker_failure_rate", "breaker_window", "breaker_minimum_calls", "breaker_open_s",
        "breaker_half_open_probes",
    ]

    static func load(from node: ConfigNode, service: String, errors: inout [ConfigDiagnostic]) -> ServicePolicy? {
        let base = "integrations.\(service)"
        if node.isNull { return ServicePolicy() }
        guard let entries = node.entries else {
            errors.append(
                ConfigDiagnostic(
                    .error,
                    at: node.location,
                    keyPath: base,
                    "expected a mapping of policy settings, found \(node.shapeDescription)"
                )
            )
            return nil
        }
        var policy = ServicePolicy()
        var ok = true
        var rateLimit: Int?
        var window: Double = 100
        for entry in entries {
            let path = base + "." + entry.key
            func fail(_ message: String) {
                errors.append(ConfigDiagnostic(.error, at: entry.node.location, keyPath: path, message))
                ok = false
            }
            func integer(min: Int, max: Int = Int.max) -> Int? {
                guard let text = entry.node.scalar, let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    fail("expected an integer, found \(ConfigurationLoader.describe(entry.node))")
                    return nil
                }
                guard value >= min else {
                    fail("must be at least \(min), found \(value)")
                    return nil
                }
                guard value <= max else {
                    fail("must be at most \(max), found \(value)")
                    return nil
                }
                return value
            }
            func number(min: Double, exclusive: Bool = false, max: Double = .infinity) -> Double? {
                guard let text = entry.node.scalar, let value = Double(text.trimmingCharacters(in: .whitespaces)),
                    value.isFinite
                else {
                    fail("expected a number, found \(ConfigurationLoader.describe(entry.node))")
                    return nil
                }
                if exclusive ? value <= min : value < min {
                    fail("must be \(exclusive ? "more than" : "at least") \(min), found \(value)")
                    return nil
                }
                if value > max {
                    fail("must be at most \(max), found \(value)")
                    return nil
                }
                return value
            }
            switch entry.key {
            case "enabled":
                guard let text = entry.node.scalar, let value = ConfigNode.boolValue(text) else {
                    fail("expected true or false, found \(ConfigurationLoader.describe(entry.node))")
                    continue
                }
                policy.enabled = value
            case "max_rate_limit": rateLimit = integer(min: 1)
            case "rate_limit_window_s": if let v = number(min: 0, exclusive: true) { window = v }
            case "retry_attempts": if let v = integer(min: 0, max: 100) { policy.retry.maxRetries = v }
            case "max_connections": if let v = integer(min: 1, max: 100_000) { policy.maxConnections = v }
            case "backoff_base_ms": if let v = integer(min: 0) { policy.retry.base = .milliseconds(v) }
            case "backoff_cap_ms": if let v = integer(min: 0) { policy.retry.cap = .milliseconds(v) }
            case "max_retry_after_s": if let v = number(min: 0) { policy.retry.maximumRetryAfter = .seconds(v) }
            case "deadline_s": if let v = number(min: 0) { policy.deadline = v == 0 ? nil : .seconds(v) }
            case "attempt_timeout_s": if let v = number(min: 0, exclusive: true) { policy.attemptTimeout = .seconds(v) }
            case "max_wait_ms": if let v = integer(min: 0) { policy.maximumWait = .milliseconds(v) }
            case "breaker_failure_rate":
                if let v = number(min: 0, exclusive: true, max: 1) { policy.breaker.failureRateThreshold = v }
            case "breaker_window": if let v = integer(min: 1, max: 100_000) { policy.breaker.windowSize = v }
            case "breaker_minimum_calls": if let v = integer(min: 1) { policy.breaker.minimumCalls = v }
            case "breaker_open_s":
                if let v = number(min: 0, exclusive: true) { policy.breaker.openDuration = .seconds(v) }
            case "breaker_half_open_probes": if let v = integer(min: 1) { policy.breaker.halfOpenProbes = v }
            default:
                var message = "unknown policy key \(entry.key)"
                if let suggestion = Suggestion.closest(to: entry.key, among: keys) {
                    message += "; did you mean \(suggestion)?"
                } else {
                    message += " (known: \(keys.joined(separator: ", ")))"
                }
                fail(message)
            }
        }
        if let rateLimit { policy.rateLimit = RateLimiter.Configuration(limit: rateLimit, window: .seconds(window)) }
        if policy.retry.cap < policy.retry.base {
            errors.append(
                ConfigDiagnostic(
                    .error,
                    at: node.location,
                    keyPath: base + ".backoff_cap_ms",
                    "must not be less than backoff_base_ms"
                )
            )
            ok = false
        }
        return ok ? policy : nil
    }
}
