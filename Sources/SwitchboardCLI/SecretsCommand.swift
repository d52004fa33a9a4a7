import ArgumentParser
import Foundation
import Switchboard

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Make keys, encrypt and decrypt values and files, and rotate keys.",
        discussion: """
            Values are AES-256-GCM encrypted as enc:v1:KEYID:BASE64 under CONFIG_ENCRYPTION_KEY; keys listed in \
            CONFIG_ENCRYPTION_PREVIOUS_KEYS (comma-separated) still decrypt. Each command prints its result alone on \
            the last line of stdout.

            Rotating keys:
              export CONFIG_ENCRYPTION_PREVIOUS_KEYS="$CONFIG_ENCRYPTION_KEY"
              export CONFIG_ENCRYPTION_KEY="$(switchboard secrets keygen)"
              switchboard secrets rotate --config ./config
            """,
        subcommands: [Keygen.self, Encrypt.self, Decrypt.self, Rotate.self]
    )

    static func cipher() throws -> ConfigCipher {
        try ConfigCipher.fromEnvironment(ProcessInfo.processInfo.environment)
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random 256-bit key for CONFIG_ENCRYPTION_KEY."
        )
        @OptionGroup(title: "Global options") var globals: GlobalOptions
        func run() async throws { print(EncryptionKey.generate()) }
    }

    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt a value (from standard input when none is given) or a whole file.",
            discussion: """
                Reading from standard input keeps the secret out of shell history and process lists:
                  printf %s "$DB_PASSWORD" | switchboard secrets encrypt
                With --file config.yaml, writes config.yaml.enc (mode 0600) and prints its path.
                """
        )
        @Argument(help: "The value. Omit it to read standard input (one trailing newline is dropped).")
        var value: String?
        @Option(name: .long, help: ArgumentHelp("Encrypt this whole file to FILE.enc.", valueName: "file"))
        var file: String?
        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run() async throws {
            let cipher = try SecretsCommand.cipher()
            if let file {
                let loader = SwitchboardRuntime.loader(environment: [:])
                let text = try loader.readText(of: file, cipher: cipher)
                _ = try ConfigurationLoader.parse(text, file: file)
                let output = file + ".enc"
                try FileIO.writeAtomically(Data((try cipher.encrypt(text) + "\n").utf8), to: output)
                print(output)
                return
            }
            var plaintext: String
            if let value {
                plaintext = value
            } else {
                plaintext = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                if plaintext.hasSuffix("\r\n") {
                    plaintext.removeLast(2)
                } else if plaintext.hasSuffix("\n") {
                    plaintext.removeLast()
                }
            }
            print(try cipher.encrypt(plaintext))
        }
    }

    struct Decrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt an enc:v1: value (or a *.enc file with --file)."
        )
        @Argument(help: "The encrypted value.")
        var value: String?
        @Option(name: .long, help: ArgumentHelp("Print the decrypted text of this encrypted file.", valueName: "file"))
        var file: String?
        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run() async throws {
            let cipher = try SecretsCommand.cipher()
            if let file {
                let text = try SwitchboardRuntime.loader(environment: [:]).readText(of: file, cipher: cipher)
                print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
                return
            }
            guard let value else { throw CLIError.usage("give the enc:v1: value to decrypt, or --file") }
            print(try cipher.decryptString(value))
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every encrypted value and file of --config under CONFIG_ENCRYPTION_KEY, atomically.",
            discussion:
                "Old values may be under any key in CONFIG_ENCRYPTION_PREVIOUS_KEYS. On any failure no file changes; comments and layout are kept."
        )
        @OptionGroup(title: "Global options") var globals: GlobalOptions

        func run() async throws {
            guard let path = globals.configPath else {
                throw CLIError.usage("secrets rotate needs --config PATH (or SWITCHBOARD_CONFIG)")
            }
            let summary = try SecretsRotation.rotate(
                path: path,
                cipher: try SecretsCommand.cipher(),
                loader: SwitchboardRuntime.loader(environment: globals.environment)
            )
            print("rotated \(summary.values) value(s) in \(summary.files) file(s)")
        }
    }
}
