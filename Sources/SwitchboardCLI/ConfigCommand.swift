import ArgumentParser
import Foundation
import Switchboard

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check configuration.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate the configuration and summarise it. Exit 0 when valid (warnings allowed), 2 when not.",
            discussion: """
                Reads --config (a file, or a directory of *.yaml and *.yaml.enc files), resolves ${VAR} references \
                and enc: values, and validates every key. Makes no network call.

                Example:
                  switchboard config check --config ./config --strict
                """
        )

        @Flag(name: .long, help: "Treat placeholder values (your_api_key, ...) as errors.")
        var strict = false

        @Flag(name: .long, help: "Print one JSON document.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions

        func run() async throws {
            let configuration = try globals.loadConfiguration(strict: strict)
            globals.printWarnings(configuration)
            let services = configuration.services.map { service -> JSONValue in
                [
                    "name": .string(service.name), "type": .string(service.type),
                    "family": .string(service.family),
                    "location": .string(service.location.description),
                ]
            }
            if json {
                let summary: JSONValue = [
                    "valid": true,
                    "files": .array(configuration.files.map { .string($0) }),
                    "services": .array(services),
                    "policies": .array(configuration.policies.keys.sorted().map { .string($0) }),
                    "contacts": .int(configuration.contacts.count),
                    "warnings": .array(configuration.warnings.map { .string($0.description) }),
                ]
                print(summary.jsonString())
                return
            }
            if configuration.files.isEmpty {
                print("No configuration given (--config or SWITCHBOARD_CONFIG): embedded defaults only.")
            } else {
                print("Read \(configuration.files.count) file(s): \(configuration.files.joined(separator: ", "))")
            }
            for service in configuration.services {
                let policy = configuration.policy(for: service.name)
                var line = "  \(service.name): \(service.type)"
                line += policy.enabled ? "" : " (disabled)"
                if let limit = policy.rateLimit { line += ", \(limit.limit) calls per \(limit.window.secondsText)" }
                line += ", \(policy.retry.maxRetries) retries, \(policy.maxConnections) in flight"
                print(line)
            }
            let warnings = configuration.warnings.count
            print("Configuration is valid: \(configuration.services.count) service(s), \(warnings) warning(s).")
        }
    }
}
