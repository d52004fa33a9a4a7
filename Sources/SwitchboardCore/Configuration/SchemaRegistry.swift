/// The service types a loader knows: every registered family's schemas, its embedded service names, and how it
/// recognises the seed's blocks that leave `type` out. Core itself names no adapter type: what a block may hold
/// is declared by the module that serves it, so what the CLI registers and what `config check` accepts cannot
/// drift apart.
public struct SchemaRegistry: Sendable {
    /// The schemas, in registration order.
    public private(set) var schemas: [ServiceSchema] = []
    /// Services that exist with no configuration; their names take policies without a service block.
    public private(set) var embeddedServiceNames: [String] = []
    private var inferences: [@Sendable (String, ConfigNode) -> String?] = []
    /// Validators of the reserved top-level blocks (`language`, and `agents` and `server` to come), each from the
    /// module that owns the block; `config check` runs them all.
    public private(set) var sections: [String: @Sendable (ConfigNode) -> [ConfigDiagnostic]] = [:]

    /// An empty registry.
    public init() {}

    /// A registry of `families`, in order.
    public init(families: [AdapterFamily]) {
        for family in families { register(family) }
    }

    /// Adds `family`'s schemas, embedded names and type inference.
    public mutating func register(_ family: AdapterFamily) {
        for factory in family.factories where schema(named: factory.type) == nil { schemas.append(factory.schema) }
        for service in family.embedded where !embeddedServiceNames.contains(service.name) {
            embeddedServiceNames.append(service.name)
        }
        inferences.append(family.inferType)
    }

    /// Registers the validator of the reserved top-level block `name`: it returns what is wrong, key by key.
    public mutating func register(
        section name: String,
        validate: @escaping @Sendable (ConfigNode) -> [ConfigDiagnostic]
    ) {
        sections[name] = validate
    }

    /// The schema of `type` or of one of its aliases.
    public func schema(named type: String) -> ServiceSchema? {
        schemas.first { $0.type == type } ?? schemas.first { $0.aliases.contains(type) }
    }

    /// Every known type name.
    public var typeNames: [String] { schemas.map(\.type) }

    /// The type the families infer for a block written without `type`, if any.
    public func inferType(service: String, block: ConfigNode) -> String? {
        for infer in inferences {
            if let type = infer(service, block), schema(named: type) != nil { return type }
        }
        return nil
    }
}
