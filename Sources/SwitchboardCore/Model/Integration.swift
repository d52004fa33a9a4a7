import Logging

/// Whether repeating an operation is safe: fixed for the operation, or decided per call from its input.
///
/// The manager retries a non-idempotent operation only when the call carries an idempotency key.
public struct Idempotency: Sendable {
    private enum Base: Sendable {
        case fixed(Bool)
        case perCall(@Sendable (JSONValue) -> Bool)
    }
    private let base: Base

    /// Repeating the operation has the same effect as doing it once (reads, PUT-style writes).
    public static let idempotent = Idempotency(base: .fixed(true))
    /// Repeating the operation may do it twice (an insert, a send).
    public static let nonIdempotent = Idempotency(base: .fixed(false))
    /// Decided from each call's input, as the `http` adapter's `request` is by its method.
    public static func decidedPerCall(_ decide: @escaping @Sendable (JSONValue) -> Bool) -> Idempotency {
        Idempotency(base: .perCall(decide))
    }

    /// Whether the call with `input` is idempotent.
    @inlinable
    public func isIdempotent(for input: JSONValue) -> Bool { _isIdempotent(input) }

    @usableFromInline
    func _isIdempotent(_ input: JSONValue) -> Bool {
        switch base {
        case .fixed(let value): return value
        case .perCall(let decide): return decide(input)
        }
    }

    /// A word for catalogs: `true`, `false` or `per_call`.
    public var summary: String {
        switch base {
        case .fixed(let value): return value ? "true" : "false"
        case .perCall: return "per_call"
        }
    }
}

/// One operation an integration offers: what the CLI, HTTP API and MCP tool list are all derived from.
public struct OperationDescriptor: Sendable {
    /// The operation's name, in the seed's snake_case (`create_event`).
    public var name: String
    /// A one-line summary.
    public var summary: String
    /// JSON Schema of the input object.
    public var inputSchema: JSONValue
    /// JSON Schema of the output.
    public var outputSchema: JSONValue
    /// Whether repeating the operation is safe.
    public var idempotency: Idempotency
    /// Whether the service's default deadline (`deadline_s`) applies. File transfers set this to `false`: they
    /// take as long as the bytes take (each request still has its own timeouts), unless the call itself gives a
    /// deadline. Default `true`.
    public var usesServiceDeadline: Bool

    /// Creates a descriptor.
    public init(
        name: String,
        summary: String,
        inputSchema: JSONValue = ["type": "object"],
        outputSchema: JSONValue = [:],
        idempotency: Idempotency,
        usesServiceDeadline: Bool = true
    ) {
        self.name = name
        self.summary = summary
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.idempotency = idempotency
        self.usesServiceDeadline = usesServiceDeadline
    }
}

/// Reports bytes moved so far in a transfer, `(done, total)`; adapters call it as data moves.
public typealias ProgressHandler = @Sendable (Int64, Int64) -> Void

/// What an adapter knows about the call it is running.
public struct OperationContext: Sendable {
    /// The service name the call was made to (`team_calendar`).
    public var service: String
    /// The operation name.
    public var operation: String
    /// The attempt number, from 1.
    public var attempt: Int
    /// The caller's idempotency key, if any: adapters use it to make writes safe to repeat (a Google event id).
    public var idempotencyKey: String?
    /// The overall deadline on the manager's clock, if any.
    public var deadline: Duration?
    /// The clock the manager runs on.
    public var clock: any ResilienceClock
    /// Where a transfer reports its progress (the CLI's progress bar), if the caller asked for it.
    public var progress: ProgressHandler?
    private var baseLogger: Logger

