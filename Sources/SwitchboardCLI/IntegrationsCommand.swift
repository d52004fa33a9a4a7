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

        /// One row per service: its state (from the runtime's statuses), and its operations and policy from the
        /// manager's catalog (a service that is not available has no catalog entry, and the policy it would get).
        static func rows(_ runtime: SwitchboardRuntime) -> [JSONValue] {
            let catalog = Dictionary(
                runtime.manager.catalog.map { ($0.service, $0) },
                uniquingKeysWith: { first, _ in first }
            )
            return runtime.statuses.map { status in
                let state = !status.isAvailable ? "not available" : (status.isEnabled ? "enabled" : "disabled")
                let entry =
                    catalog[status.name]
                    ?? CatalogEntry(
                        service: status.name,
                        kind: status.type,
                        operations: [],
                        policy: runtime.configuration.policy(for: status.name)
                    )
                var row: [String: JSONValue] = [
                    "name": .string(status.name), "type": .string(status.type), "source": .string(status.source),
                    "state": .string(state), "available": .bool(status.isAvailable), "enabled": .bool(status.isEnabled),
                    "operations": entry.operationsJSON, "policy": entry.policyJSON,
                ]
                if let reason = status.reason { row["reason"] = .string(reason) }
                return .object(row)
            }
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
