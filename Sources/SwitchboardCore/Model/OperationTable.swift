/// An adapter's operations, each declared once beside the code that runs it: the catalog (``descriptors``) and
/// the dispatch (``run(_:on:input:context:)``) come from the same table, so no operation name is written twice.
///
/// ```swift
/// static let table = OperationTable<MyAdapter>([
///     .init(OperationDescriptor(name: "stats", summary: "Count words.", idempotency: .idempotent)) { adapter, input, _ in
///         try await adapter.stats(input)
///     },
/// ])
/// public var operations: [OperationDescriptor] { Self.table.descriptors }
/// public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
///     try await Self.table.run(operation, on: self, input: input, context: context)
/// }
/// ```
public struct OperationTable<Adapter: Sendable>: Sendable {
    /// One operation: what it is, and what runs it.
    public struct Entry: Sendable {
        /// The operation's descriptor.
        public var descriptor: OperationDescriptor
        /// Runs one attempt of the operation on `adapter`.
        public var run: @Sendable (Adapter, JSONValue, OperationContext) async throws -> JSONValue

        /// Creates an entry.
        public init(
            _ descriptor: OperationDescriptor,
            _ run: @escaping @Sendable (Adapter, JSONValue, OperationContext) async throws -> JSONValue
        ) {
            self.descriptor = descriptor
            self.run = run
        }
    }

    /// The entries, in catalog order.
    public let entries: [Entry]

    /// Creates a table.
    public init(_ entries: [Entry]) { self.entries = entries }

    /// The catalog: every operation's descriptor.
    public var descriptors: [OperationDescriptor] { entries.map(\.descriptor) }

    /// Runs `operation` on `adapter`.
    /// - Throws: ``IntegrationError`` `unknownOperation` listing what the table offers, or the handler's error.
    public func run(_ operation: String, on adapter: Adapter, input: JSONValue, context: OperationContext) async throws
        -> JSONValue
    {
        guard let entry = entries.first(where: { $0.descriptor.name == operation }) else {
            throw IntegrationError(
                code: .unknownOperation,
                message: "no operation named \(operation); offered: "
                    + entries.map(\.descriptor.name).joined(separator: ", ")
            )
        }
        return try await entry.run(adapter, input, context)
    }
}
