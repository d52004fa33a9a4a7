import Foundation
import Logging
import PostgresNIO
import SwitchboardCore
import SwitchboardDatabase
import Synchronization

/// Rows per second: 50,000 single-row inserts through `IntegrationManager.execute("insert_record")` against raw
/// postgres-nio doing the same inserts (8 connections, 16 in flight), then SQLite inside one transaction.
/// Connection settings come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (`scripts/services up pg`).
func runDatabaseBenchmark() async throws {
    let environment = ProcessInfo.processInfo.environment
    let rows = Int(environment["BENCH_ROWS"] ?? "") ?? 50_000
    let inFlight = 16
    let connections = 8
    guard let port = environment["PGPORT"].flatMap(Int.init) else {
        fatalError("PGPORT is not set: run `eval \"$(scripts/services up pg)\"` first")
    }
    let directory = NSTemporaryDirectory() + "switchboard-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

    func timed(_ label: String, _ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        let rate = Double(rows) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print(String(format: "  %-60@ %9.0f rows/s", label as NSString, rate))
        return rate
    }

    func spread(_ one: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await spreadCalls(count: rows, inFlight: inFlight, one)
    }

    let rounds = Int(environment["BENCH_ROUNDS"] ?? "") ?? 3
    print(
        "PostgreSQL at 127.0.0.1:\(port): \(rows) single-row inserts per run, \(connections) connections, \(inFlight) in flight, \(rounds) interleaved rounds"
    )
    // Raw postgres-nio.
    var configuration = PostgresClient.Configuration(
        host: environment["PGHOST"] ?? "127.0.0.1",
        port: port,
        username: environment["PGUSER"] ?? "switchboard",
        password: environment["PGPASSWORD"],
        database: environment["PGDATABASE"],
        tls: .disable
    )
    configuration.options.maximumConnections = connections
    let client = PostgresClient(configuration: configuration)
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    // Ours: the manager with the pipeline on, the postgresql adapter, max_connections 8; once with the default
    // 30 s deadline and once with none.
    func manager(_ name: String, _ extra: String) throws -> IntegrationManager {
        let file = directory + "/\(name).yaml"
        _ = FileManager.default.createFile(
            atPath: file,
            contents: Data(
                """
                db: {type: postgresql, tls: disable}
                integrations:
                  db: {max_connections: \(connections)\(extra)}
                """.utf8
            )
        )
        let manager = IntegrationManager()
        try manager.bootstrap(
            configuration: try ConfigurationLoader(
                registry: SchemaRegistry(families: [DatabaseAdapters.family]),
                environment: environment
            ).load(path: file),
            factories: DatabaseAdapters.factories,
            embedded: [],
            environment: AdapterEnvironment(dataDirectory: directory)
        )
        return manager
    }
    let withDeadline = try manager("pg", "")
    let noDeadline = try manager("pg0", ", deadline_s: 0")
    func ours(_ manager: IntegrationManager) async throws {
        try await spread { i in
            _ = try await manager.execute(
                service: "db",
                operation: "insert_record",
                input: [
                    "table": "bench_ours",
                    "data": ["name": .string("row-\(i)"), "n": .int(i), "payload": ["i": .int(i)]],
                ]
            )
        }
    }

    var raws: [Double] = [], deadlines: [Double] = [], plains: [Double] = []
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        _ = try await client.query("DROP TABLE IF EXISTS bench_raw, bench_ours", logger: logger)
        _ = try await client.query(
            "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, name text NOT NULL, n integer, payload jsonb)",
            logger: logger
        )
        _ = try await client.query(
            "CREATE TABLE bench_ours (id bigserial PRIMARY KEY, name text NOT NULL, n integer, payload jsonb)",
            logger: logger
        )
        // The pools' run loops run under each manager's background work for all rounds, as the runtime runs them.
        try await withDeadline.withBackgroundWork {
            try await noDeadline.withBackgroundWork {
                for round in 1...rounds {
                    print("round \(round)")
                    raws.append(
                        try await timed("raw postgres-nio (INSERT ... RETURNING *)") {
                            try await spread { i in
                                let name = "row-\(i)"
                                let payload = #"{"i":\#(i)}"#
                                let rows = try await client.query(
                                    "INSERT INTO bench_raw (name, n, payload) VALUES (\(name), \(i), \(payload)::jsonb) RETURNING *",
                                    logger: logger
                                )
                                for try await _ in rows {}
                            }
                        }
                    )
                    deadlines.append(
                        try await timed("IntegrationManager.execute(insert_record), 30 s deadline") {
                            try await ours(withDeadline)
                        }
                    )
                    plains.append(
                        try await timed("IntegrationManager.execute(insert_record), no deadline") {
                            try await ours(noDeadline)
                        }
                    )
                }
            }
        }
        group.cancelAll()
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print(
        String(
            format: "median raw %.0f rows/s; ours with deadline %.0f (%.3f of raw); ours without %.0f (%.3f of raw)",
            median(raws),
            median(deadlines),
            median(deadlines) / median(raws),
            median(plains),
            median(plains) / median(raws)
        )
    )
    try await withDeadline.shutdown()
    try await noDeadline.shutdown()

    // SQLite inside one transaction.
    let sqlite = IntegrationManager()
    try sqlite.register(DatabaseAdapters.sqlite(path: directory + "/bench.sqlite"), as: "lite")
    _ = try await sqlite.execute(
        service: "lite",
        operation: "execute_query",
        input: ["query": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER)"]
    )
    let statements: [JSONValue] = (0..<rows).map { i in
        ["query": "INSERT INTO t (name, n) VALUES (?1, ?2)", "params": [.string("row-\(i)"), .int(i)]]
    }
    print("SQLite, \(rows) rows inside one transaction")
    _ = try await timed("IntegrationManager.execute(insert_records), sqlite") {
        let records: [JSONValue] = (0..<rows).map { i in ["name": .string("bulk-\(i)"), "n": .int(i)] }
        _ = try await sqlite.execute(
            service: "lite",
            operation: "insert_records",
            input: ["table": "t", "rows": .array(records)]
        )
    }
    _ = try await timed("IntegrationManager.execute(transaction of single-row INSERTs), sqlite") {
        _ = try await sqlite.execute(
            service: "lite",
            operation: "transaction",
            input: ["statements": .array(statements)],
            options: .init(deadline: .seconds(600))
        )
    }
    try await sqlite.shutdown()
}

/// Runs `one(0) ..< one(count - 1)` on `inFlight` workers, each taking the next index as it finishes.
func spreadCalls(count: Int, inFlight: Int, _ one: @escaping @Sendable (Int) async throws -> Void) async throws {
    let next = Atomicish()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<inFlight {
            group.addTask {
                while true {
                    let i = next.take()
                    if i >= count { return }
                    try await one(i)
                }
            }
        }
        try await group.waitForAll()
    }
}

final class Atomicish: Sendable {
    private let value = Mutex(0)
    func take() -> Int {
        value.withLock { v in
            defer { v += 1 }; return v
        }
    }
}
