import Foundation
import SwitchboardCore
import SwitchboardTesting
import Testing

@Suite struct ConfigurationLoaderTests {
    // MARK: The seed's files

    @Test func theSeedFilesLoadAsWrittenAndThePlaceholdersAreReported() throws {
        let dir = TemporaryDirectory()
        dir.copySeedFiles()
        let configuration = try ConfigurationLoader.testing().load(path: dir.path)
        #expect(
            configuration.services.map(\.name).sorted() == ["database", "email", "file_storage", "google_calendar"]
        )
        #expect(configuration.service("google_calendar")?.type == "google_calendar")
        #expect(configuration.service("email")?.type == "http_api")
        #expect(configuration.service("database")?.type == "postgresql")
        #expect(configuration.service("file_storage")?.type == "s3")
        #expect(try configuration.service("database")?.int("port") == 5432)
        #expect(
            try configuration.service("google_calendar")?.stringList("scopes") == [
                "https://www.googleapis.com/auth/calendar"
            ]
        )
        let email = configuration.policy(for: "email")
        #expect(email.rateLimit == RateLimiter.Configuration(limit: 50, window: .seconds(100)))
        #expect(email.retry.maxRetries == 2)
        #expect(configuration.policy(for: "database").maxConnections == 10)
        #expect(configuration.policy(for: "database").rateLimit == nil)
        let placeholders = configuration.warnings.filter { $0.message.contains("placeholder") }.compactMap(\.keyPath)
        #expect(
            Set(placeholders).isSuperset(of: [
                "google_calendar.client_id", "google_calendar.client_secret", "email.api_key",
                "file_storage.access_key",
                "file_storage.secret_key",
            ])
        )
        // A placeholder is never handed to an adapter.
        #expect(throws: ConfigurationError.self) { try configuration.service("email")?.secret("api_key") }
    }

    @Test func strictMakesPlaceholdersErrors() {
        let dir = TemporaryDirectory()
        dir.copySeedFiles()
        let error = loadError { try ConfigurationLoader.testing(strict: true).load(path: dir.path) }
        #expect(error?.description.contains("placeholder") == true)
    }

    @Test func oneSwitchboardYamlHoldingEverythingLoads() throws {
        let dir = TemporaryDirectory()
        let combined = Fixtures.seedFiles.map { Fixtures.text("seed/" + $0) }.joined(separator: "\n")
        let file = dir.write("switchboard.yaml", combined)
        let configuration = try ConfigurationLoader.testing().load(path: file)
        #expect(configuration.services.count == 4)
        #expect(configuration.policies.count == 4)
    }

    @Test func aReadableFileWithPlainSecretsGetsAChmodWarning() throws {
        let dir = TemporaryDirectory()
        dir.copySeedFiles(mode: 0o644)
        let configuration = try ConfigurationLoader.testing().load(path: dir.path)
        let warning = try #require(configuration.warnings.first { $0.message.contains("chmod 600") })
        #expect(warning.message.contains(dir.path + "/"))
        #expect(warning.message.contains("readable by group or others"))
        // A file whose secrets are references or encrypted values gets none.
        let quiet = TemporaryDirectory()
        quiet.write("db.yaml", "database:\n  type: postgresql\n  password: ${PGPASSWORD}\n", mode: 0o644)
        let loaded = try ConfigurationLoader.testing(["PGPASSWORD": "pw"]).load(path: quiet.path)
        #expect(loaded.warnings.isEmpty)
    }

    // MARK: Interpolation and precedence

    @Test func environmentReferencesAreResolvedWhereTheyStand() throws {
        let dir = TemporaryDirectory()
        let file = dir.write(
            "s.yaml",
            """
            database:
              type: postgresql
              host: ${DB_HOST}
              port: ${DB_PORT:-6543}
              username: app-${DB_USER:-svc}
              password: "${DB_PASSWORD}"
              database: literal-$${NOT_A_VAR}
            """
        )
        let configuration = try ConfigurationLoader.testing(["DB_HOST": "10.0.0.9", "DB_PASSWORD": "s3cret"]).load(
            path: file
        )
        let database = try #require(configuration.service("database"))
        #expect(try database.string("host") == "10.0.0.9")
        #expect(try database.int("port") == 6543)
        #expect(try database.string("username") == "app-svc")
        #expect(try database.secret("password")?.reveal() == "s3cret")
        #expect(try database.string("database") == "literal-${NOT_A_VAR}")
    }

    @Test func aMissingVariableNamesFileKeyAndVariable() {
        let dir = TemporaryDirectory()
        let file = dir.write("s.yaml", "email:\n  base_url: https://api.example.com\n  api_key: ${MAIL_KEY}\n")
        let error = loadError { try ConfigurationLoader.testing().load(path: file) }
        let text = error?.description ?? ""
        #expect(text.contains(file + ":3:"))
        #expect(text.contains("email.api_key"))
        #expect(text.contains("MAIL_KEY"))
    }

    @Test func flagsBeatEnvironmentWhichBeatsFiles() throws {
        let dir = TemporaryDirectory()
        let file = dir.write(
            "s.yaml",
            "database:\n  type: postgresql\n  host: from-file\n  port: 1\nintegrations:\n  database:\n    retry_attempts: 1\n"
        )
        let environment = [
            "SWITCHBOARD_DATABASE__HOST": "from-env", "SWITCHBOARD_DATABASE__PORT": "2",
            "SWITCHBOARD_INTEGRATIONS__DATABASE__RETRY_ATTEMPTS": "5",
        ]
        let configuration = try ConfigurationLoader.testing(environment, overrides: ["database.host=from-flag"]).load(
            path: file
        )
        let database = try #require(configuration.service("database"))
        #expect(try database.string("host") == "from-flag")
        #expect(try database.int("port") == 2)
        #expect(configuration.policy(for: "database").retry.maxRetries == 5)
    }

    @Test func wellKnownVariablesFillOnlyWhatTheFileLeavesOut() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("s.yaml", "database:\n  type: postgresql\n  host: db.internal\n")
        let configuration = try ConfigurationLoader.testing(["PGHOST": "ignored", "PGUSER": "alice"]).load(path: file)
        let database = try #require(configuration.service("database"))
        #expect(try database.string("host", fallback: ["PGHOST"]) == "db.internal")
        #expect(try database.string("username", fallback: ["PGUSER"]) == "alice")
    }

    // MARK: Encrypted values and files

    @Test func encryptedValuesAndFilesDecryptWithTheCurrentOrAPreviousKey() throws {
        let oldKey = EncryptionKey.generate()
        let newKey = EncryptionKey.generate()
        let old = ConfigCipher(current: try EncryptionKey(text: oldKey))
        let new = ConfigCipher(current: try EncryptionKey(text: newKey))
        let dir = TemporaryDirectory()
        dir.write("a.yaml", "database:\n  type: postgresql\n  password: \(try old.encrypt("pw-old"))\n")
        dir.write("b.yaml.enc", try new.encrypt("file_storage:\n  type: local\n  root: /srv/files\n") + "\n")
        let environment = ["CONFIG_ENCRYPTION_KEY": newKey, "CONFIG_ENCRYPTION_PREVIOUS_KEYS": oldKey]
        let configuration = try ConfigurationLoader.testing(environment).load(path: dir.path)
        #expect(try configuration.service("database")?.secret("password")?.reveal() == "pw-old")
        #expect(try configuration.service("file_storage")?.string("root") == "/srv/files")
        #expect(configuration.warnings.isEmpty)
    }

    @Test func aWrongKeyOrATamperedValueIsAClearErrorAndNothingLoads() throws {
        let key = EncryptionKey.generate()
        let cipher = ConfigCipher(current: try EncryptionKey(text: key))
        let token = try cipher.encrypt("hunter2")
        let dir = TemporaryDirectory()
        let file = dir.write("a.yaml", "database:\n  type: postgresql\n  password: \(token)\n")
        let wrong = loadError {
            try ConfigurationLoader.testing(["CONFIG_ENCRYPTION_KEY": EncryptionKey.generate()]).load(path: file)
        }
        #expect(wrong?.description.contains("database.password") == true)
        #expect(wrong?.description.contains("neither CONFIG_ENCRYPTION_KEY") == true)
        var bytes = Array(Data(base64Encoded: String(token.split(separator: ":")[3]))!)
        bytes[bytes.count - 1] ^= 1
        let tampered = "enc:v1:\(token.split(separator: ":")[2]):" + Data(bytes).base64EncodedString()
        dir.write("a.yaml", "database:\n  type: postgresql\n  password: \(tampered)\n")
        let error = loadError { try ConfigurationLoader.testing(["CONFIG_ENCRYPTION_KEY": key]).load(path: file) }
        #expect(error?.description.contains("altered or is corrupt") == true)
        #expect(error?.description.contains("hunter2") == false)
        let noKey = loadError { try ConfigurationLoader.testing().load(path: file) }
        #expect(noKey?.description.contains("CONFIG_ENCRYPTION_KEY") == true)
    }

    @Test func rotationReencryptsEverythingKeepsLayoutAndLoadsUnderTheNewKeyAlone() throws {
        let oldKey = EncryptionKey.generate()
        let newKey = EncryptionKey.generate()
        let old = ConfigCipher(current: try EncryptionKey(text: oldKey))
        let dir = TemporaryDirectory()
        let yaml = """
            # Production database
            database:
              type: postgresql   # keep this comment
              password: \(try old.encrypt("pw"))

            email:
              base_url: https://api.example.com
              api_key: \(try old.encrypt("key-1"))
            """
        dir.write("main.yaml", yaml)
        dir.write("files.yaml.enc", try old.encrypt("file_storage:\n  type: local\n  root: /data\n"))
        let rotating = ConfigCipher(
            current: try EncryptionKey(text: newKey),
            previous: [try EncryptionKey(text: oldKey)]
        )
        let summary = try SecretsRotation.rotate(path: dir.path, cipher: rotating, loader: .testing())
        #expect(summary == .init(values: 3, files: 2))
        let rotated = dir.read("main.yaml")
        #expect(rotated.contains("# Production database"))
        #expect(rotated.contains("type: postgresql   # keep this comment"))
        #expect(!rotated.contains(oldKeyID(oldKey)))
        let configuration = try ConfigurationLoader.testing(["CONFIG_ENCRYPTION_KEY": newKey]).load(path: dir.path)
        #expect(try configuration.service("email")?.secret("api_key")?.reveal() == "key-1")
        #expect(try configuration.service("file_storage")?.string("root") == "/data")
        #expect(
            loadError { try ConfigurationLoader.testing(["CONFIG_ENCRYPTION_KEY": oldKey]).load(path: dir.path) } != nil
        )
        #expect(
            loadError {
                try ConfigurationLoader.testing(["CONFIG_ENCRYPTION_KEY": EncryptionKey.generate()]).load(
                    path: dir.path
                )
            } != nil
        )
    }

    @Test func aFailedRotationChangesNothing() throws {
        let oldKey = EncryptionKey.generate()
        let old = ConfigCipher(current: try EncryptionKey(text: oldKey))
        let stranger = ConfigCipher(current: try EncryptionKey(text: EncryptionKey.generate()))
        let dir = TemporaryDirectory()
        let first = "a:\n  type: local\n  root: \(try old.encrypt("/a"))\n"
        let second = "b:\n  type: local\n  root: \(try stranger.encrypt("/b"))\n"
        dir.write("1.yaml", first)
        dir.write("2.yaml", second)
        let rotating = ConfigCipher(
            current: try EncryptionKey(text: EncryptionKey.generate()),
            previous: [try EncryptionKey(text: oldKey)]
        )
        #expect(throws: ConfigurationError.self) {
            try SecretsRotation.rotate(path: dir.path, cipher: rotating, loader: .testing())
        }
        #expect(dir.read("1.yaml") == first)
        #expect(dir.read("2.yaml") == second)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    func oldKeyID(_ key: String) -> String { "enc:v1:" + (try! EncryptionKey(text: key)).id }

    // MARK: Bad input

    @Test func malformedYAMLReportsLineAndColumn() {
        let dir = TemporaryDirectory()
        let file = dir.write("bad.yaml", "database:\n  type: postgresql\n  host: [unclosed\n")
        let error = loadError { try ConfigurationLoader.testing().load(path: file) }
        let diagnostic = error?.diagnostics.first
        #expect(diagnostic?.location.file == file)
        #expect(diagnostic?.location.line != nil && diagnostic?.location.column != nil)
        #expect(error?.description.contains("malformed YAML") == true)
    }

    @Test(arguments: [
        ("empty.yaml", "", "empty"),
        ("comments.yaml", "# nothing here\n", "empty"),
        ("list.yaml", "- a\n- b\n", "expected a mapping of service names"),
        (
            "wrongtype.yaml", "integrations:\n  database:\n    retry_attempts: three\n",
            "expected an integer, found text 'three'"
        ),
        ("negative.yaml", "integrations:\n  database:\n    max_rate_limit: -5\n", "must be at least 1, found -5"),
        (
            "unknownservice.yaml", "integrations:\n  google_calender:\n    enabled: true\n",
            "no service named google_calender"
        ),
        ("unknownkey.yaml", "database:\n  type: postgresql\n  hots: x\n", "did you mean host?"),
        ("unknowntype.yaml", "database:\n  type: postgress\n", "did you mean postgresql?"),
        ("notype.yaml", "thing:\n  colour: blue\n", "type is missing"),
        ("dupkey.yaml", "database:\n  type: sqlite\n  type: sqlite\n", "given twice"),
        ("enabled.yaml", "integrations:\n  email:\n    enabled: maybe\n", "expected true or false"),
        ("policykey.yaml", "integrations:\n  email:\n    retry_attempt: 2\n", "did you mean retry_attempts?"),
    ])
    func badFilesAreRefusedWithAMessageNamingTheFile(name: String, text: String, expected: String) {
        let dir = TemporaryDirectory()
        let file = dir.write(name, text)
        let error = loadError { try ConfigurationLoader.testing().load(path: file) }
        let message = error?.description ?? "(loaded)"
        #expect(message.contains(file), "\(message)")
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("\n"))
    }

    @Test func binaryNonUTF8AndHugeFilesAreRefusedBeforeParsing() {
        let dir = TemporaryDirectory()
        let binary = dir.write("bin.yaml", data: Data([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]))
        #expect(
            loadError { try ConfigurationLoader.testing().load(path: binary) }?.description.contains("binary") == true
        )
        let latin1 = dir.write("latin.yaml", data: Data("database:\n  host: caf\u{e9}\n".data(using: .isoLatin1)!))
        #expect(
            loadError { try ConfigurationLoader.testing().load(path: latin1) }?.description.contains("not UTF-8")
                == true
        )
        let huge = dir.write("huge.yaml", data: Data(repeating: UInt8(ascii: "#"), count: 50 << 20))
        let error = loadError { try ConfigurationLoader.testing().load(path: huge) }
        #expect(
            error?.description.contains("over 1024 KiB") == true || error?.description.contains("are refused") == true
        )
    }

    @Test func aServiceDefinedInTwoFilesNamesBoth() {
        let dir = TemporaryDirectory()
        let a = dir.write("a.yaml", "email:\n  base_url: https://a.example.com\n")
        let b = dir.write("b.yaml", "email:\n  base_url: https://b.example.com\n")
        let error = loadError { try ConfigurationLoader.testing().load(path: dir.path) }
        #expect(error?.description.contains(a) == true)
        #expect(error?.description.contains(b) == true)
    }

    @Test func anEmptyDirectoryMeansEmbeddedDefaults() throws {
        let dir = TemporaryDirectory()
        let configuration = try ConfigurationLoader.testing().load(path: dir.path)
        #expect(configuration.services.isEmpty)
        #expect(
            loadError { try ConfigurationLoader.testing().load(path: dir.path + "/missing") }?.description.contains(
                "no such file"
            ) == true
        )
    }

    @Test func everyDesignTypeIsAccepted() throws {
        let dir = TemporaryDirectory()
        let file = dir.write(
            "all.yaml",
            """
            team_calendar: {type: caldav, base_url: "https://dav.example.com/", username: u, password: "${P:-x}"}
            gcal: {type: google_calendar, auth_type: oauth2, refresh_token: "${R:-r}", client_id: id}
            local_cal: {type: local_calendar}
            mail_out: {type: smtp, smtp: {host: 127.0.0.1, port: 2525, security: starttls}, imap: {port: 1143}}
            mail_api: {type: http_api, base_url: "https://api.example.com/v1", auth_type: api_key, api_key: "${K:-k}"}
            outbox: {type: maildir}
            pg: {type: postgresql, host: 127.0.0.1, tls: prefer}
            lite: {type: sqlite}
            bucket: {type: s3, bucket: b, endpoint: "http://127.0.0.1:8333", path_style: true}
            files: {type: local, root: /tmp/f}
            api: {type: http, base_url: "https://example.com", headers: {X-Test: "1"}}
            contacts:
              alice: alice@example.com
            language:
              date_order: dmy
            state_store:
              type: sqlite
            """
        )
        let configuration = try ConfigurationLoader.testing().load(path: file)
        #expect(configuration.services.count == 11)
        #expect(configuration.contacts["alice"] == "alice@example.com")
        #expect(configuration.language?["date_order"]?.scalar == "dmy")
    }
}

