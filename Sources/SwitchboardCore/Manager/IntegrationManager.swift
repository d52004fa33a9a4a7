import Logging
import Metrics
import Synchronization

/// The one entry point for every call to an external service.
///
/// The manager holds adapters by service name, each with its ``ServicePolicy``, and runs every call through the
/// same pipeline: circuit breaker, bulkhead, then for each attempt a rate-limit permit, the adapter under the
/// attempt timeout and the overall deadline, and on a transient error a jittered backoff before the next attempt.
/// A non-idempotent operation is retried only when the call carries an idempotency key.
///
/// ```swift
/// let manager = IntegrationManager()
/// try manager.register(TextIntegration(), as: "text")
/// let output = try await manager.execute(service: "text", operation: "stats", input: ["text": "a b"])
/// ```
public final class IntegrationManager: Sendable {
    /// Per-call options.
    public struct Options: Sendable {
        /// The overall deadline of the call, overriding the service's `deadline_s`. `nil`: the service's.
        public var deadline: Duration?
        /// How long to wait for a rate-limit permit, overriding the service's `max_wait_ms`. `nil`: the service's.
        public var maximumWait: Duration?
        /// A key that makes repeating a non-idempotent call safe; handed to the adapter.
        public var idempotencyKey: String?
        /// The logger for this call. `nil`: the manager's.
        public var logger: Logger?
        /// Called as a transfer moves bytes (file uploads and downloads), `(done, total)`.
        public var progress: ProgressHandler?

        /// Creates options.
        public init(
            deadline: Duration? = nil,
            maximumWait: Duration? = nil,
            idempotencyKey: String? = nil,
            logger: Logger? = nil,
            progress: ProgressHandler? = nil
        ) {
            self.progress = progress
            self.deadline = deadline
            self.maximumWait = maximumWait
            self.idempotencyKey = idempotencyKey
            self.logger = logger
        }
    }

    private let services = Mutex(Registry())
    /// Configured services whose adapter could not be built, with the reason: calls to them say why.
    private let unusable = Mutex([String: String]())

    /// Records that the configured service `name` cannot be used, and why; calls to it fail with that reason.
    package func markUnusable(_ name: String, reason: String) {
        unusable.withLock { $0[name] = reason }
    }
    /// The adapters' background work (``Integration/run()``).
    private let background = BackgroundWork()
    private let clock: any ResilienceClock
    /// Calls in flight per connection for adapters that pool their own connections
    /// (``Integration/poolsConnections``): one running, the rest queued in the pool.
    public static let queuedCallsPerConnection = 4

    /// One sleeper for every call's deadline.
    private let deadlines: DeadlineWatch
    private let logger: Logger
    private let random: @Sendable () -> Double
    private let metrics: (any MetricsFactory)?

    /// Creates an empty manager.
    ///
    /// - Parameters:
    ///   - clock: The clock for limits, backoff, breakers and deadlines. Tests pass a `TestClock`.
    ///   - logger: The background logger. Default: no logging.
    ///   - random: Jitter source returning values in `0..<1`.
    ///   - metrics: The metrics factory. Default: the one `MetricsSystem` was bootstrapped with.
    public init(
        clock: any ResilienceClock = SystemClock(),
        logger: Logger = Logger(label: "switchboard", factory: { _ in SwiftLogNoOpLogHandler() }),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        metrics: (any MetricsFactory)? = nil
    ) {
        self.clock = clock
        self.deadlines = DeadlineWatch(clock: clock)
        self.logger = logger
        self.random = random
        self.metrics = metrics
    }

    // MARK: Registry

