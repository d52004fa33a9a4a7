import Foundation
import SwitchboardTesting
import Testing

/// Runs the built `switchboard` executable as a user would (through ``CLIRunner``), with a data directory of the
/// CLI tests' own unless the test gives one.
struct CLI {
    typealias Result = CLIRunner.Result

    static let binary = CLIRunner.binary
    static let dataDirectory = NSTemporaryDirectory() + "switchboard-cli-tests"

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try CLIRunner.run(
            arguments,
            stdin: stdin,
            environment: ["SWITCHBOARD_DATA_DIR": dataDirectory].merging(environment) { $1 }
        )
    }

    /// ``run(_:stdin:environment:)`` on a thread of its own, for async tests whose in-process server answers on
    /// Swift's cooperative pool: a blocking wait there could starve the server on a 2-core machine.
    static func call(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> Result
    {
        try await CLIRunner.call(
            arguments,
            stdin: stdin,
            environment: ["SWITCHBOARD_DATA_DIR": dataDirectory].merging(environment) { $1 }
        )
    }
}

extension CLI {
    /// ``runShell(_:_:environment:)`` on a thread of its own (see ``call(_:stdin:environment:)``).
    static func shell(_ script: String, _ arguments: [String], environment: [String: String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try runShell(script, arguments, environment: environment) })
            }
        }
    }
}

final class Scratch {
    let path = NSTemporaryDirectory() + "switchboard-cli-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(
            atPath: file,
            contents: Data(text.utf8),
            attributes: [.posixPermissions: mode]
        )
        return file
    }

    func read(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path + "/" + name) ?? Data(), as: UTF8.self)
    }
}

let seedFiles: [String: String] = [
    "google_calendar_config.yaml": """
    google_calendar:
      service_name: "google_calendar"
      base_url: "https://www.googleapis.com/calendar/v3"
      auth_type: "oauth2"
      client_id: "your_client_id"
      client_secret: "your_client_secret"
      redirect_uri: "http://localhost:8080/callback"
      scopes:
        - "https://www.googleapis.com/auth/calendar"
    """,
    "email_config.yaml": """
    email:
      service_name: "email"
      base_url: "https://api.emailservice.com/v1"
      auth_type: "api_key"
      api_key: "your_api_key"
    """,
    "database_config.yaml": """
    database:
      service_name: "database"
      type: "postgresql"
      host: "localhost"
      port: 5432
      database: "automation_db"
      username: "user"
      password: "password"
    """,
    "file_storage_config.yaml": """
    file_storage:
      service_name: "file_storage"
      type: "s3"
      bucket: "automation-files"
      region: "us-east-1"
      access_key: "your_access_key"
      secret_key: "your_secret_key"
    """,
    "integrations_config.yaml": """
    integrations:
      google_calendar:
        enabled: true
        max_rate_limit: 100  # requests per 100 seconds
        retry_attempts: 3

      email:
        enabled: true
        max_rate_limit: 50
        retry_attempts: 2

      database:
        enabled: true
        max_connections: 10
        retry_attempts: 3

      file_storage:
        enabled: true
        max_rate_limit: 200
        retry_attempts: 3
    """,
]

@Suite struct CLITests {
    @Test func callRunsTheEmbeddedExampleAdapter() async throws {
        let result = try await CLI.call([
            "call", "text", "stats", "--input", #"{"text": "Hello there. General Kenobi."}"#, "--json",
        ])
        #expect(result.status == 0)
        #expect(result.stdout == #"{"characters":28,"lines":1,"sentences":2,"words":4}"# + "\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func globalOptionsWorkBeforeOrAfterTheSubcommand() async throws {
        let scratch = Scratch()
        for (name, text) in seedFiles { scratch.write(name, text) }
        let before = try await CLI.call(["--config", scratch.path, "integrations", "list", "--json"])
        let after = try await CLI.call(["integrations", "list", "--json", "--config", scratch.path])
        #expect(before.status == 0 && after.status == 0)
        #expect(before.stdout == after.stdout)
        #expect(before.stdout.contains(#""name":"google_calendar""#))
        #expect(before.stdout.contains(#""state":"not available""#))
    }

