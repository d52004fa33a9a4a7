import ArgumentParser
import Foundation
import Switchboard

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Run one operation of one service through the manager.",
        discussion: """
            The input is a JSON object, inline or from a file (@path) or standard input (@-). The output is the \
            operation's JSON output; with --json, exactly one JSON document on stdout and nothing else.

            Examples:
              switchboard call text stats --input '{"text": "one two three"}'
              switchboard call text transform --input @input.json --json
              switchboard call database insert_record --input '{"table": "t", "data": {"a": 1}}' --idempotency-key k1
            """
    )

    @Argument(help: "The service name (see `switchboard integrations list`).")
    var service: String

    @Argument(help: "The operation name.")
    var operation: String

    @Option(
        name: .long,
        help: ArgumentHelp("The input: JSON text, @file, or @- for standard input. Default {}.", valueName: "json")
    )
    var input: String?

    @Flag(name: .long, help: "Print exactly one JSON document (the output) on stdout.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp("Overall deadline in seconds (default: the service's deadline_s, 30).", valueName: "seconds")
    )
    var deadline: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Longest wait for a rate-limit permit, in seconds (default: max_wait_ms).",
            valueName: "seconds"
        )
    )
    var maxWait: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("Makes a non-idempotent call safe to retry; handed to the adapter.", valueName: "key")
    )
    var idempotencyKey: String?

    @OptionGroup(title: "Global options")
    var globals: GlobalOptions

    func run() async throws {
        let inputValue = try readInput()
        if let deadline, !(deadline > 0) { throw CLIError.usage("--deadline must be a positive number of seconds") }
        if let maxWait, !(maxWait >= 0) { throw CLIError.usage("--max-wait must be zero or more seconds") }
        let options = IntegrationManager.Options(
            deadline: deadline.map { .milliseconds(Int64($0 * 1000)) },
            maximumWait: maxWait.map { .milliseconds(Int64($0 * 1000)) },
            idempotencyKey: idempotencyKey
        )
        let (service, operation) = (self.service, self.operation)
        let output = try await globals.withRuntime { runtime in
            if runtime.manager.adapter(named: service) == nil,
                let status = runtime.statuses.first(where: { $0.name == service })
            {
                throw IntegrationError(
                    code: .serviceUnavailable,
                    message: "service \(service) (type \(status.type)) is configured, but "
                        + (status.reason.map { $0.hasPrefix("this build") ? $0 : "cannot be used: \($0)" }
                            ?? "has no adapter"),
                    service: service
                )
            }
            return try await runtime.manager.execute(
                service: service,
                operation: operation,
                input: inputValue,
                options: options
            )
        }
        print(output.jsonString(pretty: !json))
    }

    /// The most `--input` reads from a file or standard input.
    static let maximumInputSize = 64 << 20

    private func readInput() throws -> JSONValue {
        guard let input else { return [:] }
        var text = input
        if input.hasPrefix("@") {
            let path = String(input.dropFirst())
            guard !path.isEmpty else {
                throw CLIError.usage("--input @ needs a path after @ (or @- for standard input)")
            }
            let data = try FileIO.readAll(path, limit: Self.maximumInputSize, what: "--input")
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw IntegrationError(
                    code: .invalidInput,
                    message: "--input: \(path == "-" ? "standard input" : path) is not UTF-8 text"
                )
            }
            text = decoded
        }
        do {
            return try JSONValue.parse(text)
        } catch let error as IntegrationError {
            throw IntegrationError(code: .invalidInput, message: "--input: \(error.message)")
        }
    }
}
