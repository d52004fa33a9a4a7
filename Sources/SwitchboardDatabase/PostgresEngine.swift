import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import SwitchboardCore
import Synchronization

/// PostgreSQL through postgres-nio's `PostgresClient`: a pool of `max_connections`, SCRAM password auth, optional
/// TLS, a statement timeout, and errors that carry the SQLSTATE and constraint.
final class PostgresEngine: SQLEngine {
    let dialect = SQLDialect.postgres
    let pooled = true
    private let client: PostgresClient
    private let loop = BackgroundLoop()
    private let logger: Logger
    private let settings: Settings
    private let verified = Mutex(false)

    /// How the connection uses TLS, as libpq's sslmode: `require` always verifies (system roots or `ca_file`);
    /// `prefer` encrypts when the server offers it; `disable` never.
    enum TLSMode: String, Sendable {
        case require, prefer, disable
    }

    struct Settings {
        var host = "127.0.0.1"
        var port = 5432
        var username = "postgres"
        var password: Secret?
        var database: String?
        var tls = TLSMode.prefer
        var caFile: String?
        var maximumConnections = 10
        var statementTimeout: Duration?
        var connectTimeout: Duration = .seconds(10)
        var applicationName = "switchboard"
        /// Rows kept from one statement; one more than the adapter's `max_rows`, so it can tell.
        var maximumRows = 10_001
    }