    @Test func inputComesFromAFileOrStandardInput() async throws {
        let scratch = Scratch()
        let file = scratch.write("in.json", #"{"text": "Ship It Now", "to": "slug"}"#)
        let fromFile = try await CLI.call(["call", "text", "transform", "--input", "@" + file, "--json"])
        #expect(fromFile.stdout == #"{"text":"ship-it-now"}"# + "\n")
        let fromStdin = try await CLI.call(
            ["call", "text", "transform", "--input", "@-", "--json"],
            stdin: #"{"text": "a b", "to": "upper"}"#
        )
        #expect(fromStdin.stdout == #"{"text":"A B"}"# + "\n")
    }

    @Test(arguments: [
        (
            ["call", "nosuch", "op"],
            "no service named nosuch; known services: calendar, database, email, file_storage, text"
        ),
        (["call", "text", "nosuch"], "no operation named nosuch; text offers: stats, transform"),
        (["call", "text", "stats", "--input", "{not json"], "--input: input is not valid JSON"),
        (["call", "text", "stats", "--input", #"{"text": 5}"#], "input.text: expected string, found integer"),
        (["call", "text", "stats", "--deadline=0"], "--deadline must be a positive number"),
        (["frobnicate"], "Error: "),
        (["call"], "Missing expected argument"),
    ])
    func usageErrorsExitTwoWithOneLine(arguments: [String], expected: String) async throws {
        let result = try await CLI.call(arguments + ["--json"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty, "with --json, stdout stays empty on failure")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func placeholdersAndMisplacedKeysAreRefusedBeforeAnyCall() async throws {
        let scratch = Scratch()
        for (name, text) in seedFiles { scratch.write(name, text) }
        // The seed's e-mail API key is a placeholder: the service is not used, and the call says why.
        let result = try await CLI.call([
            "call", "email", "send_email", "--input", #"{"to": "a@example.com", "text": "x"}"#, "--config",
            scratch.path,
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("email.api_key: still holds a placeholder value"), "\(result.stderr)")
        // An SMTP server's keys written at the service's top level: the error says which block they belong in.
        let other = Scratch()
        let smtp = other.write("mail.yaml", "outgoing:\n  type: smtp\n  host: 127.0.0.1\n")
        let misplaced = try await CLI.call(["config", "check", "--config", smtp])
        #expect(misplaced.status == 2)
        #expect(
            misplaced.stderr.contains(
                "outgoing.host: unknown key host for a smtp service; it belongs inside the smtp: or imap: block"
            ),
            "\(misplaced.stderr)"
        )
        // The seed's database block still holds the placeholder password: it is never sent, and the call says so.
        let database = try await CLI.call([
            "call", "database", "execute_query", "--input", #"{"query": "SELECT 1"}"#, "--config", scratch.path,
        ])
        #expect(database.status == 2)
        #expect(database.stderr.contains("database.password: still holds a placeholder value"))
    }

    @Test func configCheckAcceptsTheSeedFilesAndWarnsAboutPlaceholders() async throws {
        let scratch = Scratch()
        for (name, text) in seedFiles { scratch.write(name, text, mode: 0o644) }
        let result = try await CLI.call(["config", "check", "--config", scratch.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Configuration is valid: 4 service(s)"))
        #expect(result.stderr.contains("google_calendar.client_id: value looks like a placeholder (your_client_id)"))
        #expect(result.stderr.contains("chmod 600 \(scratch.path)/email_config.yaml"))
        #expect(!result.stderr.contains("your_api_key"), "secret placeholders are not echoed")
        let strict = try await CLI.call(["config", "check", "--strict", "--config", scratch.path])
        #expect(strict.status == 2)
    }

    @Test(arguments: [
        ("bad.yaml", "database:\n  host: [oops\n", "malformed YAML"),
        ("empty.yaml", "", "file is empty"),
        ("type.yaml", "integrations:\n  database:\n    retry_attempts: lots\n", "expected an integer"),
        ("neg.yaml", "integrations:\n  database:\n    max_rate_limit: -1\n", "must be at least 1"),
        ("unknown.yaml", "integrations:\n  calendar_x:\n    enabled: true\n", "no service named calendar_x"),
    ])
    func configCheckRefusesBadFilesWithExitTwo(name: String, text: String, expected: String) async throws {
        let scratch = Scratch()
        let file = scratch.write(name, text)
        let result = try await CLI.call(["config", "check", "--config", file])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: \(file)"))
        #expect(result.stderr.contains(expected))
    }

    @Test func aBinaryOrHugeConfigurationIsRefused() async throws {
        let scratch = Scratch()
        let binary = scratch.path + "/bin.yaml"
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0, 1, 2, 3, 0xff]))
        let result = try await CLI.call(["config", "check", "--config", binary])
        #expect(result.status == 2 && result.stderr.contains("binary"))
        let huge = scratch.path + "/huge.yaml"
        _ = FileManager.default.createFile(atPath: huge, contents: Data(repeating: 0x23, count: 50 << 20))
        let big = try await CLI.call(["config", "check", "--config", huge])
        #expect(big.status == 2 && big.stderr.contains("refused"))
    }

    @Test func secretsEncryptDecryptAndRotate() async throws {
        let key = try await CLI.call(["secrets", "keygen"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.count == 44)
        let env = ["CONFIG_ENCRYPTION_KEY": key]
        let encrypted = try await CLI.call(["secrets", "encrypt"], stdin: "s3cret-value\n", environment: env)
        #expect(encrypted.status == 0)
        let token = try #require(encrypted.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("enc:v1:"))
        let decrypted = try await CLI.call(["secrets", "decrypt", token], environment: env)
        #expect(decrypted.stdout == "s3cret-value\n")
        let wrong = try await CLI.call(
            ["secrets", "decrypt", token],
            environment: [
                "CONFIG_ENCRYPTION_KEY": try await CLI.call(["secrets", "keygen"]).stdout.trimmingCharacters(
                    in: .whitespacesAndNewlines
                )
            ]
        )
        #expect(wrong.status == 2 && !wrong.stdout.contains("s3cret"))

        let scratch = Scratch()
        scratch.write("db.yaml", "# keep me\ndatabase:\n  type: postgresql\n  password: \(token)  # inline\n")
        let newKey = try await CLI.call(["secrets", "keygen"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rotated = try await CLI.call(
            ["secrets", "rotate", "--config", scratch.path],
            environment: ["CONFIG_ENCRYPTION_KEY": newKey, "CONFIG_ENCRYPTION_PREVIOUS_KEYS": key]
        )
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.split(separator: "\n").last == "rotated 1 value(s) in 1 file(s)")
        #expect(scratch.read("db.yaml").hasPrefix("# keep me\n"))
        #expect(scratch.read("db.yaml").contains("  # inline"))
        #expect(
            try await CLI.call(
                ["config", "check", "--config", scratch.path],
                environment: ["CONFIG_ENCRYPTION_KEY": newKey]
            )
            .status == 0
        )
        #expect(
            try await CLI.call(
                ["config", "check", "--config", scratch.path],
                environment: ["CONFIG_ENCRYPTION_KEY": key]
            )
            .status == 2
        )
    }

    @Test func helpTeachesAndExitsZero() async throws {
        let result = try await CLI.call(["call", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--idempotency-key"))
        #expect(result.stdout.contains("Examples:"))
    }
}

@Suite struct DatabaseCLITests {
    @Test func theEmbeddedDatabaseWorksWithNoConfiguration() async throws {
        let scratch = Scratch()
        let data = ["--data-dir", scratch.path + "/data"]
        let create = try await CLI.call(
            [
                "call", "database", "execute_query", "--input",
                #"{"query": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, done BOOLEAN)"}"#,
            ] + data
        )
        #expect(create.status == 0, "\(create.stderr)")
        let insert = try await CLI.call(
            [
                "call", "database", "insert_record", "--json", "--input",
                #"{"table": "notes", "data": {"body": "buy milk", "done": false}}"#,
            ] + data
        )
        #expect(insert.stdout == #"{"body":"buy milk","done":false,"id":1}"# + "\n")
        let select = try await CLI.call(
            [
                "call", "database", "select_records", "--json", "--input",
                #"{"table": "notes", "where": {"done": false}}"#,
            ] + data
        )
        #expect(select.stdout == #"{"row_count":1,"rows":[{"body":"buy milk","done":false,"id":1}]}"# + "\n")
        let injection = try await CLI.call(
            ["call", "database", "select_records", "--input", #"{"table": "notes; DROP TABLE notes"}"#] + data
        )
        #expect(injection.status == 2)
        #expect(injection.stderr.contains("not a plain identifier"))
        let missing = try await CLI.call(
            ["call", "database", "select_records", "--input", #"{"table": "nothing_here"}"#] + data
        )
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("table nothing_here does not exist"))
        let mode =
            (try FileManager.default.attributesOfItem(atPath: scratch.path + "/data/database.sqlite")[.posixPermissions]
            as? NSNumber)?.intValue
        #expect(mode == 0o600)
    }
}

@Suite struct PostgresCLITests {
    @Test func callReachesTheRealPostgreSQLWithTheSeedKeys() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = try #require(environment["PGPORT"], "run the tests with scripts/test (it starts PostgreSQL)")
        let scratch = Scratch()
        let table = "cli_" + UUID().uuidString.prefix(8).lowercased()
        // The seed's database_config.yaml keys, with the real server's settings.
        scratch.write(
            "database_config.yaml",
            """
            database:
              service_name: "database"
              type: "postgresql"
              host: "127.0.0.1"
              port: \(port)
              database: "switchboard"
              username: "switchboard"
              password: "${PGPASSWORD}"
            """
        )
        let common = ["--config", scratch.path, "--json"]
        let create = try await CLI.call(
            [
                "call", "database", "execute_query", "--input",
                #"{"query": "CREATE TABLE \#(table) (id serial PRIMARY KEY, name text UNIQUE, tags text[], meta jsonb)"}"#,
            ] + common,
            environment: ["PGPASSWORD": environment["PGPASSWORD"] ?? ""]
        )
        #expect(create.status == 0, "\(create.stderr)")
        let insert = try await CLI.call(
            [
                "call", "database", "insert_record", "--input",
                #"{"table": "\#(table)", "data": {"name": "Ann", "tags": ["a", "b c"], "meta": {"k": 1}}}"#,
            ] + common,
            environment: ["PGPASSWORD": environment["PGPASSWORD"] ?? ""]
        )
        #expect(insert.stdout == #"{"id":1,"meta":{"k":1},"name":"Ann","tags":["a","b c"]}"# + "\n", "\(insert.stderr)")
        let duplicate = try await CLI.call(
            ["call", "database", "insert_record", "--input", #"{"table": "\#(table)", "data": {"name": "Ann"}}"#]
                + common,
            environment: ["PGPASSWORD": environment["PGPASSWORD"] ?? ""]
        )
        #expect(duplicate.status == 1)
        #expect(duplicate.stdout.isEmpty)
        #expect(duplicate.stderr.contains("SQLSTATE 23505"))
        let wrong = try await CLI.call(
            ["call", "database", "execute_query", "--input", #"{"query": "SELECT 1"}"#] + common,
            environment: ["PGPASSWORD": "not-the-password"]
        )
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("28P01"))
        #expect(!wrong.stderr.contains("not-the-password"))
    }
}
