import ArgumentParser
import Foundation
import Logging
import Switchboard
import SwitchboardExamples

/// Options every subcommand takes, before or after its name.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Configuration file or directory (env SWITCHBOARD_CONFIG).", valueName: "path")
    )
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where Switchboard keeps its files (env SWITCHBOARD_DATA_DIR; default ~/.local/share/switchboard).",
            valueName: "path"
        )
    )
    var dataDir: String?

    @Flag(name: .long, help: "Show details of errors, and info-level logs.")
    var verbose = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical (env SWITCHBOARD_LOG_LEVEL; default warning).",
            valueName: "level"
        )
    )
    var logLevel: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one configuration value, e.g. --set database.host=127.0.0.1 (repeatable).",
            valueName: "key.path=value"
        )
    )
    var overrides: [String] = []

    static let names: [String: Bool] = [  // option name: takes a value
        "--config": true, "--data-dir": true, "--verbose": false, "--log-level": true, "--set": true,
    ]

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var configPath: String? {
        if let config, !config.isEmpty { return config }
        if let path = environment["SWITCHBOARD_CONFIG"], !path.isEmpty { return path }
        return nil
    }

    var dataDirectory: String { DataDirectory.resolve(flag: dataDir, environment: environment) }

    func makeLogger() throws -> Logger {
        let text = logLevel ?? environment["SWITCHBOARD_LOG_LEVEL"] ?? (verbose ? "info" : "warning")
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw CLIError.usage(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical; found \(text)"
            )
        }
        var logger = Logger(label: "switchboard") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    /// The families the CLI adds to the library's: the example `text` service.
    static let extraFamilies = [TextIntegration.family]

    func loadConfiguration(strict: Bool = false) throws -> Configuration {
        try SwitchboardRuntime.loader(
            environment: environment,
            overrides: overrides,
            strict: strict,
            extra: Self.extraFamilies
        )
        .load(path: configPath)
    }

    func printWarnings(_ configuration: Configuration) {
        for warning in configuration.warnings { printError("warning: \(warning)") }
    }

    /// Loads the configuration (printing its warnings), builds the library's runtime with every adapter this
    /// build has, runs `body`, and shuts the runtime down however `body` ends.
    func withRuntime<Result: Sendable>(_ body: (SwitchboardRuntime) async throws -> Result) async throws -> Result {
        let configuration = try loadConfiguration()
        printWarnings(configuration)
        return try await SwitchboardRuntime.withRuntime(
            configuration: configuration,
            dataDirectory: dataDirectory,
            logger: try makeLogger(),
            environment: environment,
            extra: Self.extraFamilies,
            body
        )
    }
}

/// An error of the command line itself (exit code 2).
enum CLIError: Error, CustomStringConvertible {
    case usage(String)

    var description: String {
        switch self {
        case .usage(let message): return message
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