@Suite struct NestedBlockTests {
    static let family = AdapterFamily(
        name: "mail",
        factories: [
            AdapterFactory(
                schema: ServiceSchema(
                    type: "mailer",
                    family: "mail",
                    keys: ServiceSchema.commonKeys + [
                        .init(
                            "smtp",
                            .block([
                                .init("host"), .init("port", .integer, minimum: 1), .init("password", secret: true),
                            ])
                        )
                    ]
                ),
                make: nil
            )
        ]
    )

    func load(_ yaml: String, environment: [String: String] = [:]) throws -> Configuration {
        let directory = NSTemporaryDirectory() + "switchboard-nested-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/m.yaml"
        _ = FileManager.default.createFile(
            atPath: file,
            contents: Data(yaml.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        return try ConfigurationLoader(registry: SchemaRegistry(families: [Self.family]), environment: environment)
            .load(path: file)
    }

    @Test func nestedKeysAreValidatedOneByOne() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try load("m:\n  type: mailer\n  smtp:\n    hots: mail.example.com\n    port: many\n")
        }
        let text = error?.diagnostics.map(\.description).joined(separator: "\n") ?? ""
        #expect(text.contains("m.smtp.hots") && text.contains("did you mean host?"), "\(text)")
        #expect(text.contains("m.smtp.port") && text.contains("expected an integer"), "\(text)")
        #expect(text.contains("m.yaml:4"), "\(text)")
    }

    @Test func nestedValuesResolveAndPlaceholdersAreRefusedOnUse() throws {
        let configuration = try load(
            "m:\n  type: mailer\n  smtp:\n    host: ${MAIL_HOST}\n    port: 587\n    password: your_password\n",
            environment: ["MAIL_HOST": "127.0.0.1"]
        )
        #expect(configuration.warnings.contains { $0.description.contains("m.smtp.password") })
        let smtp = try #require(try configuration.service("m")?.block("smtp"))
        #expect(try smtp.string("host") == "127.0.0.1")
        #expect(try smtp.int("port") == 587)
        #expect(throws: ConfigurationError.self) { try smtp.secret("password") }
    }
}
