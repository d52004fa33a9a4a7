import Foundation
import SwitchboardTesting
import Testing

/// Database calls a careless user gets wrong (issue 11), on the embedded SQLite and the real PostgreSQL.
@Suite struct DatabaseHardeningCLITests {
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgresql
        var testDescription: String { rawValue }
    }

    /// A configuration for `db` with `max_rows: 5`, and the environment it needs.
    func setUp(_ engine: Engine, _ scratch: Scratch, extra: String = "") async throws -> ([String], [String: String]) {
        let environment = ProcessInfo.processInfo.environment
        switch engine {
        case .sqlite:
            scratch.write("db.yaml", "db:\n  type: sqlite\n  path: \(scratch.path)/db.sqlite\n  max_rows: 5\n" + extra)
            return (["--config", scratch.path + "/db.yaml", "--json"], [:])
        case .postgresql:
            let port = try #require(environment["PGPORT"], "run the tests with scripts/test (it starts PostgreSQL)")
            scratch.write(
                "db.yaml",
                """
                db:
                  type: postgresql
                  host: 127.0.0.1
                  port: \(port)
                  database: switchboard
                  username: switchboard
                  password: ${PGPASSWORD}
                  max_rows: 5

                """ + extra
            )
            return (["--config", scratch.path + "/db.yaml", "--json"], ["PGPASSWORD": environment["PGPASSWORD"] ?? ""])
        }
    }

    func query(_ sql: String, _ params: String? = nil) -> String {
        let quoted = String(
            data: try! JSONSerialization.data(withJSONObject: [sql], options: [.withoutEscapingSlashes]),
            encoding: .utf8
        )!.dropFirst().dropLast()
        return #"{"query": \#(quoted)"# + (params.map { #", "params": \#($0)"# } ?? "") + "}"
    }

    @Test(arguments: Engine.allCases) func placeholdersAndValuesMustMatch(_ engine: Engine) async throws {
        let scratch = Scratch()
        let (common, environment) = try await setUp(engine, scratch)
        let table = "people_" + UUID().uuidString.prefix(8).lowercased()
        func call(_ input: String, _ operation: String = "execute_query") async throws -> CLI.Result {
            try await CLI.call(["call", "db", operation, "--input", input] + common, environment: environment)
        }
        #expect(try await call(query("CREATE TABLE \(table) (id integer PRIMARY KEY, name text)")).status == 0)
        #expect(try await call(query("INSERT INTO \(table) (id, name) VALUES (1, 'Ann')")).status == 0)
        let missing = try await call(query("UPDATE \(table) SET name = $2 WHERE id = $1", "[1]"))
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("$2") && missing.stderr.contains("1 value"), "\(missing.stderr)")
        let extra = try await call(query("SELECT name FROM \(table) WHERE id = $1", "[1, 2]"))
        #expect(extra.status == 2 && extra.stderr.contains("params[1]"), "\(extra.stderr)")
        let none = try await call(query("SELECT name FROM \(table) WHERE id = $1"))
        #expect(none.status == 2 && none.stderr.contains("gives no values"), "\(none.stderr)")
        let named = try await call(query("SELECT name FROM \(table) WHERE id = :id AND name = :name", #"{"id": 1}"#))
        #expect(named.status == 2 && named.stderr.contains(":name"), "\(named.stderr)")
        let unused = try await call(query("SELECT name FROM \(table) WHERE id = :id", #"{"id": 1, "name": "x"}"#))
        #expect(unused.status == 2 && unused.stderr.contains("params.name"), "\(unused.stderr)")
        // A $1 in a string or comment is not a placeholder.
        let quotedDollar = try await call(query("SELECT '$1' AS a, name FROM \(table) WHERE id = $1 -- $2", "[1]"))
        #expect(quotedDollar.status == 0, "\(quotedDollar.stderr)")
        let after = try await call(query("SELECT name FROM \(table) WHERE id = 1"))
        #expect(after.stdout.contains(#""name":"Ann""#), "the name was never overwritten with NULL: \(after.stdout)")
    }

    @Test(arguments: Engine.allCases) func writesReportExactCountsAndCutRowsNeverARefusalAfterCommit(_ engine: Engine)
        async throws
    {
        let scratch = Scratch()
        let (common, environment) = try await setUp(engine, scratch)
        let table = "rows_" + UUID().uuidString.prefix(8).lowercased()
        func call(_ input: String, _ operation: String = "execute_query") async throws -> CLI.Result {
            try await CLI.call(["call", "db", operation, "--input", input] + common, environment: environment)
        }
        let series =
            engine == .sqlite
            ? "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2005) INSERT INTO \(table) (id, v) SELECT i, 0 FROM n"
            : "INSERT INTO \(table) (id, v) SELECT i, 0 FROM generate_series(1, 2005) AS i"
        #expect(try await call(query("CREATE TABLE \(table) (id integer PRIMARY KEY, v integer)")).status == 0)
        let filled = try await call(query(series))
        #expect(filled.status == 0, "\(filled.stderr)")
        #expect(filled.stdout.contains(#""row_count":2005"#), "\(filled.stdout)")
        // A write whose RETURNING exceeds max_rows: committed once, reported as such, rows cut.
        let returning = try await call(
            query("INSERT INTO \(table) (id, v) SELECT id + 10000, 1 FROM \(table) WHERE id <= 8 RETURNING id")
        )
        #expect(returning.status == 0, "\(returning.stderr)")
        #expect(
            returning.stdout.contains(#""row_count":8"#) && returning.stdout.contains(#""truncated":true"#),
            "\(returning.stdout)"
        )
        let count = try await call(query("SELECT count(*) AS n FROM \(table) WHERE v = 1"))
        #expect(count.stdout.contains(#""n":8"#), "inserted exactly once: \(count.stdout)")
        // Exact counts from update_record and delete_records over more rows than max_rows.
        let updated = try await call(#"{"table": "\#(table)", "data": {"v": 2}, "all": true}"#, "update_record")
        #expect(updated.stdout == #"{"row_count":2013}"# + "\n", "\(updated.stdout) \(updated.stderr)")
        // A transaction whose statement returns more than max_rows: exact count, rows cut, said so.
        let transaction = try await call(
            #"{"statements": [{"query": "UPDATE \#(table) SET v = 3 WHERE id > 2000 RETURNING id"}]}"#,
            "transaction"
        )
        #expect(transaction.status == 0, "\(transaction.stderr)")
        #expect(
            transaction.stdout.contains(#""row_count":13"#) && transaction.stdout.contains(#""truncated":true"#),
            "\(transaction.stdout)"
        )
        // A read past max_rows changed nothing and is refused.
        let read = try await call(query("SELECT id FROM \(table)"))
        #expect(read.status == 2 && read.stderr.contains("max_rows"), "\(read.status) \(read.stderr)")
        let deleted = try await call(#"{"table": "\#(table)", "where": {"v": 2}}"#, "delete_records")
        #expect(deleted.stdout == #"{"row_count":2000}"# + "\n", "\(deleted.stdout)")
    }

    @Test(arguments: Engine.allCases) func transactionControlAndSecondStatementsAreRefused(_ engine: Engine)
        async throws
    {
        let scratch = Scratch()
        let (common, environment) = try await setUp(engine, scratch)
        let table = "tx_" + UUID().uuidString.prefix(8).lowercased()
        func call(_ input: String, _ operation: String = "execute_query") async throws -> CLI.Result {
            try await CLI.call(["call", "db", operation, "--input", input] + common, environment: environment)
        }
        #expect(try await call(query("CREATE TABLE \(table) (id integer PRIMARY KEY)")).status == 0)
        for control in ["COMMIT", "BEGIN", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "end"] {
            let result = try await call(
                #"{"statements": [{"query": "INSERT INTO \#(table) VALUES (1)"}, {"query": "\#(control)"}, {"query": "INSERT INTO \#(table) VALUES (1)"}]}"#,
                "transaction"
            )
            #expect(result.status == 2, "\(control): \(result.stderr)")
            #expect(result.stderr.contains("statements[1].query"), "\(result.stderr)")
        }
        let begin = try await call(query("BEGIN"))
        #expect(begin.status == 2 && begin.stderr.contains("transaction operation"))
        let count = try await call(query("SELECT count(*) AS n FROM \(table)"))
        #expect(count.stdout.contains(#""n":0"#), "nothing was committed: \(count.stdout)")
        let two = try await call(query("SELECT 1; DROP TABLE \(table)"))
        #expect(two.status == 2 && two.stderr.contains("more than one statement"), "\(two.stderr)")
        #expect(try await call(query("SELECT 1 AS one; -- a comment only")).status == 0)
        #expect(try await call(query("SELECT ';' AS semicolon")).status == 0)
        #expect(try await call(query("SELECT count(*) AS n FROM \(table)")).status == 0, "the table is still there")
        if engine == .sqlite {
            let attach = try await call(query("ATTACH DATABASE '\(scratch.path)/other.sqlite' AS other"))
            #expect(attach.status == 2 && attach.stderr.contains("allow_attach"), "\(attach.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/other.sqlite"))
            let allowed = try await setUp(engine, scratch, extra: "  allow_attach: true\n")
            let permitted = try await CLI.call(
                [
                    "call", "db", "execute_query", "--input",
                    query("ATTACH DATABASE '\(scratch.path)/other.sqlite' AS other"),
                ] + allowed.0
            )
            #expect(permitted.status == 0, "\(permitted.stderr)")
        }
    }

    @Test func numericKeepsItsScale() async throws {
        let scratch = Scratch()
        let (common, environment) = try await setUp(.postgresql, scratch)
        let table = "money_" + UUID().uuidString.prefix(8).lowercased()
        func call(_ input: String, _ operation: String = "execute_query") async throws -> CLI.Result {
            try await CLI.call(["call", "db", operation, "--input", input] + common, environment: environment)
        }
        #expect(
            await try call(query("CREATE TABLE \(table) (id serial PRIMARY KEY, amount numeric(10,2), big numeric)"))
                .status
                == 0
        )
        let inserted = try await call(
            #"{"table": "\#(table)", "data": {"amount": "12.50", "big": "-123456789012345678901234567890.000100"}}"#,
            "insert_record"
        )
        #expect(inserted.stdout.contains(#""amount":"12.50""#), "\(inserted.stdout) \(inserted.stderr)")
        #expect(inserted.stdout.contains(#""big":"-123456789012345678901234567890.000100""#), "\(inserted.stdout)")
        let cast = try await call(
            query(
                "SELECT 3.10::numeric(5,2) AS a, 0.0005::numeric AS b, 10000::numeric AS c, 0::numeric(4,3) AS d, 'NaN'::numeric AS e"
            )
        )
        #expect(cast.stdout.contains(#"{"a":"3.10","b":"0.0005","c":"10000","d":"0.000","e":"NaN"}"#), "\(cast.stdout)")
    }
}
