import Foundation
import Logging
import SwitchboardCore
import SwitchboardDatabase
import SwitchboardTesting
import Testing

/// One suite, run against the embedded SQLite and the real PostgreSQL (`scripts/services up pg`; the test
/// command exports PGHOST, PGPORT, ... and these tests fail without them).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }

    /// Runs `body` with the service `db` on this backend, configured as a user writes it.
    func withManager<Result>(_ body: (IntegrationManager, String) async throws -> Result) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        if self == .postgresql && environment["PGPORT"] == nil {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "PGPORT is not set: run the tests with scripts/test (it starts PostgreSQL)"
            )
        }
        return try await ServiceHarness.withServices(
            [DatabaseAdapters.family],
            yaml: { directory in
                switch self {
                case .sqlite: "db:\n  type: sqlite\n  path: \(directory)/test.sqlite\n  max_rows: 50\n"
                case .postgresql: "db:\n  type: postgresql\n  max_rows: 50\n  statement_timeout_ms: 5000\n"
                }
            },
            environment: environment,
            prefix: "db",
            body
        )
    }

    /// A table name unique to one test, so tests can run in parallel on one PostgreSQL database.
    static func table(_ prefix: String) -> String { prefix + "_" + UUID().uuidString.prefix(8).lowercased() }

    func createPeople(_ name: String, on manager: IntegrationManager) async throws {
        let ddl: String
        switch self {
        case .sqlite:
            ddl =
                "CREATE TABLE \(name) (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, age INTEGER, active BOOLEAN, meta JSON, photo BLOB, balance NUMERIC, born DATE)"
        case .postgresql:
            ddl =
                "CREATE TABLE \(name) (id serial PRIMARY KEY, email text UNIQUE NOT NULL, age integer, active boolean, meta jsonb, photo bytea, balance numeric(12,2), born date)"
        }
        _ = try await manager.execute(service: "db", operation: "execute_query", input: ["query": .string(ddl)])
    }
}

@Suite struct DatabaseConformanceTests {
    func call(_ manager: IntegrationManager, _ operation: String, _ input: JSONValue) async throws -> JSONValue {
        try await manager.execute(service: "db", operation: operation, input: input)
    }