    /// Creates a context; the manager does this for every attempt.
    public init(
        service: String,
        operation: String,
        attempt: Int = 1,
        idempotencyKey: String? = nil,
        deadline: Duration? = nil,
        clock: any ResilienceClock = SystemClock(),
        progress: ProgressHandler? = nil,
        logger: Logger = Logger(label: "switchboard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.progress = progress
        self.service = service
        self.operation = operation
        self.attempt = attempt
        self.idempotencyKey = idempotencyKey
        self.deadline = deadline
        self.clock = clock
        self.baseLogger = logger
    }

    /// A logger carrying `integration.service`, `integration.operation` and `attempt` metadata.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: LogKey.service] = .string(service)
        logger[metadataKey: LogKey.operation] = .string(operation)
        logger[metadataKey: LogKey.attempt] = .stringConvertible(attempt)
        return logger
    }

    /// The decorated ``logger`` when `level` is enabled, else `nil`: lets hot paths skip building it.
    public func logger(enabledAt level: Logger.Level) -> Logger? {
        baseLogger.logLevel <= level ? logger : nil
    }

    /// The time left before the deadline, or `nil` when the call has none.
    public var remaining: Duration? { deadline.map { $0 - clock.now } }
}

/// An adapter for one kind of external service: the seed's `BaseAdapter`.
///
/// An integration declares its operations once, in ``operations``; the CLI, HTTP API and MCP server derive
/// everything from that catalog. ``execute(_:input:context:)`` is the dynamic form they all call, through
/// ``IntegrationManager``, which adds rate limits, retries, the circuit breaker, the bulkhead and deadlines.
/// An adapter itself never retries.
///
/// See `docs/ADAPTERS.md` for a complete example.
public protocol Integration: Sendable {
    /// The adapter's kind: the configuration `type` it serves (`google_calendar`, `postgresql`, `http`).
    var kind: String { get }
    /// The operations this integration offers.
    var operations: [OperationDescriptor] { get }
    /// Runs one attempt of an operation.
    ///
    /// - Parameters:
    ///   - operation: A name from ``operations``.
    ///   - input: The input object, as the operation's input schema declares.
    ///   - context: The call's service name, attempt, idempotency key, deadline and logger.
    /// - Returns: The output, as the operation's output schema declares.
    /// - Throws: Preferably an ``IntegrationError`` classified for the retry policy. Must honour task
    ///   cancellation.
    func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue
    /// Whether the adapter stops by itself when `context.deadline` passes (its transport enforces the deadline),
    /// failing with ``IntegrationError/Code/deadlineExceeded``. The manager then runs the call inline instead of
    /// racing it against a timer in a task group, which saves a task group per call. Default `false`.
    var enforcesDeadline: Bool { get }
    /// Whether the adapter keeps its own pool of `max_connections` connections and queues the calls that wait
    /// for one (a database pool hands a freed connection to the next waiter on its event loop, with no task hop).
    /// The manager then lets up to ``IntegrationManager/queuedCallsPerConnection`` calls per connection in
    /// flight rather than exactly `max_connections`, so the pool never idles between calls. Default `false`.
    var poolsConnections: Bool { get }
    /// Releases connections and other resources. Called once, when the manager shuts down or the adapter is
    /// removed.
    func shutdown() async throws
    /// The adapter's background work while it serves calls, such as a connection pool's run loop. The manager
    /// runs it as a child task inside ``IntegrationManager/withBackgroundWork(_:)`` (which
    /// `SwitchboardRuntime` runs for its whole life); it returns when that task is cancelled or when
    /// ``shutdown()`` is called. Default: none.
    func run() async
    /// Whether calls depend on ``run()`` running; the manager then refuses calls made outside its background
    /// work with a message that says so, instead of letting them wait forever. Default `false`.
    var needsBackgroundWork: Bool { get }
}

extension Integration {
    /// Default: the manager enforces the deadline.
    public var enforcesDeadline: Bool { false }

    /// Default: the manager's bulkhead caps calls in flight at `max_connections`.
    public var poolsConnections: Bool { false }

    /// Default: nothing to release.
    public func shutdown() async throws {}

    /// Default: no background work.
    public func run() async {}

    /// Default: calls need no background work.
    public var needsBackgroundWork: Bool { false }
}
