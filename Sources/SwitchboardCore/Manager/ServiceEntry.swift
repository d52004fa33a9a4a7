import Logging
import Metrics
import Synchronization

/// One registered service: its adapter, policy and the resilience parts built from it.
final class ServiceEntry: Sendable {
    final class Operation: Sendable {
        let descriptor: OperationDescriptor
        let calls: Counter
        let retries: Counter
        let duration: Metrics.Timer
        let rateLimitWait: Metrics.Timer
        /// `false` when the schema constrains nothing, so the hot path skips validation.
        let validatesInput: Bool

        init(
            descriptor: OperationDescriptor,
            calls: Counter,
            retries: Counter,
            duration: Metrics.Timer,
            rateLimitWait: Metrics.Timer,
            validatesInput: Bool
        ) {
            self.descriptor = descriptor
            self.calls = calls
            self.retries = retries
            self.duration = duration
            self.rateLimitWait = rateLimitWait
            self.validatesInput = validatesInput
        }
    }

    let name: String
    let adapter: any Integration
    let policy: ServicePolicy
    private let operationTable: [String: Operation]
    private let operationList: [Operation]
    let operationNames: [String]
    let limiter: RateLimiter?
    let breaker: CircuitBreaker
    let bulkhead: Bulkhead
    let adapterEnforcesDeadline: Bool
    /// Whether calls need the manager's background work running (``Integration/needsBackgroundWork``).
    let needsBackgroundWork: Bool
    private let errorCounters = Mutex<[String: Counter]>([:])

    private let metrics: any MetricsFactory

    init(
        name: String,
        adapter: any Integration,
        policy: ServicePolicy,
        clock: any ResilienceClock,
        logger: Logger,
        metrics: any MetricsFactory
    ) {
        self.metrics = metrics
        self.name = name
        self.adapter = adapter
        self.policy = policy
        var operations: [String: Operation] = [:]
        for descriptor in adapter.operations {
            let dimensions = [(LogKey.service, name), (LogKey.operation, descriptor.name)]
            operations[descriptor.name] = Operation(
                descriptor: descriptor,
                calls: Counter(label: MetricName.calls, dimensions: dimensions, factory: metrics),
                retries: Counter(label: MetricName.retries, dimensions: dimensions, factory: metrics),
                duration: Metrics.Timer(label: MetricName.callDuration, dimensions: dimensions, factory: metrics),
                rateLimitWait: Metrics.Timer(label: MetricName.rateLimitWait, dimensions: dimensions, factory: metrics),
                validatesInput: descriptor.inputSchema != ["type": "object"] && descriptor.inputSchema != [:]
            )
        }
        self.operationTable = operations
        self.operationList = operations.keys.sorted().map { operations[$0]! }
        self.operationNames = operations.keys.sorted()
        self.limiter = policy.rateLimit.map { RateLimiter(configuration: $0, clock: clock) }
        let perConnection = adapter.poolsConnections ? IntegrationManager.queuedCallsPerConnection : 1
        self.bulkhead = Bulkhead(maximum: max(1, policy.maxConnections) * perConnection)
        self.adapterEnforcesDeadline = adapter.enforcesDeadline && policy.attemptTimeout == nil
        self.needsBackgroundWork = adapter.needsBackgroundWork
        let gauge = Gauge(label: MetricName.breakerState, dimensions: [(LogKey.service, name)], factory: metrics)
        gauge.record(CircuitState.closed.gaugeValue)
        let service = name
        let metrics = self.metrics
        self.breaker = CircuitBreaker(configuration: policy.breaker, clock: clock) { transition in
            gauge.record(transition.to.gaugeValue)
            Counter(
                label: MetricName.breakerTransitions,
                dimensions: [
                    (LogKey.service, service), ("from", transition.from.rawValue), ("to", transition.to.rawValue),
                ],
                factory: metrics
            ).increment()
            logger.info(
                "circuit breaker state changed",
                metadata: [
                    LogKey.service: .string(service),
                    LogKey.breakerState: .string(transition.to.rawValue),
                    "breaker.previous_state": .string(transition.from.rawValue),
                ]
            )
        }
    }

    /// The operation named `name`. A short list is scanned (comparing small strings is cheaper than hashing).
    @inline(__always)
    func operation(_ name: String) -> Operation? {
        if operationList.count <= 16 {
            for operation in operationList where operation.descriptor.name == name { return operation }
            return nil
        }
        return operationTable[name]
    }

    func errorCounter(operation: String, code: String) -> Counter {
        let key = operation + "\u{0}" + code
        return errorCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: MetricName.errors,
                dimensions: [(LogKey.service, name), (LogKey.operation, operation), ("error.type", code)],
                factory: metrics
            )
            counters[key] = counter
            return counter
        }
    }
}
