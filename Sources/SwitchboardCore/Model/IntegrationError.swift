import Foundation

/// Whether an error is worth another attempt.
///
/// The manager retries only errors that classify themselves as transient, and retries a `.ifIdempotent` error
/// (an HTTP 500, say) only for an idempotent operation or a call that carries an idempotency key.
public struct Transience: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable { case never, always, ifIdempotent, notSent = "not_sent" }
    private let base: Base
    /// Never retried: the same request would fail the same way (bad input, 4xx, a conflict).
    public static let never = Transience(base: .never)
    /// Retried when retrying is safe (connection failures, timeouts, 429, 502, 503, 504, 408).
    public static let always = Transience(base: .always)
    /// Retried only for idempotent operations (an HTTP 500: the write may have happened).
    public static let ifIdempotent = Transience(base: .ifIdempotent)
    /// The request never left (connection refused, connect timeout, no pooled connection): retried even for a
    /// non-idempotent operation, since the service cannot have acted on it.
    public static let notSent = Transience(base: .notSent)
    public var description: String { base.rawValue }
}

/// An error that tells the retry policy whether it is transient, and how long the service asked to wait.
///
/// Adapters may throw their own error types; conforming them to this protocol lets the manager retry them.
/// Errors that do not conform are never retried.
public protocol ClassifiedError: Error {
    /// Whether another attempt may succeed.
    var transience: Transience { get }
    /// The wait the service asked for (`Retry-After`), if any.
    var retryAfter: Duration? { get }
}

/// The one error type of Switchboard's call path.
///
/// Errors compare by ``code`` only. ``description`` is safe to show anywhere: it never holds a credential or a
/// request body. Context (service, operation, attempts, the last cause) is kept in stored fields.
public struct IntegrationError: Error, ClassifiedError, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible, Equatable
{
    /// What went wrong, as a closed set that can grow. Use it (never the message) as a metric label.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unknownService = "unknown_service"
            case unknownOperation = "unknown_operation"
            case serviceDisabled = "service_disabled"
            case serviceUnavailable = "service_unavailable"
            case invalidInput = "invalid_input"
            case invalidConfiguration = "invalid_configuration"
            case rateLimited = "rate_limited"
            case circuitOpen = "circuit_open"
            case timeout = "timeout"
            case deadlineExceeded = "deadline_exceeded"
            case cancelled = "cancelled"
            case connectionFailed = "connection_failed"
            case unauthorized = "unauthorized"
            case forbidden = "forbidden"
            case notFound = "not_found"
            case conflict = "conflict"
            case serviceError = "service_error"
            case serverError = "server_error"
            case decryptionFailed = "decryption_failed"
            case internalError = "internal"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No service of that name is registered.
        public static let unknownService = Code(.unknownService)
        /// The service has no operation of that name.
        public static let unknownOperation = Code(.unknownOperation)
        /// The service is configured with `enabled: false`.
        public static let serviceDisabled = Code(.serviceDisabled)
        /// The service is configured, but this build has no adapter for its type.
        public static let serviceUnavailable = Code(.serviceUnavailable)
        /// The operation's input is not what its schema asks for.
        public static let invalidInput = Code(.invalidInput)
        /// The configuration is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// No rate-limit permit within the allowed wait; `retryAfter` says when one frees up.
        public static let rateLimited = Code(.rateLimited)
        /// The circuit breaker is open; `retryAfter` says when it will let a probe through.
        public static let circuitOpen = Code(.circuitOpen)
        /// One attempt took longer than its timeout.
        public static let timeout = Code(.timeout)
        /// The call's overall deadline passed.
        public static let deadlineExceeded = Code(.deadlineExceeded)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// The service could not be reached, or the connection broke.
        public static let connectionFailed = Code(.connectionFailed)
        /// The service rejected the credentials (HTTP 401).
        public static let unauthorized = Code(.unauthorized)
        /// The credentials lack permission (HTTP 403).
        public static let forbidden = Code(.forbidden)
        /// The thing asked for does not exist (HTTP 404).
        public static let notFound = Code(.notFound)
        /// The write conflicts with existing state (HTTP 409, a unique violation).
        public static let conflict = Code(.conflict)
        /// The service refused the request (another 4xx).
        public static let serviceError = Code(.serviceError)
        /// The service failed (5xx).
        public static let serverError = Code(.serverError)
        /// An encrypted value or file could not be decrypted: wrong key or tampered data.
        public static let decryptionFailed = Code(.decryptionFailed)
        /// A bug or an unexpected state in Switchboard itself.
        public static let internalError = Code(.internalError)

