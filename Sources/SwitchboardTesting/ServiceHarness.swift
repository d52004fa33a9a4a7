import Foundation
import SwitchboardCore

/// The conformance-suite harness every adapter family's tests use: the family's services configured in YAML as
/// a user writes them, loaded and validated against the family's own schemas only, bootstrapped into a fresh
/// manager, and called while the manager's background work (a connection pool's run loop) runs. However the
/// body ends, the manager shuts down and the scratch directory is removed.
///
/// ```swift
/// try await ServiceHarness.withServices([DatabaseAdapters.family], yaml: { dir in
///     "db:\n  type: sqlite\n  path: \(dir)/test.sqlite\n"
/// }) { manager, dir in
///     _ = try await manager.execute(service: "db", operation: "execute_query", input: ["query": "SELECT 1"])
/// }
/// ```
public enum ServiceHarness {
    /// Runs `body` with a manager holding the services `yaml(directory)` configures.
    ///
    /// - Parameters:
    ///   - families: The families whose schemas validate the file and whose factories build the services.
    ///   - yaml: The configuration file's text, given the scratch directory's path.
    ///   - environment: For `${VAR}` references and well-known fallbacks.
    ///   - embedded: Whether the families' embedded services are registered too.
    ///   - prefix: Names the scratch directory, for a test that leaves files behind to look at.
    ///   - body: The test, given the manager and the scratch directory's path.
    public static func withServices<Result>(
        _ families: [AdapterFamily],
        yaml: (String) -> String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        embedded: Bool = false,
        prefix: String = "conformance",
        _ body: (IntegrationManager, String) async throws -> Result
    ) async throws -> Result {
        let directory = TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        let file = directory.write("switchboard.yaml", yaml(directory.path))
        let configuration = try ConfigurationLoader(
            registry: SchemaRegistry(families: families),
            environment: environment
        ).load(path: file)
        let manager = IntegrationManager()
        let statuses = try manager.bootstrap(
            configuration: configuration,
            factories: families.flatMap(\.factories),
            embedded: embedded ? families.flatMap(\.embedded) : [],
            environment: AdapterEnvironment(dataDirectory: directory.path)
        )
        if let failed = statuses.first(where: { !$0.isAvailable }) {
            try? await manager.shutdown()
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "service \(failed.name) could not be built: \(failed.reason ?? "no reason given")"
            )
        }
        do {
            let result = try await manager.withBackgroundWork { try await body(manager, directory.path) }
            try await manager.shutdown()
            return result
        } catch {
            try? await manager.shutdown()
            throw error
        }
    }
}