    init(settings: Settings, logger: Logger) throws {
        var tls: PostgresClient.Configuration.TLS = .disable
        if let configuration = Self.tlsConfiguration(settings) {
            tls = settings.tls == .require ? .require(configuration) : .prefer(configuration)
        }
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password?.reveal(),
            database: settings.database,
            tls: tls
        )
        configuration.options.maximumConnections = settings.maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = settings.connectTimeout
        var parameters = [("application_name", settings.applicationName)]
        if let timeout = settings.statementTimeout {
            let (seconds, attoseconds) = timeout.components
            parameters.append(("statement_timeout", String(seconds * 1000 + attoseconds / 1_000_000_000_000_000)))
        }
        configuration.options.additionalStartupParameters = parameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.settings = settings
    }

    /// The pool's run loop, run by the manager's background work (the runtime's service) until shutdown.
    func runLoop() async {
        let client = self.client
        await loop.run { await client.run() }
    }

    func shutdown() async {
        await loop.stop()
    }

    /// The TLS settings for `tls: require | prefer`, or `nil` for `disable`. As libpq's sslmode=prefer, `prefer`
    /// encrypts when the server offers TLS and, with no `ca_file`, has nothing to verify against; `require`
    /// always verifies (system roots or `ca_file`).
    static func tlsConfiguration(_ settings: Settings) -> TLSConfiguration? {
        guard settings.tls != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            configuration.trustRoots = .file(caFile)
        } else if settings.tls == .prefer {
            configuration.certificateVerification = .none
        }
        return configuration
    }

    /// Opens one direct connection before the pool's first use, so that refused credentials or an unreachable
    /// server are reported as such (the pool would keep retrying quietly until the call's deadline).
    private func verifyOnce() async throws {
        if loop.hasEnded {
            // A stopped pool never restarts: say so instead of postgres-nio's "pool shutdown".
            throw IntegrationError(
                code: .internalError,
                message:
                    "the PostgreSQL pool has stopped: the background work that ran it ended, and a pool does not restart",
                transience: .never,
                hint: "make every call inside one SwitchboardRuntime.withRuntime (or one withBackgroundWork)"
            )
        }
        if verified.withLock({ $0 }) { return }
        var tls: PostgresConnection.Configuration.TLS = .disable
        if let configuration = Self.tlsConfiguration(settings) {
            let context = try NIOSSLContext(configuration: configuration)
            tls = settings.tls == .require ? .require(context) : .prefer(context)
        }
        let configuration = PostgresConnection.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password?.reveal(),
            database: settings.database,
            tls: tls
        )
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
            verified.withLock { $0 = true }
        } catch {
            var mapped = Self.map(error)
            if mapped.code == .unauthorized {
                mapped.hint = "check username and password of the database service (or PGUSER / PGPASSWORD)"
            }
            if mapped.code == .connectionFailed {
                mapped.message = "cannot connect to PostgreSQL at \(settings.host):\(settings.port)"
                mapped.transience = .notSent
            }
            throw mapped
        }
    }

    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
        try await verifyOnce()
        do {
            return try await client.withConnection { connection in
                try await Self.run(
                    sql,
                    binds,
                    on: connection,
                    logger: self.logger,
                    rowLimit: self.settings.maximumRows,
                    abandonPastLimit: DatabaseIntegration.isReadOnly(sql)
                )
            }
        } catch let error as IntegrationError {
            throw error
        } catch {
            throw Self.map(error)
        }
    }

    static func run(
        _ sql: String,
        _ binds: [BindValue],
        on connection: PostgresConnection,
        logger: Logger,
        rowLimit: Int = Int.max - 1,
        abandonPastLimit: Bool = false
    ) async throws -> StatementResult {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .null: bindings.appendNull()
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .int(let i): bindings.append(LooseText(String(i)))
            case .double(let d):
                bindings.append(LooseText(d.isFinite ? "\(d)" : (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))))
            case .bool(let b): bindings.append(LooseText(b ? "true" : "false"))
            case .text(let s): bindings.append(LooseText(s))
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        // Rows are decoded as they arrive and kept up to `rowLimit`. Past it, a read is abandoned (it changed
        // nothing, and will be refused), so a huge result never sits in memory whole; a write runs to its end and
        // its rows past the limit are only counted.
        let collected = BoundedRows(limit: rowLimit, abandons: abandonPastLimit)
        do {
            let metadata = try await connection.query(query, logger: logger) { row in
                try collected.take {
                    var object: [String: JSONValue] = [:]
                    for cell in row { object[cell.columnName] = PostgresValues.json(cell) }
                    return .object(object)
                }
            }.get()
            let rows = collected.rows
            return StatementResult(rows: rows, affected: metadata.rows ?? collected.seen)
        } catch let error where error is BoundedRows.LimitReached || collected.abandoned {
            // Stopping the stream cancels the query; postgres-nio may answer with its own cancellation error.
            let rows = collected.rows
            return StatementResult(rows: rows, affected: rows.count)
        } catch {
            throw map(error)
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await verifyOnce()
        do {
            return try await client.withConnection { connection in
                _ = try await Self.run("BEGIN", [], on: connection, logger: self.logger)
                do {
                    let value = try await body(
                        Session(connection: connection, logger: self.logger, rowLimit: self.settings.maximumRows)
                    )
                    _ = try await Self.run("COMMIT", [], on: connection, logger: self.logger)
                    return value
                } catch {
                    _ = try? await Self.run("ROLLBACK", [], on: connection, logger: self.logger)
                    throw error
                }
            }
        } catch let error as IntegrationError {
            throw error
        } catch {
            throw Self.map(error)
        }
    }

    private struct Session: SQLSession, @unchecked Sendable {
        let connection: PostgresConnection
        let logger: Logger
        let rowLimit: Int
        func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
            try await PostgresEngine.run(sql, binds, on: connection, logger: logger, rowLimit: rowLimit)
        }
    }

    func columns(of table: TableName) async throws -> [ColumnInfo]? {
        let sql = """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """
        let result = try await run(sql, [.text(table.quoted)])
        return result.rows.compactMap { row in
            guard let name = row["name"]?.stringValue, let type = row["type"]?.stringValue else { return nil }
            return ColumnInfo(name: name, type: Self.normalize(type))
        }
    }

    /// `character varying(20)` → `character varying`, `integer[]` stays an array type.
    static func normalize(_ type: String) -> String {
        var type = type.lowercased()
        if let paren = type.firstIndex(of: "("), let close = type.firstIndex(of: ")") {
            type.removeSubrange(paren...close)
        }
        return type
    }

    static func map(_ error: any Error) -> IntegrationError {
        guard let error = error as? PSQLError else {
            if error is CancellationError { return IntegrationError(code: .cancelled, message: "cancelled") }
            return IntegrationError.connectionFailed("PostgreSQL: \(String(describing: error).prefix(200))")
        }
        if error.code == .server, let info = error.serverInfo {
            let state = info[.sqlState] ?? "?????"
            var message = "SQLSTATE \(state): \(info[.message] ?? "error")"
            if let detail = info[.detail] { message += " (\(detail))" }
            if let position = info[.position] { message += " at character \(position)" }
            if let constraint = info[.constraintName] { message += " [constraint \(constraint)]" }
            var code = IntegrationError.Code.serviceError
            var transience = Transience.never
            switch state {
            case "23505": code = .conflict
            case "42P01": code = .notFound
            case "40001", "40P01": transience = .always
            case "57014": code = .timeout
            case "28P01", "28000": code = .unauthorized
            case let s where s.hasPrefix("08"):
                code = .connectionFailed
                transience = .always
            case "57P01", "57P02", "57P03":
                code = .connectionFailed
                transience = .always
            default: break
            }
            if state.hasPrefix("22") || state == "42804" { code = .invalidInput }
            return IntegrationError(code: code, message: message, transience: transience)
        }
        switch error.code {
        case .connectionError, .sslUnsupported, .failedToAddSSLHandler:
            return IntegrationError.connectionFailed("PostgreSQL: cannot connect (\(error.code))", sent: false)
        case .serverClosedConnection, .uncleanShutdown:
            return IntegrationError.connectionFailed("PostgreSQL closed the connection", sent: true)
        case .queryCancelled:
            return IntegrationError(code: .cancelled, message: "query cancelled")
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return IntegrationError(code: .unauthorized, message: "PostgreSQL authentication failed (\(error.code))")
        default:
            return IntegrationError.connectionFailed("PostgreSQL: \(error.code)")
        }
    }
}