        /// The code as a short snake_case string, stable for metrics and JSON.
        public var description: String { base.rawValue }

        /// `true` for codes that mean the call was wrong before any service was called (CLI exit code 2).
        public var isUsageError: Bool {
            switch base {
            case .unknownService, .unknownOperation, .serviceDisabled, .serviceUnavailable, .invalidInput,
                .invalidConfiguration, .decryptionFailed:
                return true
            default:
                return false
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A message for people, safe to print: never a secret, a token or a request body.
    public var message: String
    /// The service the call was for.
    public var service: String?
    /// The operation the call was for.
    public var operation: String?
    /// How many attempts were made, when the call reached the retry loop.
    public var attempts: Int?
    /// The wait the service asked for (or the limiter or breaker computed).
    public var retryAfter: Duration?
    /// The HTTP status (or similar protocol status), when there was one.
    public var status: Int?
    /// Whether another attempt may succeed.
    public var transience: Transience
    /// What the user can do about it.
    public var hint: String?
    /// The last underlying cause.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        service: String? = nil,
        operation: String? = nil,
        transience: Transience = .never,
        retryAfter: Duration? = nil,
        status: Int? = nil,
        hint: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.service = service
        self.operation = operation
        self.transience = transience
        self.retryAfter = retryAfter
        self.status = status
        self.hint = hint
        self.underlying = underlying
    }

    public static func == (lhs: IntegrationError, rhs: IntegrationError) -> Bool { lhs.code == rhs.code }

    /// `true` when the retry policy may try again (given an idempotent operation).
    public var isRetryable: Bool { transience != .never }

    /// One line for people: `service.operation: message (after N attempts)`.
    public var description: String {
        var text = ""
        if let service {
            text += service
            if let operation { text += "." + operation }
            text += ": "
        }
        text += message
        if let attempts, attempts > 1 { text += " (after \(attempts) attempts)" }
        if let retryAfter, code == .rateLimited || code == .circuitOpen {
            text += "; retry after \(retryAfter.secondsText)"
        }
        if let hint { text += "; " + hint }
        return text
    }

    /// The description plus the code, status and the underlying cause.
    public var debugDescription: String {
        var text = "[\(code)] " + description
        if let status { text += " (status \(status))" }
        if let underlying { text += "; cause: \(String(describing: underlying))" }
        return text
    }
}

// MARK: - Factories for common protocol errors

extension IntegrationError {
    /// Maps an HTTP-style status to an error classified for the retry policy.
    ///
    /// 408, 429, 502, 503 and 504 are transient; 500 is transient for idempotent operations only; other statuses
    /// are final. `retryAfter` carries the service's `Retry-After`.
    public static func status(_ status: Int, message: String, retryAfter: Duration? = nil) -> IntegrationError {
        let code: Code
        let transience: Transience
        switch status {
        case 401: (code, transience) = (.unauthorized, .never)
        case 403: (code, transience) = (.forbidden, .never)
        case 404, 410: (code, transience) = (.notFound, .never)
        case 409, 412: (code, transience) = (.conflict, .never)
        case 408: (code, transience) = (.timeout, .always)
        case 429: (code, transience) = (.rateLimited, .always)
        case 500: (code, transience) = (.serverError, .ifIdempotent)
        case 502, 503, 504: (code, transience) = (.serverError, .always)
        case 500...599: (code, transience) = (.serverError, .never)
        default: (code, transience) = (.serviceError, .never)
        }
        return IntegrationError(
            code: code,
            message: message,
            transience: transience,
            retryAfter: retryAfter,
            status: status
        )
    }

    /// The service could not be reached or the connection broke: transient.
    ///
    /// - Parameter sent: `false` when the request cannot have reached the service (the connection was never
    ///   made); such a failure is safe to retry even for a non-idempotent operation.
    public static func connectionFailed(
        _ message: String,
        sent: Bool = true,
        underlying: (any Error & Sendable)? = nil
    ) -> IntegrationError {
        IntegrationError(
            code: .connectionFailed,
            message: message,
            transience: sent ? .always : .notSent,
            underlying: underlying
        )
    }

    /// The input does not match the operation's schema.
    public static func invalidInput(_ message: String) -> IntegrationError {
        IntegrationError(code: .invalidInput, message: message)
    }
}

extension Duration {
    /// Seconds as short text: `1.5s`, `200ms`.
    public var secondsText: String {
        let (s, atto) = components
        let ms = Double(s) * 1000 + Double(atto) / 1e15
        if ms < 1000 { return "\(Int(ms.rounded()))ms" }
        let seconds = ms / 1000
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.1fs", seconds)
    }

    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
