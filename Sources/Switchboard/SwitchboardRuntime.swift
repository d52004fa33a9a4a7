import Foundation
import Logging
import SwitchboardCore
import SwitchboardDatabase
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
            PlannedFamilies.calendar, StorageAdapters.family(transport: http.transport), PlannedFamilies.email,
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

    private init(
        configuration: Configuration,
        dataDirectory: String,
        logger: Logger,
        environment: [String: String],
        extra: [AdapterFamily]
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
            result = try await body(runtime)
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
        return result
    }

    private func shutdown() async {
        try? await manager.shutdown()
        try? await http.transport.shutdown()
    }
}