/// Text whose type the server infers from the statement, as for a literal in psql: `$1` compared with an integer
/// column is read as an integer, inserted into a `date` column as a date.
struct LooseText: PostgresNonThrowingEncodable, PostgresDynamicTypeEncodable {
    static var psqlType: PostgresDataType { PostgresDataType(0) }
    static var psqlFormat: PostgresFormat { .text }
    let text: String
    init(_ text: String) { self.text = text }
    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer,
        context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(text)
    }
}

/// Reads PostgreSQL cells into JSON with their types kept.
enum PostgresValues {
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func json(_ cell: PostgresCell) -> JSONValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: return .int(try cell.decode(Int.self))
            case .float4, .float8: return .double(try cell.decode(Double.self))
            case .bool: return .bool(try cell.decode(Bool.self))
            case .text, .varchar, .bpchar, .name: return .string(try cell.decode(String.self))
            case .bytea: return .string(Data(try cell.decode(ByteBuffer.self).readableBytesView).base64EncodedString())
            case .json, .jsonb:
                let text = try cell.decode(String.self)
                return (try? JSONValue.parse(text)) ?? .string(text)
            case .uuid: return .string(try cell.decode(UUID.self).uuidString.lowercased())
            case .numeric:
                if cell.format == .binary, let bytes = cell.bytes, let text = PostgresNumeric.text(bytes) {
                    return .string(text)
                }
                return .string(try cell.decode(String.self))
            case .date:
                let date = try cell.decode(Date.self)
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.timeZone = TimeZone(identifier: "UTC")
                f.dateFormat = "yyyy-MM-dd"
                return .string(f.string(from: date))
            case .timestamp:
                let text = iso(try cell.decode(Date.self))
                return .string(String(text.dropLast()))  // no zone: a timestamp without time zone
            case .timestamptz: return .string(iso(try cell.decode(Date.self)))
            case .int2Array, .int4Array, .int8Array: return .array(try cell.decode([Int].self).map { .int($0) })
            case .float4Array, .float8Array: return .array(try cell.decode([Double].self).map { .double($0) })
            case .boolArray: return .array(try cell.decode([Bool].self).map { .bool($0) })
            case .textArray, .varcharArray: return .array(try cell.decode([String].self).map { .string($0) })
            case .uuidArray: return .array(try cell.decode([UUID].self).map { .string($0.uuidString.lowercased()) })
            default:
                if cell.format == .text, let text = try? cell.decode(String.self) { return .string(text) }
                return .string(Data(cell.bytes!.readableBytesView).base64EncodedString())
            }
        } catch {
            return .string(Data(cell.bytes!.readableBytesView).base64EncodedString())
        }
    }
}
