import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import SwitchboardCore

/// PostgreSQL through postgres-nio's `PostgresClient`: a pool of `max_connections`, SCRAM password auth, optional
/// TLS, a statement timeout, and errors that carry the SQLSTATE and constraint.
final class PostgresEngine: SQLEngine {
    let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    struct Settings {
        var host = "127.0.0.1"
        var port = 5432
        var username = "postgres"
        var password: Secret?
        var database: String?
        var tls = "prefer"
        var caFile: String?
        var maximumConnections = 10
        var statementTimeoutMS: Int?
        var connectTimeoutMS = 10_000
        var applicationName = "switchboard"
    }

    init(settings: Settings, logger: Logger) throws {
        var tls: PostgresClient.Configuration.TLS = .disable
        if settings.tls != "disable" {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                configuration.trustRoots = .file(caFile)
            } else if settings.tls == "prefer" {
                // As libpq's sslmode=prefer: encrypt when the server offers TLS; with no ca_file there is nothing
                // to verify against. `require` always verifies (system roots or ca_file).
                configuration.certificateVerification = .none
            }
            tls = settings.tls == "require" ? .require(configuration) : .prefer(configuration)
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
        configuration.options.connectTimeout = .milliseconds(settings.connectTimeoutMS)
        var parameters = [("application_name", settings.applicationName)]
        if let timeout = settings.statementTimeoutMS { parameters.append(("statement_timeout", String(timeout))) }
        configuration.options.additionalStartupParameters = parameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // The pool needs its run loop; the server issue moves it into the process's ServiceGroup.
        runner = Task { await client.run() }
    }

    func shutdown() async {
        runner.cancel()
        _ = await runner.value
    }

    func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
        do {
            return try await client.withConnection { connection in
                try await Self.run(sql, binds, on: connection, logger: self.logger)
            }
        } catch let error as IntegrationError {
            throw error
        } catch {
            throw Self.map(error)
        }
    }

    static func run(_ sql: String, _ binds: [BindValue], on connection: PostgresConnection, logger: Logger) async throws -> StatementResult {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .null: bindings.appendNull()
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .int(let i): bindings.append(LooseText(String(i)))
            case .double(let d): bindings.append(LooseText(d.isFinite ? "\(d)" : (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))))
            case .bool(let b): bindings.append(LooseText(b ? "true" : "false"))
            case .text(let s): bindings.append(LooseText(s))
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        do {
            let result = try await connection.query(query, logger: logger).get()
            var output = StatementResult(affected: result.metadata.rows ?? result.rows.count)
            output.rows = result.rows.map { row in
                var object: [String: JSONValue] = [:]
                for cell in row { object[cell.columnName] = PostgresValues.json(cell) }
                return .object(object)
            }
            return output
        } catch {
            throw map(error)
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                _ = try await Self.run("BEGIN", [], on: connection, logger: self.logger)
                do {
                    let value = try await body(Session(connection: connection, logger: self.logger))
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
        func run(_ sql: String, _ binds: [BindValue]) async throws -> StatementResult {
            try await PostgresEngine.run(sql, binds, on: connection, logger: logger)
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
            case let s where s.hasPrefix("08"): code = .connectionFailed
                transience = .always
            case "57P01", "57P02", "57P03": code = .connectionFailed
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
    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
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
            case .numeric: return .string("\(try cell.decode(Decimal.self))")
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