    /// Registers `adapter` under `name` with `policy`.
    /// - Throws: ``IntegrationError`` `invalidConfiguration` when the name is taken or the policy is invalid.
    public func register(_ adapter: any Integration, as name: String, policy: ServicePolicy = ServicePolicy()) throws {
        guard policy.maxConnections > 0 else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "max_connections must be at least 1",
                service: name
            )
        }
        let entry = ServiceEntry(
            name: name,
            adapter: adapter,
            policy: policy,
            clock: clock,
            logger: logger,
            metrics: metrics ?? MetricsSystem.factory
        )
        try services.withLock { services in
            if services.entries[name] != nil {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "a service named \(name) is already registered",
                    service: name
                )
            }
            services.insert(entry)
        }
        background.add(adapter)
    }

    /// The adapter registered under `name`.
    public func adapter(named name: String) -> (any Integration)? {
        services.withLock { $0.entry(name)?.adapter }
    }

    /// The policy of the service registered under `name`.
    public func policy(for name: String) -> ServicePolicy? {
        services.withLock { $0.entry(name)?.policy }
    }

    /// The circuit state of the service registered under `name`.
    public func circuitState(for name: String) -> CircuitState? {
        services.withLock { $0.entry(name)?.breaker.state }
    }

    /// The registered service names, sorted.
    public var serviceNames: [String] {
        services.withLock { Array($0.entries.keys) }.sorted()
    }

    /// Removes the service `name` and shuts its adapter down.
    /// - Returns: `false` when no such service was registered.
    @discardableResult
    public func remove(_ name: String) async throws -> Bool {
        guard let entry = services.withLock({ $0.remove(name) }) else { return false }
        try await entry.adapter.shutdown()
        return true
    }

    /// Removes every service and shuts each adapter down; the first error is rethrown after all have run.
    public func shutdown() async throws {
        let entries = services.withLock { services in
            defer { services = Registry() }
            return Array(services.entries.values)
        }
        var firstError: (any Error)?
        for entry in entries {
            do { try await entry.adapter.shutdown() } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }

    // MARK: Background work

    /// Runs `body` while every registered adapter's background work (``Integration/run()``: a connection pool's
    /// run loop) runs beside it as child tasks, including that of adapters registered meanwhile; when `body`
    /// returns or throws, the background work is cancelled and awaited. Calls to an adapter that needs
    /// background work are refused outside it. `SwitchboardRuntime` wraps its whole life in this.
    public func withBackgroundWork<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await background.whileRunning(body)
    }

    // MARK: Calls

    /// Runs one operation of one service through the whole resilience pipeline.
    ///
    /// - Returns: The operation's output, as its schema declares.
    /// - Throws: ``IntegrationError`` naming the service, operation, attempts and last cause;
    ///   `CancellationError` when the calling task is cancelled.
    public func execute(
        service: String,
        operation: String,
        input: JSONValue,
        options: Options = Options()
    ) async throws -> JSONValue {
        guard let entry = services.withLock({ $0.entry(service) }) else {
            if let reason = unusable.withLock({ $0[service] }) {
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message: "service \(service) is configured but cannot be used: \(reason)",
                    service: service,
                    hint: "fix the configuration (switchboard config check shows every problem)"
                )
            }
            throw IntegrationError(
                code: .unknownService,
                message: "no service named \(service); known services: \(knownList(serviceNames))",
                service: service
            )
        }
        guard entry.policy.enabled else {
            throw IntegrationError(
                code: .serviceDisabled,
                message: "service is disabled in the configuration (enabled: false)",
                service: service,
                operation: operation,
                hint: "set enabled: true under integrations.\(service) to use it"
            )
        }
        if entry.needsBackgroundWork && !background.isActive {
            throw IntegrationError(
                code: .internalError,
                message: "\(service) needs the manager's background work (its connection pool) running",
                service: service,
                operation: operation,
                hint:
                    "make calls inside SwitchboardRuntime.withRuntime, or inside IntegrationManager.withBackgroundWork"
            )
        }
        guard let call = entry.operation(operation) else {
            throw IntegrationError(
                code: .unknownOperation,
                message: "no operation named \(operation); \(service) offers: "
                    + knownList(entry.operationNames),
                service: service,
                operation: operation
            )
        }
        if call.validatesInput,
            let problem = SchemaValidator.firstProblem(in: input, schema: call.descriptor.inputSchema)
        {
            throw IntegrationError(code: .invalidInput, message: problem, service: service, operation: operation)
        }
        if let key = options.idempotencyKey,
            key.isEmpty || key.utf8.count > 255 || key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
        {
            // The key travels in headers and ids: a line break would split a request, an empty key means nothing.
            throw IntegrationError(
                code: .invalidInput,
                message: "the idempotency key must be 1 to 255 bytes without control characters (CR, LF, tab, ...)",
                service: service,
                operation: operation
            )
        }
        call.calls.increment()
        let start = clock.now
        let deadlineLength = options.deadline ?? (call.descriptor.usesServiceDeadline ? entry.policy.deadline : nil)
        let repeatable = call.descriptor.idempotency.isIdempotent(for: input) || options.idempotencyKey != nil
        let logger = options.logger ?? self.logger
        do {
            let output: JSONValue
            if let deadlineLength, entry.adapterEnforcesDeadline {
                // The adapter's transport stops at the deadline; the manager's own waits are bounded below.
                output = try await run(
                    entry: entry,
                    call: call,
                    input: input,
                    options: options,
                    deadline: start + deadlineLength,
                    repeatable: repeatable,
                    logger: logger,
                    log: nil,
                    start: start
                )
            } else if let deadlineLength {
                let deadline = start + deadlineLength
                let log = AttemptLog()
                output = try await withDeadline(
                    deadline,
                    watch: deadlines,
                    timeoutError: {
                        let (attempts, last) = log.snapshot
                        var error = IntegrationError(
                            code: .deadlineExceeded,
                            message: "deadline of \(deadlineLength.secondsText) passed",
                            service: service,
                            operation: operation,
                            transience: .never,
                            underlying: last
                        )
                        if let last {
                            error.message += "; last error: \(Self.causeText(last))"
                        }
                        if !repeatable {
                            error.message +=
                                "; the call was under way and may have taken effect: check before repeating it"
                        }
                        error.attempts = attempts
                        return error
                    },
                    {
                        try await self.run(
                            entry: entry,
                            call: call,
                            input: input,
                            options: options,
                            deadline: deadline,
                            repeatable: repeatable,
                            logger: logger,
                            log: log,
                            start: nil  // a child task: read the clock afresh
                        )
                    }
                )
            } else {
                output = try await run(
                    entry: entry,
                    call: call,
                    input: input,
                    options: options,
                    deadline: nil,
                    repeatable: repeatable,
                    logger: logger,
                    log: nil,
                    start: start
                )
            }
            call.duration.recordNanoseconds(Int64((clock.now - start).seconds * 1e9))
            return output
        } catch {
            let code =
                (error as? IntegrationError)?.code.description ?? (error is CancellationError ? "cancelled" : "other")
            entry.errorCounter(operation: operation, code: code).increment()
            call.duration.recordNanoseconds(Int64((clock.now - start).seconds * 1e9))
            logger.debug(
                "call failed",
                metadata: [
                    LogKey.service: .string(service), LogKey.operation: .string(operation),
                    LogKey.errorCode: .string(code),
                ]
            )
            throw error
        }
    }

    private func run(
        entry: ServiceEntry,
        call: ServiceEntry.Operation,
        input: JSONValue,
        options: Options,
        deadline: Duration?,
        repeatable: Bool,
        logger: Logger,
        log: AttemptLog?,
        start: Duration?
    ) async throws -> JSONValue {
        let policy = entry.policy
        let service = entry.name
        let operation = call.descriptor.name
        // Circuit breaker first: an open circuit refuses at once, without queueing.
        var probe = try breakerPermission(entry, service: service, operation: operation, lastError: nil, attempts: 0)
        // `now` is read once per step and reused while nothing could have waited in between.
        var now: Duration? = start
        if !entry.bulkhead.tryAcquire() {
            do {
                if let deadline, entry.adapterEnforcesDeadline {
                    let bulkhead = entry.bulkhead
                    try await withDeadline(
                        deadline,
                        watch: deadlines,
                        timeoutError: {
                            IntegrationError(
                                code: .deadlineExceeded,
                                message:
                                    "the deadline passed while waiting for a free connection slot (max_connections)",
                                service: service,
                                operation: operation
                            )
                        },
                        { try await bulkhead.acquire() }
                    )
                } else {
                    try await entry.bulkhead.acquire()
                }
            } catch {
                entry.breaker.record(failure: nil, probe: probe)
                throw error
            }
            now = nil
        }
        defer { entry.bulkhead.release() }

        var attempt = 0
        while true {
            attempt += 1
            if attempt > 1 {
                probe = try breakerPermission(
                    entry,
                    service: service,
                    operation: operation,
                    lastError: log?.snapshot.1,
                    attempts: attempt - 1
                )
            }
            if let limiter = entry.limiter {
                var maximumWait = options.maximumWait ?? policy.maximumWait
                if let deadline { maximumWait = min(maximumWait, max(.zero, deadline - (now ?? clock.now))) }
                do {
                    let (at, waited) = try limiter.admit(maximumWait: maximumWait, now: now ?? clock.now)
                    if waited > .zero {
                        try await clock.sleep(until: at)
                        call.rateLimitWait.recordNanoseconds(Int64(waited.seconds * 1e9))
                    }
                } catch var error as IntegrationError {
                    entry.breaker.record(failure: nil, probe: probe)
                    error.service = service
                    error.operation = operation
                    error.attempts = attempt
                    throw error
                } catch {
                    entry.breaker.record(failure: nil, probe: probe)
                    throw error
                }
            }
            logger.trace(
                "attempt",
                metadata: [
                    LogKey.service: .string(service), LogKey.operation: .string(operation),
                    LogKey.attempt: .stringConvertible(attempt),
                ]
            )
            let context = OperationContext(
                service: service,
                operation: operation,
                attempt: attempt,
                idempotencyKey: options.idempotencyKey,
                deadline: deadline,
                clock: clock,
                progress: options.progress,
                logger: logger
            )
            do {
                let output: JSONValue
                if let timeout = policy.attemptTimeout {
                    let adapter = entry.adapter
                    output = try await withDeadline(
                        clock.now + timeout,
                        watch: deadlines,
                        timeoutError: {
                            IntegrationError(
                                code: .timeout,
                                message: "attempt timed out after \(timeout.secondsText)",
                                service: service,
                                operation: operation,
                                transience: .always
                            )
                        },
                        { try await adapter.execute(operation, input: input, context: context) }
                    )
                } else {
                    output = try await entry.adapter.execute(operation, input: input, context: context)
                }
                entry.breaker.record(failure: false, probe: probe)
                return output
            } catch {
                now = nil
                entry.breaker.record(failure: Self.countsAsFailure(error), probe: probe)
                log?.record(attempt: attempt, error: error)
                if Task.isCancelled || error is CancellationError { throw error }
                let (_, retryAfter) = RetryPolicy.classify(error)
                guard attempt <= policy.retry.maxRetries, RetryPolicy.shouldRetry(error, repeatable: repeatable) else {
                    throw finalize(error, service: service, operation: operation, attempts: attempt, reason: nil)
                }
                if let retryAfter, retryAfter > policy.retry.maximumRetryAfter {
                    throw finalize(
                        error,
                        service: service,
                        operation: operation,
                        attempts: attempt,
                        reason: "the service asked to wait \(retryAfter.secondsText), longer than max_retry_after_s"
                    )
                }
                let delay = policy.retry.delay(beforeRetry: attempt, retryAfter: retryAfter, random: random())
                let resumeAt = clock.now + delay
                if let deadline, resumeAt >= deadline {
                    throw finalize(
                        error,
                        service: service,
                        operation: operation,
                        attempts: attempt,
                        reason: "the deadline would pass before the next retry"
                    )
                }
                call.retries.increment()
                logger.info(
                    "retrying after transient error",
                    metadata: [
                        LogKey.service: .string(service), LogKey.operation: .string(operation),
                        LogKey.attempt: .stringConvertible(attempt),
                        LogKey.retryDelay: .stringConvertible(Int(delay.seconds * 1000)),
                        LogKey.errorCode: .string((error as? IntegrationError)?.code.description ?? "other"),
                    ]
                )
                try await clock.sleep(until: resumeAt)
            }
        }
    }

    private func breakerPermission(
        _ entry: ServiceEntry,
        service: String,
        operation: String,
        lastError: (any Error & Sendable)?,
        attempts: Int
    ) throws -> Bool {
        switch entry.breaker.acquire() {
        case .allowed(let probe):
            return probe
        case .refused(let retryAfter):
            var error = IntegrationError(
                code: .circuitOpen,
                message: "circuit breaker is open after repeated failures",
                service: service,
                operation: operation,
                transience: .never,
                retryAfter: retryAfter,
                underlying: lastError
            )
            if attempts > 0 { error.attempts = attempts }
            throw error
        }
    }

    /// Whether an error says the service is unhealthy: transient errors, 5xx, and errors that do not classify
    /// themselves count; answers such as "not found" or "invalid input" do not; cancellation says nothing.
    static func countsAsFailure(_ error: any Error) -> Bool? {
        if error is CancellationError { return nil }
        if let error = error as? IntegrationError {
            if error.code == .cancelled || error.code == .deadlineExceeded { return nil }
            return error.transience != .never || error.code == .serverError
        }
        if let classified = error as? any ClassifiedError { return classified.transience != .never }
        return true
    }

    private func finalize(
        _ error: any Error,
        service: String,
        operation: String,
        attempts: Int,
        reason: String?
    ) -> any Error {
        if var error = error as? IntegrationError {
            error.service = service
            error.operation = operation
            error.attempts = attempts
            if attempts > 1 || reason != nil {
                var message = error.message
                if let reason { message += "; not retried: \(reason)" }
                error.message = message
            }
            return error
        }
        return IntegrationError(
            code: .internalError,
            message: Self.causeText(error),
            service: service,
            operation: operation,
            transience: .never,
            underlying: SendableErrorBox(error)
        ).with(attempts: attempts)
    }

    static func causeText(_ error: any Error) -> String {
        if let error = error as? IntegrationError { return error.message }
        return String(describing: error)
    }

    private func knownList(_ names: [String]) -> String {
        names.isEmpty ? "(none)" : names.joined(separator: ", ")
    }
}

extension IntegrationError {
    fileprivate func with(attempts: Int) -> IntegrationError {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}
