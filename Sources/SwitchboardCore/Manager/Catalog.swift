/// One registered service as the catalog lists it: the one source the CLI's `integrations list`, the HTTP API,
/// OpenAPI and the MCP tool list are derived from.
public struct CatalogEntry: Sendable {
    /// The service name.
    public var service: String
    /// The adapter's kind (its configuration `type`).
    public var kind: String
    /// The operations it offers, as declared by the adapter.
    public var operations: [OperationDescriptor]
    /// The policy it runs under.
    public var policy: ServicePolicy

    /// Creates an entry.
    public init(service: String, kind: String, operations: [OperationDescriptor], policy: ServicePolicy) {
        self.service = service
        self.kind = kind
        self.operations = operations
        self.policy = policy
    }

    /// The operations as JSON: name, summary, idempotency, input and output schemas.
    public var operationsJSON: JSONValue {
        .array(
            operations.map { operation in
                [
                    "name": .string(operation.name), "summary": .string(operation.summary),
                    "idempotent": .string(operation.idempotency.summary), "input_schema": operation.inputSchema,
                    "output_schema": operation.outputSchema,
                ]
            }
        )
    }

    /// The policy's main figures as JSON.
    public var policyJSON: JSONValue {
        [
            "retry_attempts": .int(policy.retry.maxRetries), "max_connections": .int(policy.maxConnections),
            "max_rate_limit": policy.rateLimit.map { .int($0.limit) } ?? .null,
            "rate_limit_window_s": policy.rateLimit.map { .double($0.window.seconds) } ?? .null,
            "deadline_s": policy.deadline.map { .double($0.seconds) } ?? .null,
        ]
    }
}

extension IntegrationManager {
    /// Every registered service with its operations and policy, sorted by name.
    public var catalog: [CatalogEntry] {
        serviceNames.sorted().compactMap { name in
            guard let adapter = adapter(named: name) else { return nil }
            return CatalogEntry(
                service: name,
                kind: adapter.kind,
                operations: adapter.operations,
                policy: policy(for: name) ?? ServicePolicy()
            )
        }
    }
}