    /// `execute_query` gives a row the same types `select_records` does, on SQLite too (which stores booleans as
    /// 0/1): booleans as true/false, JSON as JSON, with or without parameters, and after the schema changes.
    @Test(arguments: Backend.allCases)
    func executeQueryTypesRowsAsSelectRecordsDoes(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("typed")
            try await backend.createPeople(table, on: manager)
            _ = try await call(
                manager,
                "insert_record",
                [
                    "table": .string(table),
                    "data": ["email": "a@example.com", "age": 1, "active": true, "meta": ["k": 1]],
                ]
            )
            let selected = try await call(manager, "select_records", ["table": .string(table)])
            let plain = try await call(
                manager,
                "execute_query",
                ["query": .string("SELECT active, meta, age FROM \(table)")]
            )
            let row = plain["rows"]?.arrayValue?.first
            #expect(row?["active"] == true, "\(String(describing: row))")
            #expect(row?["active"] == selected["rows"]?.arrayValue?.first?["active"])
            #expect(row?["meta"] == ["k": 1])
            #expect(row?["age"] == 1, "an integer column stays an integer")
            let bound = try await call(
                manager,
                "execute_query",
                [
                    "query": .string("SELECT active AS on_call, age + 1 AS next FROM \(table) WHERE email = $1"),
                    "params": ["a@example.com"],
                ]
            )
            #expect(bound["rows"]?.arrayValue?.first?["on_call"] == true)
            #expect(bound["rows"]?.arrayValue?.first?["next"] == 2)
            // A column added later is typed too.
            _ = try await call(
                manager,
                "execute_query",
                ["query": .string("ALTER TABLE \(table) ADD COLUMN vip BOOLEAN")]
            )
            _ = try await call(
                manager,
                "execute_query",
                ["query": .string("UPDATE \(table) SET vip = $1"), "params": [false]]
            )
            let later = try await call(
                manager,
                "execute_query",
                ["query": .string("SELECT active, meta, age FROM \(table)")]
            )
            #expect(later["rows"]?.arrayValue?.first?["active"] == true)
            let vip = try await call(manager, "execute_query", ["query": .string("SELECT vip FROM \(table)")])
            #expect(vip["rows"]?.arrayValue?.first?["vip"] == false)
        }
    }

    @Test(arguments: Backend.allCases)
    func insertSelectUpdateDeleteKeepTypes(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            let inserted = try await call(
                manager,
                "insert_record",
                [
                    "table": .string(table),
                    "data": [
                        "email": "ann@example.com", "age": 41, "active": true, "meta": ["team": "blue", "n": [1, 2]],
                        "photo": "AAEC/w==", "balance": "1234.50", "born": "1985-03-04",
                    ],
                ]
            )
            #expect(inserted["email"] == "ann@example.com")
            #expect(inserted["age"] == 41)
            #expect(inserted["active"] == true)
            #expect(inserted["meta"] == ["team": "blue", "n": [1, 2]])
            #expect(inserted["photo"] == "AAEC/w==")
            #expect(inserted["born"] == "1985-03-04")
            #expect(inserted["balance"]?.stringValue?.hasPrefix("1234.5") == true)
            _ = try await call(
                manager,
                "insert_record",
                ["table": .string(table), "data": ["email": "bo@example.com", "age": 30]]
            )
            let selected = try await call(
                manager,
                "select_records",
                [
                    "table": .string(table), "where": ["active": true], "order_by": "-age", "limit": 10,
                ]
            )
            #expect(selected["row_count"] == 1)
            #expect(selected["rows"]?.arrayValue?.first?["email"] == "ann@example.com")
            let ordered = try await call(manager, "select_records", ["table": .string(table), "order_by": ["age"]])
            #expect(ordered["rows"]?.arrayValue?.compactMap { $0["age"]?.intValue } == [30, 41])
            let updated = try await call(
                manager,
                "update_record",
                [
                    "table": .string(table), "where": ["email": "bo@example.com"],
                    "data": ["age": 31, "active": false],
                ]
            )
            #expect(updated == ["row_count": 1])
            let inList = try await call(
                manager,
                "select_records",
                ["table": .string(table), "where": ["age": [31, 41]]]
            )
            #expect(inList["row_count"] == 2)
            let nulls = try await call(manager, "select_records", ["table": .string(table), "where": ["meta": nil]])
            #expect(nulls["row_count"] == 1)
            let deleted = try await call(
                manager,
                "delete_records",
                ["table": .string(table), "where": ["email": "bo@example.com"]]
            )
            #expect(deleted == ["row_count": 1])
            let all = try await call(manager, "delete_records", ["table": .string(table), "all": true])
            #expect(all == ["row_count": 1])
        }
    }

    @Test(arguments: Backend.allCases)
    func parametersArePositionalOrNamedAndAlwaysBound(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            _ = try await call(
                manager,
                "insert_record",
                ["table": .string(table), "data": ["email": .string("x'); DROP TABLE \(table); --"), "age": 7]]
            )
            let positional = try await call(
                manager,
                "execute_query",
                [
                    "query": .string("SELECT email, age FROM \(table) WHERE age = $1 AND email LIKE $2"),
                    "params": [7, "x%"],
                ]
            )
            #expect(positional["row_count"] == 1)
            #expect(positional["rows"]?.arrayValue?.first?["email"] == .string("x'); DROP TABLE \(table); --"))
            let named = try await call(
                manager,
                "execute_query",
                [
                    "query": .string("SELECT age FROM \(table) WHERE age = :age OR age = :age -- :not_a_param\n"),
                    "params": ["age": 7],
                ]
            )
            #expect(named["rows"] == [["age": 7]])
            let missing = await #expect(throws: IntegrationError.self) {
                try await call(
                    manager,
                    "execute_query",
                    ["query": .string("SELECT * FROM \(table) WHERE age = :age"), "params": ["agee": 1]]
                )
            }
            #expect(missing?.code == .invalidInput)
        }
    }

    @Test(arguments: Backend.allCases)
    func namesThatAreNotPlainIdentifiersAreRefused(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            for bad in ["\(table); DROP TABLE x", "\(table)\" --", "a.b.c", ""] {
                let error = await #expect(throws: IntegrationError.self) {
                    try await call(manager, "select_records", ["table": .string(bad)])
                }
                #expect(error?.code == .invalidInput)
            }
            let column = await #expect(throws: IntegrationError.self) {
                try await call(manager, "insert_record", ["table": .string(table), "data": ["email\" = 1; --": "x"]])
            }
            #expect(column?.message.contains("not a plain identifier") == true)
            let order = await #expect(throws: IntegrationError.self) {
                try await call(manager, "select_records", ["table": .string(table), "order_by": "age; DROP TABLE x"])
            }
            #expect(order?.code == .invalidInput)
        }
    }

    @Test(arguments: Backend.allCases)
    func badInputNamesWhatIsWrong(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            let wrongType = await #expect(throws: IntegrationError.self) {
                try await call(
                    manager,
                    "insert_record",
                    ["table": .string(table), "data": ["email": "a@b.c", "age": "old"]]
                )
            }
            #expect(wrongType?.message.contains("column age") == true)
            let noTable = await #expect(throws: IntegrationError.self) {
                try await call(manager, "select_records", ["table": "no_such_table"])
            }
            #expect(noTable?.message.contains("no_such_table") == true)
            let noColumn = await #expect(throws: IntegrationError.self) {
                try await call(manager, "select_records", ["table": .string(table), "where": ["agee": 1]])
            }
            #expect(noColumn?.message.contains("has no column agee") == true)
            let everything = await #expect(throws: IntegrationError.self) {
                try await call(manager, "delete_records", ["table": .string(table)])
            }
            #expect(everything?.message.contains("all") == true)
            let syntax = await #expect(throws: IntegrationError.self) {
                try await call(manager, "execute_query", ["query": "SELEKT 1"])
            }
            #expect(syntax?.message.contains("SELEKT") == true)
            _ = try await call(
                manager,
                "insert_record",
                ["table": .string(table), "data": ["email": "dup@example.com"]]
            )
            let duplicate = await #expect(throws: IntegrationError.self) {
                try await call(
                    manager,
                    "insert_record",
                    ["table": .string(table), "data": ["email": "dup@example.com"]]
                )
            }
            #expect(duplicate?.code == .conflict)
            #expect(duplicate?.attempts == 1, "a unique violation is not retried")
        }
    }

    @Test(arguments: Backend.allCases)
    func upsertAndTransactionsAreAllOrNothing(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            let first = try await call(
                manager,
                "upsert_record",
                ["table": .string(table), "data": ["email": "u@example.com", "age": 1], "conflict_columns": ["email"]]
            )
            let second = try await call(
                manager,
                "upsert_record",
                ["table": .string(table), "data": ["email": "u@example.com", "age": 2], "conflict_columns": ["email"]]
            )
            #expect(first["id"] == second["id"])
            #expect(second["age"] == 2)
            let placeholder = backend == .sqlite ? "?1" : "$1"
            let failed = await #expect(throws: IntegrationError.self) {
                try await call(
                    manager,
                    "transaction",
                    [
                        "statements": [
                            [
                                "query": .string("INSERT INTO \(table) (email) VALUES (\(placeholder))"),
                                "params": ["t1@example.com"],
                            ],
                            [
                                "query": .string("INSERT INTO \(table) (email) VALUES (\(placeholder))"),
                                "params": ["u@example.com"],
                            ],
                        ]
                    ]
                )
            }
            #expect(failed?.code == .conflict)
            let after = try await call(
                manager,
                "select_records",
                ["table": .string(table), "where": ["email": "t1@example.com"]]
            )
            #expect(after["row_count"] == 0, "the first insert was rolled back")
            let ok = try await call(
                manager,
                "transaction",
                [
                    "statements": [
                        [
                            "query": .string("INSERT INTO \(table) (email) VALUES (\(placeholder))"),
                            "params": ["t2@example.com"],
                        ],
                        ["query": .string("SELECT count(*) AS n FROM \(table)")],
                    ]
                ]
            )
            #expect(ok["results"]?.arrayValue?.last?["rows"]?.arrayValue?.first?["n"] == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func largeResultsHitTheRowLimit(backend: Backend) async throws {
        try await backend.withManager { manager, _ in
            let table = Backend.table("people")
            try await backend.createPeople(table, on: manager)
            let placeholder = backend == .sqlite ? "?1" : "$1"
            let statements: [JSONValue] = (0..<60).map { i in
                [
                    "query": .string("INSERT INTO \(table) (email) VALUES (\(placeholder))"),
                    "params": [.string("p\(i)@example.com")],
                ]
            }
            _ = try await call(manager, "transaction", ["statements": .array(statements)])
            let error = await #expect(throws: IntegrationError.self) {
                try await call(manager, "select_records", ["table": .string(table)])
            }
            #expect(error?.message.contains("max_rows") == true)
            let raw = await #expect(throws: IntegrationError.self) {
                try await call(manager, "execute_query", ["query": .string("SELECT * FROM \(table)")])
            }
            #expect(raw?.message.contains("max_rows") == true)
            let bulk = try await call(
                manager,
                "insert_records",
                [
                    "table": .string(table),
                    "rows": [["email": "b1@example.com", "age": 1], ["email": "b2@example.com"]],
                ]
            )
            #expect(bulk == ["row_count": 2])
            let limited = try await call(manager, "select_records", ["table": .string(table), "limit": 5])
            #expect(limited["row_count"] == 5)
        }
    }
}

