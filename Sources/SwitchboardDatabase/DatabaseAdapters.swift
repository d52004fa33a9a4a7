import Foundation
import Logging
import SwitchboardCore
import Synchronization

/// The database factories: `type: postgresql` and `type: sqlite`, and the embedded `database` service (SQLite in
/// the data directory).
///
/// ## Configuration keys
/// - postgresql: `host` (or `PGHOST`, default 127.0.0.1), `port` (`PGPORT`, 5432), `database` (`PGDATABASE`),
///   `username` (`PGUSER`), `password` (`PGPASSWORD`; secret), `tls` (`require`, `prefer` (default), `disable`),
///   `ca_file`, `statement_timeout_ms`, `connect_timeout_ms` (10000), `application_name`, `max_rows` (10000). The
///   pool holds at most the service's `max_connections`.
/// - sqlite: `path` (default `<data-dir>/database.sqlite`), `busy_timeout_ms` (5000), `max_rows`.
public enum DatabaseAdapters {
    /// The database family: `postgresql` (alias `postgres`) and `sqlite`, the embedded `database`; a block with
    /// `host` and `database` and no `type` is PostgreSQL (the seed's database_config.yaml says so).
    public static var family: AdapterFamily {
        AdapterFamily(name: "database", factories: factories, embedded: [embedded]) { _, block in
            block["host"] != nil && block["database"] != nil ? "postgresql" : nil
        }
    }

    /// The PostgreSQL schema.
    public static let postgresSchema = ServiceSchema(
        type: "postgresql",
        family: "database",
        keys: ServiceSchema.commonKeys + [
            .init("connect_timeout_ms", .integer, minimum: 1), .init("read_timeout_ms", .integer, minimum: 1),
            .init("timeout_ms", .integer, minimum: 1),
            .init("host"), .init("port", .integer, minimum: 1), .init("database"), .init("username"),
            .init("password", secret: true), .init("tls", .oneOf(["require", "prefer", "disable"])), .init("ca_file"),
            .init("statement_timeout_ms", .integer, minimum: 0), .init("application_name"),
            .init("max_rows", .integer, minimum: 1),
        ],
        aliases: ["postgres"]
    )

    /// The SQLite schema.
    public static let sqliteSchema = ServiceSchema(
        type: "sqlite",
        family: "database",
        keys: ServiceSchema.commonKeys + [
            .init("path"), .init("busy_timeout_ms", .integer, minimum: 0), .init("max_rows", .integer, minimum: 1),
            .init("allow_attach", .boolean),
        ]
    )

    /// Factories for both types.
    public static var factories: [AdapterFactory] {
        [
            AdapterFactory(schema: postgresSchema) { configuration, environment in
                var settings = PostgresEngine.Settings()
                settings.host = try configuration.string("host", fallback: ["PGHOST"]) ?? settings.host
                settings.port = try configuration.int("port", fallback: ["PGPORT"]) ?? settings.port
                settings.database = try configuration.string("database", fallback: ["PGDATABASE"])
                settings.username = try configuration.string("username", fallback: ["PGUSER"]) ?? settings.username
                settings.password = try configuration.secret("password", fallback: ["PGPASSWORD"])
                settings.tls =
                    PostgresEngine.TLSMode(rawValue: try configuration.string("tls")?.lowercased() ?? "prefer")
                    ?? .prefer
                settings.caFile = try configuration.string("ca_file")
                settings.statementTimeout = try configuration.int("statement_timeout_ms").map { .milliseconds($0) }
                settings.connectTimeout =
                    try configuration.int("connect_timeout_ms").map { .milliseconds($0) } ?? settings.connectTimeout
                settings.applicationName = try configuration.string("application_name") ?? settings.applicationName
                settings.maximumConnections = environment.policy.maxConnections
                let maximumRows = try configuration.int("max_rows") ?? 10_000
                settings.maximumRows = maximumRows + 1
                let engine = try PostgresEngine(settings: settings, logger: environment.logger)
                return DatabaseIntegration(kind: "postgresql", engine: engine, maximumRows: maximumRows)
            },
            AdapterFactory(schema: sqliteSchema) { configuration, environment in
                let path = try configuration.string("path") ?? environment.dataDirectory + "/database.sqlite"
                let maximumRows = try configuration.int("max_rows") ?? 10_000
                let engine = LazySQLiteEngine(
                    path: path,
                    busyTimeout: try configuration.int("busy_timeout_ms") ?? 5000,
                    maximumRows: maximumRows + 1
                )
                return DatabaseIntegration(
                    kind: "sqlite",
                    engine: engine,
                    maximumRows: maximumRows,
                    allowsAttach: try configuration.bool("allow_attach") ?? false
                )
            },
        ]
    }

    /// The embedded `database` service: SQLite at `<data-dir>/database.sqlite`, opened on first use.
    public static var embedded: EmbeddedService {
        EmbeddedService(name: "database", type: "sqlite") { environment in
            DatabaseIntegration(
                kind: "sqlite",
                engine: LazySQLiteEngine(path: environment.dataDirectory + "/database.sqlite", busyTimeout: 5000),
                maximumRows: 10_000
            )
        }
    }

    /// A SQLite database integration at `path` (tests, programmatic use).
    public static func sqlite(path: String, maximumRows: Int = 10_000) -> any Integration {
        DatabaseIntegration(
            kind: "sqlite",
            engine: LazySQLiteEngine(path: path, busyTimeout: 5000, maximumRows: maximumRows + 1),
            maximumRows: maximumRows
        )
    }
}

/// Opens the SQLite file on first use, so building the manager touches no file.
final class LazySQLiteEngine: SQLEngine {
    let dialect = SQLDialect.sqlite
    let pooled = false
    private let path: String
    private let busyTimeout: Int
    private let maximumRows: Int
    private let engine = Mutex<SQLiteEngine?>(nil)
    private let opening = Bulkhead(maximum: 1)

    init(path: String, busyTimeout: Int, maximumRows: Int = 10_001) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.maximumRows = maximumRows
    }

    private func open() async throws -> SQLiteEngine {
        if let engine = engine.withLock({ $0 }) { return engine }
        try await opening.acquire()
        defer { opening.release() }
        if let engine = self.engine.withLock({ $0 }) { return engine }
        let opened = try await SQLiteEngine.open(path: path, busyTimeout: busyTimeout, maximumRows: maximumRows)
        engine.withLock { $0 = opened }
        return opened
    }

    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult { try await open().run(sql, binds) }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await open().transaction(body)
    }
    func columns(of table: TableName) async throws -> [ColumnInfo]? { try await open().columns(of: table) }
    func resultColumns(of sql: String) async -> [ColumnInfo]? { try? await open().resultColumns(of: sql) }
    func schemaMayHaveChanged() { engine.withLock { $0 }?.schemaMayHaveChanged() }
    func shutdown() async { await engine.withLock { $0 }?.shutdown() }
}
