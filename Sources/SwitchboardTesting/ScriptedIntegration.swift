import SwitchboardCore
import Synchronization

/// An integration for tests whose single operation answers from a script: each attempt takes the next step.
public final class ScriptedIntegration: Integration {
    /// One scripted attempt.
    public enum Step: Sendable {
        /// Return this output.
        case succeed(JSONValue)
        /// Throw this error.
        case fail(IntegrationError)
        /// Suspend on the context's clock until cancelled (a hung service).
        case hang
    }

    public let kind = "scripted"
    public let operations: [OperationDescriptor]
    private let steps: Mutex<[Step]>
    private let calls = Mutex<[OperationContext]>([])
    private let inFlight = Mutex<(now: Int, peak: Int)>((0, 0))
    private let fallback: Step

    /// Creates an integration with operations `read` (idempotent) and `write` (not idempotent).
    public init(steps: [Step], then fallback: Step = .succeed(["ok": true])) {
        self.steps = Mutex(steps)
        self.fallback = fallback
        operations = [
            OperationDescriptor(name: "read", summary: "A read.", idempotency: .idempotent),
            OperationDescriptor(name: "write", summary: "A write.", idempotency: .nonIdempotent),
        ]
    }

    /// The contexts of every attempt so far.
    public var attempts: [OperationContext] { calls.withLock { $0 } }

    /// The most attempts in flight at once so far.
    public var peakInFlight: Int { inFlight.withLock { $0.peak } }

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        calls.withLock { $0.append(context) }
        inFlight.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        defer { inFlight.withLock { $0.now -= 1 } }
        let step = steps.withLock { $0.isEmpty ? fallback : $0.removeFirst() }
        switch step {
        case .succeed(let value): return value
        case .fail(let error): throw error
        case .hang:
            try await context.clock.sleep(until: .seconds(1_000_000_000))
            return .null
        }
    }
}
