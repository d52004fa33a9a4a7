import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCalendar
import SwitchboardCore
import SwitchboardDatabase
import SwitchboardEmail
import SwitchboardHTTP
import SwitchboardStorage

/// The composition root: every adapter family this build has, the shared HTTP transport and token store, and
/// the manager with the configured and embedded services registered. The CLI and the server both run on it.
///
/// ```swift
/// let configuration = try SwitchboardRuntime.loader().load(path: "config")
/// let rows = try await SwitchboardRuntime.withRuntime(configuration: configuration, dataDirectory: "/var/lib/sb") { runtime in
///     try await runtime.manager.execute(service: "database", operation: "execute_query", input: ["query": "SELECT 1 AS one"])
/// }
/// ```
public final class SwitchboardRuntime: Sendable {
    /// The manager every call goes through.
    public let manager: IntegrationManager
    /// The configuration the runtime was built from.
    public let configuration: Configuration
    /// How each service stands (available, or why not).
    public let statuses: [ServiceStatus]
    /// The HTTP transport and token store the HTTP-based adapters share.
    public let http: HTTPAdapters
    /// Where the runtime keeps its files.
    public let dataDirectory: String

    /// The families of this build, in the order their type inference is asked: calendar, storage, e-mail,
    /// database, then the generic `http` (a bare `base_url` is an HTTP service only when nothing else claims it).
    public static func families(http: HTTPAdapters, extra: [AdapterFamily] = []) -> [AdapterFamily] {
        [
            CalendarAdapters.family(http: http), StorageAdapters.family(transport: http.transport),
            EmailAdapters.family(http: http),
            DatabaseAdapters.family,
        ] + extra
            + [http.family]
    }

    /// The schemas of every family of this build, plus `extra`'s: what a configuration is validated against.
    public static func registry(extra: [AdapterFamily] = []) -> SchemaRegistry {
        // The families' schemas do not depend on the transport; this one is never used to send.
        let http = HTTPAdapters(transport: HTTPTransport(), tokenStore: InMemoryTokenStore())
        var registry = SchemaRegistry(families: families(http: http, extra: extra))
        registry.register(section: "language", validate: LanguageSection.diagnostics)
        return registry
    }

    /// A loader that knows every type of this build (and `extra`'s).
    public static func loader(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String] = [],
        strict: Bool = false,
        extra: [AdapterFamily] = []
    ) -> ConfigurationLoader {
        ConfigurationLoader(
            registry: registry(extra: extra),
            environment: environment,
            overrides: overrides,
            strict: strict
        )
    }

    /// Builds the runtime for `configuration`: every configured and embedded service registered, nothing
    /// connected yet. Prefer ``withRuntime(configuration:dataDirectory:logger:environment:extra:_:)``; a server
    /// runs the runtime as a `Service` in its `ServiceGroup` instead, and makes calls while ``run()`` runs.
    ///
    /// - Throws: ``IntegrationError`` `invalidConfiguration` when a configured service cannot be built.
    public init(
        configuration: Configuration,
        dataDirectory: String,
        logger: Logger = Logger(label: "switchboard", factory: { _ in SwiftLogNoOpLogHandler() }),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        extra: [AdapterFamily] = []
    ) throws {
        let manager = IntegrationManager(logger: logger)
        // Nothing opens a connection before its first call: a database-only run builds no HTTP client.
        let http = HTTPAdapters(
            transport: HTTPTransport(logger: logger),
            tokenStore: LazyFileTokenStore(dataDirectory: dataDirectory, environment: environment)
        )
        statuses = try manager.bootstrap(
            configuration: configuration,
            families: Self.families(http: http, extra: extra),
            environment: AdapterEnvironment(dataDirectory: dataDirectory, logger: logger)
        )
        self.manager = manager
        self.configuration = configuration
        self.http = http
        self.dataDirectory = dataDirectory
    }

    /// Builds the runtime for `configuration`, runs `body` with it, and shuts it down (adapters, then the
    /// transport) however `body` ends.
    ///
    /// - Parameters:
    ///   - configuration: A loaded configuration (``loader(environment:overrides:strict:extra:)``).
    ///   - dataDirectory: Where embedded services and tokens live.
    ///   - logger: The background logger.
    ///   - environment: For well-known fallbacks and the token store's key.
    ///   - extra: More families (the CLI's example `text` service).
    public static func withRuntime<Result: Sendable>(
        configuration: Configuration,
        dataDirectory: String,
        logger: Logger = Logger(label: "switchboard", factory: { _ in SwiftLogNoOpLogHandler() }),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        extra: [AdapterFamily] = [],
        _ body: (SwitchboardRuntime) async throws -> Result
    ) async throws -> Result {
        let runtime = try SwitchboardRuntime(
            configuration: configuration,
            dataDirectory: dataDirectory,
            logger: logger,
            environment: environment,
            extra: extra
        )
        let result: Result
        do {
            result = try await runtime.manager.withBackgroundWork { try await body(runtime) }
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
        return result
    }

    /// Shuts the adapters down, then the transport. Safe to call more than once.
    func shutdown() async {
        try? await manager.shutdown()
        try? await http.transport.shutdown()
    }
}

extension SwitchboardRuntime: Service {
    /// Runs the adapters' background work (the PostgreSQL pool's run loop) until the service group shuts down
    /// gracefully or the task is cancelled, then shuts the runtime down: the runtime's life as one `Service`
    /// of `switchboard serve`'s `ServiceGroup`.
    public func run() async throws {
        do {
            try await manager.withBackgroundWork {
                try await gracefulShutdown()
            }
        } catch is CancellationError {
            // Cancelled rather than shut down gracefully: the same clean shutdown follows.
        }
        await shutdown()
    }
}