@Suite struct PostgresFailureTests {
    @Test func aDeadServerFailsWithinTheDeadline() async throws {
        try await ServiceHarness.withServices(
            [DatabaseAdapters.family],
            yaml: { _ in
                "db: {type: postgresql, host: 127.0.0.1, port: 1, username: u, password: p, database: d, tls: disable}\nintegrations:\n  db: {deadline_s: 2, retry_attempts: 1}\n"
            },
            environment: [:]
        ) { manager, _ in
            let started = ContinuousClock.now
            let error = await #expect(throws: IntegrationError.self) {
                try await manager.execute(service: "db", operation: "execute_query", input: ["query": "SELECT 1"])
            }
            // Refused at once normally; on a loaded machine the 2 s deadline may come first. Either is clear.
            #expect(error?.code == .connectionFailed || error?.code == .deadlineExceeded)
            if error?.code == .connectionFailed {
                #expect(error?.message.contains("cannot connect to PostgreSQL at 127.0.0.1:1") == true)
            }
            // The 2 s deadline plus a wide margin for a loaded 2-core machine: the point is no hang.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func aWrongPasswordIsAClearError() async throws {
        guard let port = ProcessInfo.processInfo.environment["PGPORT"] else {
            Issue.record("PGPORT is not set: run the tests with scripts/test (it starts PostgreSQL)")
            return
        }
        try await ServiceHarness.withServices(
            [DatabaseAdapters.family],
            yaml: { _ in
                "db: {type: postgresql, host: 127.0.0.1, port: \(port), username: switchboard, password: wrong-pw-123, database: switchboard}\nintegrations:\n  db: {deadline_s: 20}\n"
            },
            environment: [:]
        ) { manager, _ in
            let error = await #expect(throws: IntegrationError.self) {
                try await manager.execute(service: "db", operation: "execute_query", input: ["query": "SELECT 1"])
            }
            #expect(error.map { String(describing: $0).contains("wrong-pw-123") } == false)
            #expect(error?.code == .unauthorized)
            #expect(error?.message.contains("28P01") == true, "\(String(describing: error))")
        }
    }

    /// The pool serves calls only while the manager's background work runs its loop: a call outside it is
    /// refused at once with what to do, instead of waiting forever for a pool that never starts.
    @Test func aPoolWithoutItsRunLoopIsAClearErrorNotAHang() async throws {
        let directory = TemporaryDirectory(prefix: "db")
        let file = directory.write("s.yaml", "db: {type: postgresql, host: 127.0.0.1, port: 1, tls: disable}\n")
        let manager = IntegrationManager()
        try manager.bootstrap(
            configuration: try ConfigurationLoader(
                registry: SchemaRegistry(families: [DatabaseAdapters.family]),
                environment: [:]
            ).load(path: file),
            families: [DatabaseAdapters.family],
            environment: AdapterEnvironment(dataDirectory: directory.path)
        )
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "db", operation: "execute_query", input: ["query": "SELECT 1"])
        }
        #expect(error?.code == .internalError)
        #expect(error?.hint?.contains("withBackgroundWork") == true)
        // Once the background work has ended, the pool has stopped for good: a later scope says so.
        try await manager.withBackgroundWork {}
        let stopped = await #expect(throws: IntegrationError.self) {
            try await manager.withBackgroundWork {
                try await manager.execute(service: "db", operation: "execute_query", input: ["query": "SELECT 1"])
            }
        }
        #expect(stopped?.message.contains("the PostgreSQL pool has stopped") == true, "\(String(describing: stopped))")
        try await manager.shutdown()
    }
}

