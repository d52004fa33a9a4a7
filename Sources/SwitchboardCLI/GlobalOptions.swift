import ArgumentParser
import Foundation
import Logging
import Switchboard
import SwitchboardExamples
import SwitchboardHTTP
import SwitchboardDatabase
import SwitchboardStorage

/// Options every subcommand takes, before or after its name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file or directory (env SWITCHBOARD_CONFIG).", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Where Switchboard keeps its files (env SWITCHBOARD_DATA_DIR; default ~/.local/share/switchboard).", valueName: "path"))
    var dataDir: String?

    @Flag(name: .long, help: "Show details of errors, and info-level logs.")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (env SWITCHBOARD_LOG_LEVEL; default warning).", valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one configuration value, e.g. --set database.host=127.0.0.1 (repeatable).", valueName: "key.path=value"))
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
            throw CLIError.usage("--log-level must be one of trace, debug, info, notice, warning, error, critical; found \(text)")
        }
        var logger = Logger(label: "switchboard") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    func loadConfiguration(strict: Bool = false) throws -> Configuration {
        let loader = ConfigurationLoader(environment: environment, overrides: overrides, strict: strict)
        return try loader.load(path: configPath)
    }

    func printWarnings(_ configuration: Configuration) {
        for warning in configuration.warnings { printError("warning: \(warning)") }
    }

    /// Loads the configuration and builds the manager with every adapter this build has.
    func makeRuntime() throws -> Runtime {
        let configuration = try loadConfiguration()
        printWarnings(configuration)
        let logger = try makeLogger()
        let manager = IntegrationManager(logger: logger)
        let transport = HTTPTransport(logger: logger)
        let http = HTTPAdapters(
            transport: transport,
            tokenStore: LazyFileTokenStore(dataDirectory: dataDirectory, environment: environment)
        )
        // No connection is opened before the first call, so a failed bootstrap leaves nothing to close.
        let statuses = try manager.bootstrap(
            configuration: configuration,
            factories: http.factories + DatabaseAdapters.factories + StorageAdapters.factories,
            embedded: AdapterCatalog.embedded,
            environment: AdapterEnvironment(dataDirectory: dataDirectory, logger: logger)
        )
        return Runtime(manager: manager, statuses: statuses, configuration: configuration, http: http)
    }
}

/// What a command that calls services holds: the manager, the shared HTTP transport, the token store.
struct Runtime {
    let manager: IntegrationManager
    let statuses: [ServiceStatus]
    let configuration: Configuration
    let http: HTTPAdapters

    func shutdown() async {
        try? await manager.shutdown()
        try? await http.transport.shutdown()
    }
}

/// The embedded services this build carries (the configured ones come from the modules' factories).
enum AdapterCatalog {
    static let embedded: [EmbeddedService] = [
        DatabaseAdapters.embedded,
        StorageAdapters.embedded,
        EmbeddedService(name: "text", type: "text") { _ in TextIntegration() },
    ]
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
