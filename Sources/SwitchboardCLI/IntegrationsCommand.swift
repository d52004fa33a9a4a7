import ArgumentParser
import Foundation
import Switchboard

struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations",
        abstract: "Show the services and their operations.",
        subcommands: [List.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List configured and embedded services: type, state, and operations.",
            discussion:
                "A configured service whose adapter this build lacks is shown as not available. No network call is made."
        )

        @Flag(name: .long, help: "Print one JSON document.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions

        /// One row per service: its state, operations (the manager's catalog) and policy.
        static func rows(_ runtime: SwitchboardRuntime) -> [JSONValue] {
            let (manager, statuses, configuration) = (runtime.manager, runtime.statuses, runtime.configuration)
            var rows: [JSONValue] = []
            for status in statuses {
                let adapter = manager.adapter(named: status.name)
                let state = !status.isAvailable ? "not available" : (status.isEnabled ? "enabled" : "disabled")
                let policy = configuration.policy(for: status.name)
                var row: [String: JSONValue] = [
                    "name": .string(status.name), "type": .string(status.type), "source": .string(status.source),
                    "state": .string(state), "available": .bool(status.isAvailable), "enabled": .bool(status.isEnabled),
                    "operations": .array(
                        (adapter?.operations ?? []).map { op in
                            [
                                "name": .string(op.name), "summary": .string(op.summary),
                                "idempotent": .string(op.idempotency.summary), "input_schema": op.inputSchema,
                                "output_schema": op.outputSchema,
                            ]
                        }
                    ),
                    "policy": [
                        "retry_attempts": .int(policy.retry.maxRetries), "max_connections": .int(policy.maxConnections),
                        "max_rate_limit": policy.rateLimit.map { .int($0.limit) } ?? .null,
                        "rate_limit_window_s": policy.rateLimit.map { .double($0.window.seconds) } ?? .null,
                        "deadline_s": policy.deadline.map { .double($0.seconds) } ?? .null,
                    ],
                ]
                if let reason = status.reason { row["reason"] = .string(reason) }
                rows.append(.object(row))
            }
            return rows
        }

        func run() async throws {
            let rows = try await globals.withRuntime { runtime in Self.rows(runtime) }
            if json {
                print(JSONValue.array(rows).jsonString())
                return
            }
            for row in rows {
                let (name, type, source) = (
                    row["name"]?.stringValue ?? "", row["type"]?.stringValue ?? "", row["source"]?.stringValue ?? ""
                )
                var line = "\(name)  (\(type), \(source))  \(row["state"]?.stringValue ?? "")"
                if let reason = row["reason"]?.stringValue { line += " — \(reason)" }
                print(line)
                for op in row["operations"]?.arrayValue ?? [] {
                    let idempotent = op["idempotent"]?.stringValue == "true" ? "" : " [not idempotent]"
                    print("    \(op["name"]!.stringValue!)\(idempotent)  \(op["summary"]!.stringValue!)")
                }
            }
        }
    }
}