@Suite struct SQLiteDeadlineTests {
    /// A write SQLite cannot abandon either does not start or finishes before the answer: the caller never hears
    /// `deadline_exceeded` about a write that then commits.
    @Test func aWriteIsNeverReportedLateAndThenCommitted() async throws {
        try await Backend.sqlite.withManager { manager, _ in
            let table = Backend.table("slow")
            _ = try await manager.execute(
                service: "db",
                operation: "execute_query",
                input: ["query": .string("CREATE TABLE \(table) (i INTEGER)")]
            )
            // Long enough (hundreds of milliseconds) to outlast a 20 ms deadline.
            let insert =
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) INSERT INTO \(table) SELECT i FROM n"
            let outcome = await Result(catching: {
                try await manager.execute(
                    service: "db",
                    operation: "execute_query",
                    input: ["query": .string(insert)],
                    options: .init(deadline: .milliseconds(20))
                )
            })
            let count = try await manager.execute(
                service: "db",
                operation: "execute_query",
                input: ["query": .string("SELECT count(*) AS n FROM \(table)")]
            )
            switch outcome {
            case .success(let output):
                #expect(output["row_count"] == 1_500_000)
                #expect(count["rows"]?.arrayValue?.first?["n"] == 1_500_000)
            case .failure(let error):
                #expect((error as? IntegrationError)?.code == .deadlineExceeded)
                #expect(
                    count["rows"]?.arrayValue?.first?["n"] == 0,
                    "a write reported as not done must not have happened"
                )
            }
            // A read is answered at the deadline.
            let read = await #expect(throws: IntegrationError.self) {
                try await manager.execute(
                    service: "db",
                    operation: "execute_query",
                    input: [
                        "query":
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) SELECT count(*) AS c FROM n"
                    ],
                    options: .init(deadline: .milliseconds(20))
                )
            }
            #expect(read?.code == .deadlineExceeded)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
