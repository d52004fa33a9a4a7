import Foundation
import Logging
import NIOCore
import SQLiteNIO
import SwitchboardCore
import Synchronization

/// SQLite through sqlite-nio (SQLite bundled, so nothing to install): one connection in WAL mode; statements are
/// serialized through it, as SQLite serializes writers anyway.
final class SQLiteEngine: SQLEngine {
    let dialect = SQLDialect.sqlite
    let pooled = false
    private let connection: SQLiteConnection
    /// One statement at a time on the single connection, in FIFO order; a cancelled waiter leaves the queue.
    private let gate = Bulkhead(maximum: 1)
    let path: String
    /// Rows kept from one statement; one more than the adapter's `max_rows`, so it can tell.
    let maximumRows: Int
    /// The declared result columns of reads seen before, by statement text.
    private let resultTypes = Mutex<[String: [ColumnInfo]]>([:])

    static func open(path: String, busyTimeout: Int = 5000, maximumRows: Int = 10_001) async throws -> SQLiteEngine {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileIO.ensureDirectory(directory) }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "cannot open the SQLite database \(path): \(error)"
            )
        }
        _ = try await connection.query("PRAGMA journal_mode=WAL", [])
        _ = try await connection.query("PRAGMA busy_timeout=\(busyTimeout)", [])
        _ = try await connection.query("PRAGMA foreign_keys=ON", [])
        chmod(path, 0o600)
        return SQLiteEngine(connection: connection, path: path, maximumRows: maximumRows)
    }

    private init(connection: SQLiteConnection, path: String, maximumRows: Int) {
        self.connection = connection
        self.path = path
        self.maximumRows = maximumRows
    }

    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
        try await serialized { try await self.runUnlocked(sql, binds) }
    }

    fileprivate func runUnlocked(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
        do {
            // Rows are decoded as SQLite steps through them; past `maximumRows` they are counted, not kept, so a
            // huge result never sits in memory whole.
            let collected = BoundedRows(limit: maximumRows, abandons: false)
            let columns = Mutex<[String]>([])
            let reads = DatabaseIntegration.isReadOnly(sql)
            // changes() keeps the count of the last write, whichever statement made it: compare total_changes()
            // before and after to know whether this statement changed anything.
            let before = reads ? 0 : try await totalChanges()
            // SQLite's row callback cannot stop the statement: rows past the limit are counted, not decoded.
            try await connection.query(sql, binds.map(Self.data)) { row in
                if collected.seen == 0 { columns.withLock { $0 = row.columns.map(\.name) } }
                try? collected.take {
                    var object: [String: JSONValue] = [:]
                    for column in row.columns { object[column.name] = SQLiteEngine.json(column.data) }
                    return .object(object)
                }
            }
            var result = StatementResult(affected: 0)
            let (rows, seen) = (collected.rows, collected.seen)
            result.columns = columns.withLock { $0 }
            result.rows = rows
            if seen > 0 || reads {
                result.affected = seen
            } else {
                let changes = try await connection.query("SELECT changes() AS n, total_changes() AS t", [])
                let total = changes.first?.column("t")?.integer ?? before
                result.affected = total == before ? 0 : changes.first?.column("n")?.integer ?? 0
            }
            return result
        } catch let error as SQLiteError {
            throw Self.map(error)
        }
    }

    /// Runs `body` alone on the connection.
    private func serialized<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await gate.acquire()
        defer { gate.release() }
        return try await body()
    }

    /// The declared types of a read's result columns. SQLite tells them for a view, so the read becomes a
    /// temporary view for a moment (its placeholders as NULL), whose table_info is read and which is dropped.
    /// Learnt once per statement text; a statement SQLite cannot make a view of (PRAGMA, EXPLAIN) gives none.
    func resultColumns(of sql: String) async -> [ColumnInfo]? {
        if let known = resultTypes.withLock({ $0[sql] }) { return known.isEmpty ? nil : known }
        let view = Identifier.quote("switchboard_result_" + UUID().uuidString.replacingOccurrences(of: "-", with: ""))
        var statement = ParameterList.nullingPlaceholders(in: sql)
        while let last = statement.last, last == ";" || last.isWhitespace { statement.removeLast() }
        let columns: [ColumnInfo] =
            (try? await serialized { () -> [ColumnInfo] in
                _ = try await self.runUnlocked("CREATE TEMP VIEW \(view) AS \(statement)", [])
                let info: StatementResult
                do {
                    info = try await self.runUnlocked("PRAGMA temp.table_info(\(view))", [])
                } catch {
                    _ = try? await self.runUnlocked("DROP VIEW temp.\(view)", [])
                    throw error
                }
                _ = try? await self.runUnlocked("DROP VIEW temp.\(view)", [])
                return info.rows.compactMap { row in
                    guard let name = row["name"]?.stringValue else { return nil }
                    return ColumnInfo(name: name, type: (row["type"]?.stringValue ?? "").lowercased())
                }
            }) ?? []
        resultTypes.withLock { known in
            if known.count >= 256 { known.removeAll() }
            known[sql] = columns
        }
        return columns.isEmpty ? nil : columns
    }

    func schemaMayHaveChanged() {
        resultTypes.withLock { $0.removeAll() }
    }

    private func totalChanges() async throws -> Int {
        try await connection.query("SELECT total_changes() AS t", []).first?.column("t")?.integer ?? 0
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await serialized {
            _ = try await self.runUnlocked("BEGIN IMMEDIATE", [])
            do {
                let value = try await body(Session(engine: self))
                _ = try await self.runUnlocked("COMMIT", [])
                return value
            } catch {
                _ = try? await self.runUnlocked("ROLLBACK", [])
                throw error
            }
        }
    }

    private struct Session: SQLSession {
        let engine: SQLiteEngine
        func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
            try await engine.runUnlocked(sql, binds)
        }
    }

    func columns(of table: TableName) async throws -> [ColumnInfo]? {
        let schema = table.schema.map { Identifier.quote($0) + "." } ?? ""
        let result = try await run("PRAGMA \(schema)table_info(\(Identifier.quote(table.name)))", [])
        return result.rows.compactMap { row in
            guard let name = row["name"]?.stringValue else { return nil }
            return ColumnInfo(name: name, type: (row["type"]?.stringValue ?? "").lowercased())
        }
    }

    func shutdown() async { try? await connection.close() }

    static func data(_ value: BindValue) -> SQLiteData {
        switch value {
        case .null: return .null
        case .int(let i): return .integer(i)
        case .double(let d): return .float(d)
        case .bool(let b): return .integer(b ? 1 : 0)
        case .text(let s): return .text(s)
        case .bytes(let b): return .blob(ByteBuffer(bytes: b))
        }
    }

    static func json(_ data: SQLiteData) -> JSONValue {
        switch data {
        case .integer(let i): return .int(i)
        case .float(let d): return .double(d)
        case .text(let s): return .string(s)
        case .blob(let buffer): return .string(Data(buffer.readableBytesView).base64EncodedString())
        case .null: return .null
        }
    }

    static func map(_ error: SQLiteError) -> IntegrationError {
        let text = error.message
        var code = IntegrationError.Code.serviceError
        if text.contains("UNIQUE constraint failed") || text.contains("PRIMARY KEY") { code = .conflict }
        if text.contains("no such table") { code = .notFound }
        var transience = Transience.never
        if text.contains("database is locked") || text.contains("busy") { transience = .always }
        return IntegrationError(code: code, message: "SQLite: \(text)", transience: transience)
    }
}
