import Synchronization

/// The state of a circuit breaker.
public enum CircuitState: String, Sendable, Hashable {
    /// Calls flow; outcomes are recorded in the sliding window.
    case closed
    /// Calls are refused at once until the open duration has passed.
    case open
    /// A limited number of probe calls are let through; their outcomes decide between closed and open.
    case halfOpen = "half_open"

    /// The gauge value: 0 closed, 1 half-open, 2 open.
    public var gaugeValue: Int {
        switch self {
        case .closed: return 0
        case .halfOpen: return 1
        case .open: return 2
        }
    }
}

/// The breaker's logic as a value type with no I/O: feed it events and instants, read its decisions.
public struct CircuitBreakerStateMachine: Sendable {
    /// The breaker's settings.
    public struct Configuration: Sendable, Hashable {
        /// The failure rate (0...1) at or above which the breaker opens. Default 0.5.
        public var failureRateThreshold: Double = 0.5
        /// How many of the latest calls the sliding window holds. Default 20.
        public var windowSize: Int = 20
        /// The fewest calls in the window before the rate is judged. Default 10.
        public var minimumCalls: Int = 10
        /// How long the breaker stays open before letting probes through. Default 30 s.
        public var openDuration: Duration = .seconds(30)
        /// How many probe calls half-open lets through; all must succeed to close. Default 3.
        public var halfOpenProbes: Int = 3

        /// Creates the default configuration.
        public init() {}
    }

    /// The answer to "may this call go ahead?".
    public enum Permission: Sendable, Equatable {
        /// Go ahead (a probe, when `probe` is true).
        case allowed(probe: Bool)
        /// Refused; the breaker lets probes through after `retryAfter`.
        case refused(retryAfter: Duration)
    }

    /// A change of state, for logs and metrics.
    public struct Transition: Sendable, Equatable {
        /// The state before.
        public var from: CircuitState
        /// The state after.
        public var to: CircuitState

        /// Creates a transition.
        public init(from: CircuitState, to: CircuitState) {
            self.from = from
            self.to = to
        }
    }

    /// The settings in force.
    public let configuration: Configuration
    /// The current state.
    public private(set) var state: CircuitState = .closed
    private var outcomes: [Bool]  // ring of the latest outcomes, true = failure
    private var next = 0
    private var recorded = 0
    private var failures = 0
    private var openedAt: Duration = .zero
    private var probesInFlight = 0
    private var probeSuccesses = 0

    /// Creates a closed breaker.
    public init(configuration: Configuration) {
        self.configuration = configuration
        outcomes = Array(repeating: false, count: max(1, configuration.windowSize))
    }

    /// The failure rate over the window, or `nil` before `minimumCalls` outcomes.
    public var failureRate: Double? {
        recorded >= max(1, configuration.minimumCalls) ? Double(failures) / Double(recorded) : nil
    }

    /// Asks whether a call may start at `now`. May move open → half-open.
    public mutating func acquire(now: Duration) -> (Permission, Transition?) {
        switch state {
        case .closed:
            return (.allowed(probe: false), nil)
        case .open:
            let reopenAt = openedAt + configuration.openDuration
            if now < reopenAt { return (.refused(retryAfter: reopenAt - now), nil) }
            state = .halfOpen
            probesInFlight = 1
            probeSuccesses = 0
            return (.allowed(probe: true), Transition(from: .open, to: .halfOpen))
        case .halfOpen:
            if probesInFlight + probeSuccesses < configuration.halfOpenProbes {
                probesInFlight += 1
                return (.allowed(probe: true), nil)
            }
            return (.refused(retryAfter: .zero), nil)
        }
    }

    /// Records the outcome of a call that was allowed. `failure` counts against the service; `nil` means the
    /// call says nothing about the service's health (cancelled, invalid input) and only frees a probe slot.
    public mutating func record(failure: Bool?, probe: Bool, now: Duration) -> Transition? {
        if probe {
            guard state == .halfOpen else { return nil }
            probesInFlight = max(0, probesInFlight - 1)
            switch failure {
            case .some(true):
                return open(now: now, from: .halfOpen)
            case .some(false):
                probeSuccesses += 1
                if probeSuccesses >= configuration.halfOpenProbes {
                    state = .closed
                    resetWindow()
                    return Transition(from: .halfOpen, to: .closed)
                }
                return nil
            case .none:
                return nil
            }
        }
        guard state == .closed, let failure else { return nil }
        if recorded == outcomes.count {
            if outcomes[next] { failures -= 1 }
        } else {
            recorded += 1
        }
        outcomes[next] = failure
        if failure { failures += 1 }
        next = (next + 1) % outcomes.count
        if let rate = failureRate, rate >= configuration.failureRateThreshold {
            return open(now: now, from: .closed)
        }
        return nil
    }

    private mutating func open(now: Duration, from: CircuitState) -> Transition {
        state = .open
        openedAt = now
        probesInFlight = 0
        probeSuccesses = 0
        resetWindow()
        return Transition(from: from, to: .open)
    }

    private mutating func resetWindow() {
        for i in outcomes.indices { outcomes[i] = false }
        next = 0
        recorded = 0
        failures = 0
    }
}

/// A thread-safe circuit breaker around ``CircuitBreakerStateMachine``, on an injected clock.
public final class CircuitBreaker: Sendable {
    private let machine: Mutex<CircuitBreakerStateMachine>
    private let clock: any ResilienceClock
    private let onTransition: @Sendable (CircuitBreakerStateMachine.Transition) -> Void

    /// Creates a closed breaker. `onTransition` is called (outside the lock) on every state change.
    public init(
        configuration: CircuitBreakerStateMachine.Configuration,
        clock: any ResilienceClock,
        onTransition: @escaping @Sendable (CircuitBreakerStateMachine.Transition) -> Void = { _ in }
    ) {
        self.machine = Mutex(CircuitBreakerStateMachine(configuration: configuration))
        self.clock = clock
        self.onTransition = onTransition
    }

    /// The current state.
    public var state: CircuitState { machine.withLock { $0.state } }

    /// Asks whether a call may start now.
    public func acquire() -> CircuitBreakerStateMachine.Permission {
        let clock = self.clock
        let (permission, transition) = machine.withLock { machine in
            // A closed breaker needs no time: skip the clock read on the hot path.
            machine.state == .closed ? (.allowed(probe: false), nil) : machine.acquire(now: clock.now)
        }
        if let transition { onTransition(transition) }
        return permission
    }

    /// Records the outcome of an allowed call.
    public func record(failure: Bool?, probe: Bool) {
        // Only a failure or a probe can change state, and only then does the time matter.
        let now = failure == false && !probe ? Duration.zero : clock.now
        let transition = machine.withLock { $0.record(failure: failure, probe: probe, now: now) }
        if let transition { onTransition(transition) }
    }
}
