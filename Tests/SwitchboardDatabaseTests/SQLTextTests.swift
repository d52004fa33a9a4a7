import Testing

@testable import SwitchboardDatabase

/// What the adapter reads from SQL a caller wrote: read-only or not (retries and max_rows depend on it), how
/// many statements, transaction control, and the positional placeholders.
@Suite struct SQLTextTests {
    @Test(arguments: [
        ("SELECT * FROM people", true),
        ("  select 1", true),
        ("WITH t AS (SELECT 1) SELECT * FROM t", true),
        ("VALUES (1), (2)", true),
        ("EXPLAIN SELECT 1", true),
        ("SHOW search_path", true),
        ("SELECT 'delete' AS word, \"update\" FROM t -- insert", true),
        ("WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", false),
        ("SELECT * INTO copy FROM t", false),
        ("EXPLAIN ANALYZE UPDATE t SET a = 1", false),
        ("SELECT nextval('s')", false),
        ("SELECT * FROM t FOR UPDATE", false),
        ("INSERT INTO t VALUES (1)", false),
        ("UPDATE t SET a = 1", false),
        ("DELETE FROM t", false),
        ("CREATE TABLE t (a int)", false),
        ("PRAGMA journal_mode = DELETE", false),
        ("SELECT 1; DELETE FROM t", false),
    ])
    func readOnly(_ sql: String, _ expected: Bool) {
        #expect(SQLText(sql).isReadOnly == expected, "\(sql)")
        #expect(DatabaseIntegration.isReadOnly(sql) == expected)
    }

    @Test func statementsAndTransactionControl() throws {
        #expect(SQLText("SELECT 1; DROP TABLE x").hasSeveralStatements)
        #expect(SQLText("SELECT 1; 'x'").hasSeveralStatements)
        #expect(!SQLText("SELECT 1;").hasSeveralStatements)
        #expect(!SQLText("SELECT 1; -- done").hasSeveralStatements)
        #expect(!SQLText("SELECT ';' AS a").hasSeveralStatements)
        #expect(!SQLText("SELECT $$a;b$$ AS a").hasSeveralStatements)
        for control in [
            "BEGIN", "commit", "END", "ROLLBACK TO s", "SAVEPOINT s", "RELEASE s", "START TRANSACTION", "ABORT",
        ] {
            #expect(SQLText(control).transactionControlKeyword != nil, "\(control)")
        }
        #expect(SQLText("PREPARE TRANSACTION 'x'").transactionControlKeyword == "prepare transaction")
        #expect(SQLText("PREPARE q AS SELECT 1").transactionControlKeyword == nil)
        #expect(throws: (any Error).self) {
            try SQLText("ATTACH 'x.db' AS x").check(field: "query", insideTransaction: false, allowAttach: false)
        }
        try SQLText("ATTACH 'x.db' AS x").check(field: "query", insideTransaction: false, allowAttach: true)
    }

    @Test func positionalPlaceholders() {
        #expect(ParameterList.positionalPlaceholders(in: "SELECT $1, $2, $1", dialect: .postgres) == [1, 2])
        #expect(ParameterList.positionalPlaceholders(in: "SELECT '$1' -- $2\n, $3", dialect: .postgres) == [3])
        #expect(ParameterList.positionalPlaceholders(in: "SELECT a$1 FROM t", dialect: .postgres).isEmpty)
        #expect(ParameterList.positionalPlaceholders(in: "SELECT data ? 'key' FROM t", dialect: .postgres).isEmpty)
        #expect(ParameterList.positionalPlaceholders(in: "SELECT ?, ?, ?5", dialect: .sqlite) == [1, 2, 5])
        #expect(ParameterList.positionalPlaceholders(in: "SELECT $fn$ $1 $fn$", dialect: .postgres).isEmpty)
    }
}
