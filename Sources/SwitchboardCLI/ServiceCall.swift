import Switchboard

/// One operation of one service, as the family commands (`calendar`, `email`) run it: inside one runtime, with
/// the idempotency key when given, printing the output as one JSON document with `--json`.
enum ServiceCall {
    static func run(
        _ globals: GlobalOptions,
        service: String,
        json: Bool,
        _ operation: String,
        _ input: JSONValue,
        key: String? = nil
    ) async throws -> JSONValue {
        let output = try await globals.withRuntime { runtime in
            try await runtime.manager.execute(
                service: service,
                operation: operation,
                input: input,
                options: IntegrationManager.Options(idempotencyKey: key)
            )
        }
        if json { print(output.jsonString(pretty: false)) }
        return output
    }
}
