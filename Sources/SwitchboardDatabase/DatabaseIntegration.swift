import Foundation
import SwitchboardCore
import Synchronization

/// The database adapter (`type: postgresql` or `sqlite`): the seed's `DatabaseAdapter`, working.
///
/// Parameters are always bound, never spliced into SQL; table and column names are validated and quoted, so no
/// string a caller gives becomes SQL text except `execute_query`'s own query. Values keep their types both ways;
/// on writes each JSON value is converted to its column's type (looked up once per table and cached).
public struct DatabaseIntegration: Integration {
    public let kind: String
    let engine: any SQLEngine
    let maximumRows: Int
    /// Whether SQLite's ATTACH and DETACH are allowed (`allow_attach`); refused by default, since they open
    /// other database files.
    let allowsAttach: Bool
    private let catalog = ColumnCache()

    init(kind: String, engine: any SQLEngine, maximumRows: Int, allowsAttach: Bool = false) {
        self.kind = kind
        self.engine = engine
        self.maximumRows = maximumRows
        self.allowsAttach = allowsAttach
    }

    public func shutdown() async throws { await engine.shutdown() }

    /// A pooled engine's run loop (PostgreSQL's), run by the manager's background work.
    public func run() async { await engine.runLoop() }

    /// A pooled engine serves calls only while its run loop runs.
    public var needsBackgroundWork: Bool { engine.pooled }

    /// PostgreSQL's pool queues calls for its `max_connections` connections itself.
    public var poolsConnections: Bool { engine.pooled }

    /// SQLite runs in this process and a statement under way cannot be abandoned: the adapter keeps the deadline
    /// itself, so that a write either does not start (the deadline has passed) or finishes before the answer,
    /// never committing after the caller heard `deadline_exceeded`. Reads are answered at the deadline.
    public var enforcesDeadline: Bool { !engine.pooled }

    // MARK: Catalog

    /// The operations, each declared once with its handler.
    static let table: OperationTable<DatabaseIntegration> = {
        let value: JSONValue = ["type": ["object", "array", "string", "number", "integer", "boolean", "null"]]
        let row: JSONValue = ["type": "object"]
        let rows: JSONValue = [
            "type": "object",
            "properties": ["rows": ["type": "array", "items": row], "row_count": ["type": "integer"]],
        ]
        let count: JSONValue = ["type": "object", "properties": ["row_count": ["type": "integer"]]]
        let table: JSONValue = ["type": "string", "minLength": 1]
        let filter: JSONValue = ["type": "object"]
        return OperationTable([
            .init(
                OperationDescriptor(
                    name: "execute_query",
                    summary:
                        "Run one SQL statement with bound parameters ($1, $2 from an array, or :name from an object).",
                    inputSchema: [
                        "type": "object", "required": ["query"], "additionalProperties": false,
                        "properties": [
                            "query": ["type": "string", "minLength": 1],
                            "params": ["type": ["array", "object", "null"]],
                        ],
                    ],
                    outputSchema: rows,
                    idempotency: .decidedPerCall { input in Self.isReadOnly(input["query"]?.stringValue ?? "") }
                )
            ) { adapter, input, _ in try await adapter.executeQuery(input) },
            .init(
                OperationDescriptor(
                    name: "insert_record",
                    summary: "Insert one row and return it as stored.",
                    inputSchema: [
                        "type": "object", "required": ["table", "data"], "additionalProperties": false,
                        "properties": ["table": table, "data": ["type": "object"]],
                    ],
                    outputSchema: row,
                    idempotency: .nonIdempotent
                )
            ) { adapter, input, _ in try await adapter.insertRecord(input) },
            .init(
                OperationDescriptor(
                    name: "insert_records",
                    summary: "Insert many rows in one transaction (multi-row INSERTs); returns the row count.",
                    inputSchema: [
                        "type": "object", "required": ["table", "rows"], "additionalProperties": false,
                        "properties": ["table": table, "rows": ["type": "array", "items": ["type": "object"]]],
                    ],
                    outputSchema: count,
                    idempotency: .nonIdempotent
                )
            ) { adapter, input, _ in try await adapter.insertRecords(input) },
            .init(
                OperationDescriptor(
                    name: "update_record",
                    summary: "Update the rows matching `where` (all rows only with all: true); returns the row count.",
                    inputSchema: [
                        "type": "object", "required": ["table", "data"], "additionalProperties": false,
                        "properties": [
                            "table": table, "where": filter, "data": ["type": "object"], "all": ["type": "boolean"],
                        ],
                    ],
                    outputSchema: count,
                    idempotency: .idempotent
                )
            ) { adapter, input, _ in try await adapter.updateRecord(input) },
            .init(
                OperationDescriptor(
                    name: "select_records",
                    summary: "Read the rows matching `where`, ordered and limited.",
                    inputSchema: [
                        "type": "object", "required": ["table"], "additionalProperties": false,
                        "properties": [
                            "table": table, "where": filter, "order_by": ["type": ["string", "array"]],
                            "limit": ["type": "integer", "minimum": 0],
                        ],
                    ],
                    outputSchema: rows,
                    idempotency: .idempotent
                )
            ) { adapter, input, _ in try await adapter.selectRecords(input) },
            .init(
                OperationDescriptor(
                    name: "delete_records",
                    summary: "Delete the rows matching `where` (all rows only with all: true); returns the row count.",
                    inputSchema: [
                        "type": "object", "required": ["table"], "additionalProperties": false,
                        "properties": ["table": table, "where": filter, "all": ["type": "boolean"]],
                    ],
                    outputSchema: count,
                    idempotency: .idempotent
                )
            ) { adapter, input, _ in try await adapter.deleteRecords(input) },
            .init(
                OperationDescriptor(
                    name: "upsert_record",
                    summary: "Insert a row, or update the row that conflicts on `conflict_columns`; returns the row.",
                    inputSchema: [
                        "type": "object", "required": ["table", "data", "conflict_columns"],
                        "additionalProperties": false,
                        "properties": [
                            "table": table, "data": ["type": "object"],
                            "conflict_columns": ["type": "array", "items": ["type": "string"]],
                        ],
                    ],
                    outputSchema: row,
                    idempotency: .idempotent
                )
            ) { adapter, input, _ in try await adapter.upsertRecord(input) },
            .init(
                OperationDescriptor(
                    name: "transaction",
                    summary: "Run statements [{query, params}] all or nothing; returns each statement's result.",
                    inputSchema: [
                        "type": "object", "required": ["statements"], "additionalProperties": false,
                        "properties": [
                            "statements": [
                                "type": "array",
                                "items": [
                                    "type": "object", "required": ["query"],
                                    "properties": ["query": ["type": "string"], "params": value],
                                ],
                            ]
                        ],
                    ],
                    outputSchema: ["type": "object", "properties": ["results": ["type": "array", "items": rows]]],
                    idempotency: .nonIdempotent
                )
            ) { adapter, input, _ in try await adapter.transaction(input) },
        ])
    }()

