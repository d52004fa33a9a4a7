import Foundation
import SwitchboardCore
import Synchronization

/// A value bound to a statement parameter.
enum BindValue: Sendable, Equatable {
    case null
    case int(Int)
    case double(Double)
    case bool(Bool)
    case text(String)
    case bytes([UInt8])
}

/// What a statement returned: rows as JSON objects (columns in order), and the rows it affected.
struct StatementResult: Sendable {
    var columns: [String] = []
    var rows: [JSONValue] = []
    var affected: Int

    init(columns: [String] = [], rows: [JSONValue] = [], affected: Int) {
        self.columns = columns
        self.rows = rows
        self.affected = affected
    }
}

/// A column of a table, as the catalog describes it.
struct ColumnInfo: Sendable {
    /// What a declared type means for converting JSON values, decided once per column.
    enum Kind: Sendable {
        case array, bytes, json, boolean, integer, numeric, floating, uuid, dateTime, timeOfDay, text, other
    }

    var name: String
    /// The declared type, lower case (`integer`, `bytea`, `jsonb`, `timestamp with time zone`, `blob`, ...).
    var type: String
    /// The kind of the declared type.
    let kind: Kind

    init(name: String, type: String) {
        self.name = name
        self.type = type
        kind = Self.kind(of: type)
    }

    static func kind(of type: String) -> Kind {
        if type.hasSuffix("[]") || type == "array" { return .array }
        if type.contains("bytea") || type.contains("blob") { return .bytes }
        if type.contains("json") { return .json }
        if type.contains("bool") { return .boolean }
        if type.contains("int") || type == "serial" || type == "bigserial" { return .integer }
        if type.contains("numeric") || type.contains("decimal") { return .numeric }
        if type.contains("double") || type.contains("real") || type.contains("float") { return .floating }
        if type == "uuid" { return .uuid }
        if type == "date" || type.hasPrefix("timestamp") { return .dateTime }
        if type.hasPrefix("time") { return .timeOfDay }
        if type.contains("char") || type.contains("text") || type.contains("clob") { return .text }
        return .other
    }
}

/// The SQL dialect differences the adapter cares about.
enum SQLDialect: Sendable {
    case postgres
    case sqlite

    /// The placeholder for parameter `n` (from 1).
    func placeholder(_ n: Int) -> String {
        switch self {
        case .postgres: return "$\(n)"
        case .sqlite: return "?\(n)"
        }
    }
}

/// One database engine: runs statements, transactions, and reads the catalog.
protocol SQLEngine: Sendable {
    var dialect: SQLDialect { get }
    /// Whether the engine keeps a pool of connections that queues waiting statements.
    var pooled: Bool { get }
    /// Runs one statement.
    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T
    /// The columns of `table`, or `nil` when the table does not exist.
    func columns(of table: TableName) async throws -> [ColumnInfo]?
    /// The declared types of a read's result columns, for an engine whose rows do not carry them (SQLite keeps
    /// booleans as 0/1); `nil` when the rows are typed already or the statement cannot say.
    func resultColumns(of sql: String) async -> [ColumnInfo]?
    /// Forgets what ``resultColumns(of:)`` learnt, after a statement that may have changed the schema.
    func schemaMayHaveChanged()
    /// The engine's background loop (a pool's), until its task is cancelled or ``shutdown()``.
    func runLoop() async
    /// Closes connections.
    func shutdown() async
}

extension SQLEngine {
    /// Default: no background loop.
    func runLoop() async {}
    /// Default: the rows carry their types.
    func resultColumns(of sql: String) async -> [ColumnInfo]? { nil }
    /// Default: nothing learnt.
    func schemaMayHaveChanged() {}
}

/// Statements inside a transaction.
protocol SQLSession: Sendable {
    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult
}

/// A validated table name: `table` or `schema.table`, each part a plain identifier.
struct TableName: Sendable, Hashable, CustomStringConvertible {
    let schema: String?
    let name: String

    init(_ text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(Identifier.isPlain) else {
            throw IntegrationError.invalidInput(
                "table \(Identifier.shown(text)) is not a plain identifier (letters, digits, _) or schema.table"
            )
        }
        schema = parts.count == 2 ? parts[0] : nil
        name = parts.last!
    }

    var quoted: String { (schema.map { Identifier.quote($0) + "." } ?? "") + Identifier.quote(name) }
    var description: String { (schema.map { $0 + "." } ?? "") + name }
}

enum Identifier {
    static func isPlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 63 else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    static func column(_ text: String) throws -> String {
        guard isPlain(text) else {
            throw IntegrationError.invalidInput("column \(shown(text)) is not a plain identifier (letters, digits, _)")
        }
        return quote(text)
    }

    static func quote(_ text: String) -> String { "\"" + text + "\"" }

    /// A name as shown in a message: quoted, shortened, control characters escaped.
    static func shown(_ text: String) -> String {
        let short = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return "'"
            + short.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
            + "'"
    }
}

/// The rows of one statement, for both engines: decoded as they arrive and kept up to a limit; past it, either the
/// stream is stopped (`abandons`, for a read that will be refused) or the rest are only counted (a write, whose
/// rows are reported cut). Memory holds at most `limit + 1` rows, whatever the statement returns.
final class BoundedRows: Sendable {
    struct LimitReached: Error {}
    private let state = Mutex<(rows: [JSONValue], seen: Int)>(([], 0))
    private let limit: Int
    private let abandons: Bool

    init(limit: Int, abandons: Bool) {
        self.limit = limit
        self.abandons = abandons
    }

    /// Counts one row, and keeps the one `decode` makes while under the limit (no decoding past it).
    /// - Throws: ``LimitReached`` past the limit when the stream is to be abandoned.
    func take(_ decode: () -> JSONValue) throws {
        let keep = state.withLock { state -> Bool in
            state.seen += 1
            return state.rows.count <= limit
        }
        if keep {
            let row = decode()
            state.withLock { $0.rows.append(row) }
        }
        if abandons && seen > limit { throw LimitReached() }
    }

    /// The rows kept: at most one more than the limit, so the caller can tell the result was cut.
    var rows: [JSONValue] { state.withLock { $0.rows } }
    /// Every row the statement returned (or, when abandoned, up to the stop).
    var seen: Int { state.withLock { $0.seen } }
    /// Whether the stream was stopped at the limit.
    var abandoned: Bool { abandons && seen > limit }
}