    public var operations: [OperationDescriptor] { Self.table.descriptors }

    /// Whether `query` only reads (see ``SQLText/isReadOnly``): safe to retry, and refusable past `max_rows`.
    static func isReadOnly(_ query: String) -> Bool { SQLText(query).isReadOnly }

    // MARK: Operations

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        guard enforcesDeadline, let deadline = context.deadline else {
            return try await run(operation, input: input, context: context)
        }
        let expired: @Sendable () -> IntegrationError = {
            IntegrationError(
                code: .deadlineExceeded,
                message: "the deadline passed before \(context.service) answered",
                transience: .never
            )
        }
        if context.clock.now >= deadline { throw expired() }
        let reads =
            operation == "select_records"
            || (operation == "execute_query" && Self.isReadOnly(input["query"]?.stringValue ?? ""))
        guard reads else { return try await run(operation, input: input, context: context) }
        return try await withDeadline(deadline, clock: context.clock, timeoutError: expired) {
            try await self.run(operation, input: input, context: context)
        }
    }

    private func run(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        try await Self.table.run(operation, on: self, input: input, context: context)
    }

    private func executeQuery(_ input: JSONValue) async throws -> JSONValue {
        let query = input["query"]?.stringValue ?? ""
        let text = SQLText(query)
        try text.check(field: "query", insideTransaction: false, allowAttach: allowsAttach)
        let (sql, binds) = try ParameterList.bind(query: query, params: input["params"], dialect: engine.dialect)
        var result = try await engine.run(sql, binds)
        // A read past max_rows changed nothing and is refused; a write has happened and is reported.
        if text.isReadOnly { try checkRowLimit(result) }
        if !text.isReadOnly {
            engine.schemaMayHaveChanged()
        } else if !result.rows.isEmpty, let columns = await engine.resultColumns(of: sql) {
            // SQLite's rows carry no declared types: give booleans, JSON and numerics back as select_records does.
            let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            result.rows = result.rows.map { typed($0, columns: byName) }
        }
        return output(of: result)
    }

    private func insertRecord(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let data = input["data"]?.objectValue ?? [:]
        let columns = try await columnTypes(table)
        let (names, binds) = try assignments(data, columns: columns, table: table)
        let sql: String
        if names.isEmpty {
            sql = "INSERT INTO \(table.quoted) DEFAULT VALUES RETURNING *"
        } else {
            let placeholders = (1...names.count).map(engine.dialect.placeholder).joined(separator: ", ")
            sql =
                "INSERT INTO \(table.quoted) (\(names.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING *"
        }
        let result = try await engine.run(sql, binds)
        return typed(result.rows.first ?? [:], columns: columns)
    }

    private func insertRecords(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let records = (input["rows"]?.arrayValue ?? []).map { $0.objectValue ?? [:] }
        guard !records.isEmpty else { return ["row_count": 0] }
        let columns = try await columnTypes(table)
        let keys = records.reduce(into: Set<String>()) { $0.formUnion($1.keys) }.sorted()
        guard !keys.isEmpty else { throw IntegrationError.invalidInput("rows must set at least one column") }
        for key in keys where columns[key] == nil { throw unknownColumn(key, table: table, columns: columns) }
        let names = try keys.map(Identifier.column)
        // Chunks under both engines' limits on bound parameters (SQLite 32766, PostgreSQL 65535).
        let perChunk = max(1, 30_000 / keys.count)
        var statements: [(String, [BindValue])] = []
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + perChunk, records.count)]
            var binds: [BindValue] = []
            binds.reserveCapacity(chunk.count * keys.count)
            var tuples: [String] = []
            tuples.reserveCapacity(chunk.count)
            for record in chunk {
                var placeholders: [String] = []
                for key in keys {
                    binds.append(
                        try ValueConversion.bind(
                            record[key] ?? .null,
                            column: columns[key]!,
                            dialect: engine.dialect
                        )
                    )
                    placeholders.append(engine.dialect.placeholder(binds.count))
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            statements.append(
                (
                    "INSERT INTO \(table.quoted) (\(names.joined(separator: ", "))) VALUES "
                        + tuples.joined(separator: ", "), binds
                )
            )
            start += perChunk
        }
        let batch = statements
        let total = try await engine.transaction { session in
            var total = 0
            for (sql, binds) in batch { total += try await session.run(sql, binds).affected }
            return total
        }
        return ["row_count": .int(total)]
    }

    private func updateRecord(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let columns = try await columnTypes(table)
        let (names, binds) = try assignments(input["data"]?.objectValue ?? [:], columns: columns, table: table)
        guard !names.isEmpty else { throw IntegrationError.invalidInput("data must set at least one column") }
        let sets = names.enumerated().map { "\($1) = \(engine.dialect.placeholder($0 + 1))" }.joined(
            separator: ", "
        )
        let (clause, whereBinds) = try whereClause(
            input,
            columns: columns,
            table: table,
            offset: binds.count,
            verb: "update"
        )
        let result = try await engine.run("UPDATE \(table.quoted) SET \(sets)\(clause)", binds + whereBinds)
        return ["row_count": .int(result.affected)]
    }

    private func selectRecords(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let columns = try await columnTypes(table)
        let (clause, binds) = try whereClause(input, columns: columns, table: table, offset: 0, verb: nil)
        var sql = "SELECT * FROM \(table.quoted)\(clause)"
        sql += try orderBy(input["order_by"], columns: columns, table: table)
        let limit = input["limit"]?.intValue
        sql += " LIMIT \(min(limit ?? (maximumRows + 1), maximumRows + 1))"
        let result = try await engine.run(sql, binds)
        try checkRowLimit(result)
        let rows = result.rows.map { typed($0, columns: columns) }
        return ["rows": .array(rows), "row_count": .int(rows.count)]
    }

    private func deleteRecords(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let columns = try await columnTypes(table)
        let (clause, binds) = try whereClause(input, columns: columns, table: table, offset: 0, verb: "delete")
        let result = try await engine.run("DELETE FROM \(table.quoted)\(clause)", binds)
        return ["row_count": .int(result.affected)]
    }

    private func upsertRecord(_ input: JSONValue) async throws -> JSONValue {
        let table = try TableName(input["table"]?.stringValue ?? "")
        let columns = try await columnTypes(table)
        let data = input["data"]?.objectValue ?? [:]
        let conflict = try (input["conflict_columns"]?.arrayValue ?? []).map { value -> String in
            guard let name = value.stringValue else {
                throw IntegrationError.invalidInput("conflict_columns must be names")
            }
            guard columns[name] != nil else { throw unknownColumn(name, table: table, columns: columns) }
            return try Identifier.column(name)
        }
        guard !conflict.isEmpty else {
            throw IntegrationError.invalidInput("conflict_columns must name at least one column")
        }
        let (names, binds) = try assignments(data, columns: columns, table: table)
        guard !names.isEmpty else { throw IntegrationError.invalidInput("data must set at least one column") }
        let placeholders = (1...names.count).map(engine.dialect.placeholder).joined(separator: ", ")
        let updates = names.filter { !conflict.contains($0) }.map { "\($0) = excluded.\($0)" }
        let action =
            updates.isEmpty
            ? "DO UPDATE SET \(names[0]) = excluded.\(names[0])"
            : "DO UPDATE SET " + updates.joined(separator: ", ")
        let sql =
            "INSERT INTO \(table.quoted) (\(names.joined(separator: ", "))) VALUES (\(placeholders)) "
            + "ON CONFLICT (\(conflict.joined(separator: ", "))) \(action) RETURNING *"
        let result = try await engine.run(sql, binds)
        return typed(result.rows.first ?? [:], columns: columns)
    }

    private func transaction(_ input: JSONValue) async throws -> JSONValue {
        let statements = try (input["statements"]?.arrayValue ?? []).enumerated().map {
            index,
            statement -> (String, [BindValue]) in
            let query = statement["query"]?.stringValue ?? ""
            try SQLText(query).check(
                field: "statements[\(index)].query",
                insideTransaction: true,
                allowAttach: allowsAttach
            )
            return try ParameterList.bind(
                query: query,
                params: statement["params"],
                dialect: engine.dialect,
                field: "statements[\(index)].params"
            )
        }
        guard !statements.isEmpty else {
            throw IntegrationError.invalidInput("statements must hold at least one statement")
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let results = try await engine.transaction { session in
                    var results: [JSONValue] = []
                    for (sql, binds) in statements {
                        results.append(output(of: try await session.run(sql, binds)))
                    }
                    return results
                }
                return ["results": .array(results)]
            } catch let error as IntegrationError where error.sqlState == "40001" || error.sqlState == "40P01" {
                // Serialization failure or deadlock: the transaction was rolled back as a whole; run it again.
                if attempt >= 3 { throw error }
            }
        }
    }

    /// `{rows, row_count}` of one statement: `row_count` exact (rows affected, or returned); rows past `max_rows`
    /// cut, and then `truncated: true`.
    private func output(of result: StatementResult) -> JSONValue {
        guard result.rows.count > maximumRows else {
            return ["rows": .array(result.rows), "row_count": .int(result.affected)]
        }
        return [
            "rows": .array(Array(result.rows.prefix(maximumRows))), "row_count": .int(result.affected),
            "truncated": true,
        ]
    }

    private func checkRowLimit(_ result: StatementResult) throws {
        if result.rows.count > maximumRows {
            throw IntegrationError(
                code: .invalidInput,
                message: "the result has more than \(maximumRows) rows (max_rows); add a LIMIT or a narrower WHERE"
            )
        }
    }

    // MARK: Building statements

    private func columnTypes(_ table: TableName) async throws -> [String: ColumnInfo] {
        if let cached = catalog.get(table) { return cached }
        guard let list = try await engine.columns(of: table), !list.isEmpty else {
            throw IntegrationError(code: .notFound, message: "table \(table) does not exist", transience: .never)
        }
        let columns = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        catalog.set(table, columns)
        return columns
    }

    private func unknownColumn(_ name: String, table: TableName, columns: [String: ColumnInfo]) -> IntegrationError {
        guard Identifier.isPlain(name) else {
            return IntegrationError.invalidInput(
                "column \(Identifier.shown(name)) is not a plain identifier (letters, digits, _)"
            )
        }
        return IntegrationError.invalidInput(
            "table \(table) has no column \(name) (columns: \(columns.keys.sorted().joined(separator: ", ")))"
        )
    }

    private func assignments(_ data: [String: JSONValue], columns: [String: ColumnInfo], table: TableName) throws -> (
        [String], [BindValue]
    ) {
        var names: [String] = []
        var binds: [BindValue] = []
        for key in data.keys.sorted() {
            guard let column = columns[key] else { throw unknownColumn(key, table: table, columns: columns) }
            names.append(try Identifier.column(key))
            binds.append(try ValueConversion.bind(data[key]!, column: column, dialect: engine.dialect))
        }
        return (names, binds)
    }

    private func whereClause(
        _ input: JSONValue,
        columns: [String: ColumnInfo],
        table: TableName,
        offset: Int,
        verb: String?
    ) throws -> (String, [BindValue]) {
        let filter = input["where"]?.objectValue ?? [:]
        if filter.isEmpty {
            if let verb, input["all"]?.boolValue != true {
                throw IntegrationError.invalidInput(
                    "an empty where would \(verb) every row of \(table); pass \"all\": true to mean it"
                )
            }
            return ("", [])
        }
        var parts: [String] = []
        var binds: [BindValue] = []
        for key in filter.keys.sorted() {
            guard let column = columns[key] else { throw unknownColumn(key, table: table, columns: columns) }
            let name = try Identifier.column(key)
            switch filter[key]! {
            case .null:
                parts.append("\(name) IS NULL")
            case .array(let values):
                guard !values.isEmpty else {
                    parts.append("1 = 0")
                    continue
                }
                var placeholders: [String] = []
                for value in values {
                    binds.append(try ValueConversion.bind(value, column: column, dialect: engine.dialect))
                    placeholders.append(engine.dialect.placeholder(offset + binds.count))
                }
                parts.append("\(name) IN (\(placeholders.joined(separator: ", ")))")
            case let value:
                binds.append(try ValueConversion.bind(value, column: column, dialect: engine.dialect))
                parts.append("\(name) = \(engine.dialect.placeholder(offset + binds.count))")
            }
        }
        return (" WHERE " + parts.joined(separator: " AND "), binds)
    }

    private func orderBy(_ value: JSONValue?, columns: [String: ColumnInfo], table: TableName) throws -> String {
        let items: [JSONValue]
        switch value {
        case nil, .null?: return ""
        case .string?: items = [value!]
        case .array(let list)?: items = list
        default: throw IntegrationError.invalidInput("order_by must be a column name or a list of them")
        }
        let terms = try items.map { item -> String in
            guard var text = item.stringValue?.trimmingCharacters(in: .whitespaces) else {
                throw IntegrationError.invalidInput("order_by must be a column name or a list of them")
            }
            var direction = "ASC"
            if text.hasPrefix("-") {
                direction = "DESC"
                text.removeFirst()
            }
            let words = text.split(separator: " ").map(String.init)
            if words.count == 2, ["asc", "desc"].contains(words[1].lowercased()) {
                direction = words[1].uppercased()
                text = words[0]
            }
            guard columns[text] != nil else { throw unknownColumn(text, table: table, columns: columns) }
            return "\(try Identifier.column(text)) \(direction)"
        }
        return terms.isEmpty ? "" : " ORDER BY " + terms.joined(separator: ", ")
    }

    /// SQLite keeps booleans and JSON as integers and text: give them back their declared types.
    private func typed(_ row: JSONValue, columns: [String: ColumnInfo]) -> JSONValue {
        guard engine.dialect == .sqlite, case .object(var members) = row else { return row }
        for (name, value) in members {
            guard let kind = columns[name]?.kind else { continue }
            if kind == .boolean, case .int(let i) = value {
                members[name] = .bool(i != 0)
            } else if kind == .json, case .string(let text) = value, let json = try? JSONValue.parse(text) {
                members[name] = json
            } else if kind == .numeric {
                // Numeric values as text, as PostgreSQL gives them, to keep precision in JSON.
                switch value {
                case .int(let i): members[name] = .string(String(i))
                case .double(let d):
                    members[name] = .string(d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : "\(d)")
                default: break
                }
            }
        }
        return .object(members)
    }
}

/// Column types per table, looked up once.
final class ColumnCache: Sendable {
    private let tables = Mutex<[TableName: [String: ColumnInfo]]>([:])
    func get(_ table: TableName) -> [String: ColumnInfo]? { tables.withLock { $0[table] } }
    func set(_ table: TableName, _ columns: [String: ColumnInfo]) { tables.withLock { $0[table] = columns } }
}

extension IntegrationError {
    /// The SQLSTATE of a PostgreSQL error, read back from the `SQLSTATE xxxxx:` prefix `PostgresEngine.map` writes.
    var sqlState: String? {
        guard message.hasPrefix("SQLSTATE ") else { return nil }
        return String(message.dropFirst(9).prefix(5))
    }
}
