import Logging

/// What an adapter factory gets besides its service block: where to keep files, and a logger.
public struct AdapterEnvironment: Sendable {
    /// The data directory (created 0700 by the caller before use).
    public var dataDirectory: String
    /// The background logger.
    public var logger: Logger
    /// The service's policy (`max_connections` sizes connection pools). Set per service by the bootstrap.
    public var policy = ServicePolicy()

    /// Creates an environment.
    public init(
        dataDirectory: String,
        logger: Logger = Logger(label: "switchboard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.dataDirectory = dataDirectory
        self.logger = logger
    }
}

/// Builds the adapter for one configuration `type`, and declares the keys its service blocks take.
public struct AdapterFactory: Sendable {
    /// The keys a block of this type takes: what the loader validates it against.
    public var schema: ServiceSchema
    /// Builds an adapter from a validated service block. Must not make network calls: connections open on first
    /// use. `nil`: the type is known (its blocks validate) but this build has no adapter for it yet.
    public var make: (@Sendable (ServiceConfiguration, AdapterEnvironment) throws -> any Integration)?

    /// The configuration `type` this factory serves.
    public var type: String { schema.type }

    /// Creates a factory.
    public init(
        schema: ServiceSchema,
        make: (@Sendable (ServiceConfiguration, AdapterEnvironment) throws -> any Integration)?
    ) {
        self.schema = schema
        self.make = make
    }
}

/// A service that exists with no configuration (SQLite `database`, local `file_storage`, ...).
public struct EmbeddedService: Sendable {
    /// The service name.
    public var name: String
    /// The type it stands for.
    public var type: String
    /// Builds it. `nil`: the name is reserved for a default this build does not have yet (its policy loads).
    public var make: (@Sendable (AdapterEnvironment) throws -> any Integration)?

    /// Creates an embedded service.
    public init(name: String, type: String, make: (@Sendable (AdapterEnvironment) throws -> any Integration)?) {
        self.name = name
        self.type = type
        self.make = make
    }
}

/// One adapter family (databases, file storage, calendars, ...): the template every family follows. It owns its
/// types' schemas and factories, its embedded default, and how the seed's files that leave `type` out name its
/// types. See `docs/ADAPTERS.md`.
public struct AdapterFamily: Sendable {
    /// The family's name (`database`, `storage`).
    public var name: String
    /// One factory per configuration `type`.
    public var factories: [AdapterFactory]
    /// The services that exist with no configuration.
    public var embedded: [EmbeddedService]
    /// The type of a block written without `type`, when this family recognises it (`bucket` means S3), or `nil`.
    /// Families are asked in registration order; the first answer wins.
    public var inferType: @Sendable (_ service: String, _ block: ConfigNode) -> String?

    /// Creates a family.
    public init(
        name: String,
        factories: [AdapterFactory],
        embedded: [EmbeddedService] = [],
        inferType: @escaping @Sendable (_ service: String, _ block: ConfigNode) -> String? = { _, _ in nil }
    ) {
        self.name = name
        self.factories = factories
        self.embedded = embedded
        self.inferType = inferType
    }
}

/// How one service stands after ``IntegrationManager/bootstrap(configuration:factories:embedded:environment:)``.
public struct ServiceStatus: Sendable {
    /// The service name.
    public var name: String
    /// Its type.
    public var type: String
    /// `configured` (from a file) or `embedded` (a default).
    public var source: String
    /// Whether this build has an adapter for the type.
    public var isAvailable: Bool
    /// Whether the policy enables it.
    public var isEnabled: Bool
    /// Why it is not available, when it is not.
    public var reason: String?
    /// Where it was configured.
    public var location: SourceLocation?
}

extension IntegrationManager {
    /// Registers an adapter for every configured service whose type has a factory, and every embedded service the
    /// configuration does not replace, each with its policy. Makes no network call.
    ///
    /// - Returns: The status of every service, available or not, sorted by name.
    /// - Throws: ``IntegrationError`` when two services share a name. A factory that refuses its block leaves
    ///   that service unavailable, with the reason in its status.
    @discardableResult
    public func bootstrap(
        configuration: Configuration,
        families: [AdapterFamily],
        environment: AdapterEnvironment
    ) throws -> [ServiceStatus] {
        try bootstrap(
            configuration: configuration,
            factories: families.flatMap(\.factories),
            embedded: families.flatMap(\.embedded),
            environment: environment
        )
    }

    /// ``bootstrap(configuration:families:environment:)`` with the families' factories and embedded services
    /// given apart.
    @discardableResult
    public func bootstrap(
        configuration: Configuration,
        factories: [AdapterFactory],
        embedded: [EmbeddedService],
        environment: AdapterEnvironment
    ) throws -> [ServiceStatus] {
        var statuses: [ServiceStatus] = []
        for service in configuration.services {
            let policy = configuration.policy(for: service.name)
            var status = ServiceStatus(
                name: service.name,
                type: service.type,
                source: "configured",
                isAvailable: false,
                isEnabled: policy.enabled,
                location: service.location
            )
            if let make = factories.first(where: { $0.type == service.type })?.make {
                var serviceEnvironment = environment
                serviceEnvironment.policy = policy
                do {
                    try register(make(service, serviceEnvironment), as: service.name, policy: policy)
                    status.isAvailable = true
                } catch {
                    // One unusable service (a placeholder password, a missing key file) must not take the others
                    // down: it is listed as not available, with the reason, and calls to it say why.
                    status.reason = (error as? ConfigurationError)?.description ?? String(describing: error)
                }
            } else {
                status.reason = "this build has no \(service.type) adapter yet"
            }
            if let reason = status.reason { markUnusable(service.name, reason: reason) }
            statuses.append(status)
        }
        for service in embedded where configuration.service(service.name) == nil {
            guard let make = service.make else { continue }
            let policy = configuration.policy(for: service.name)
            var serviceEnvironment = environment
            serviceEnvironment.policy = policy
            try register(make(serviceEnvironment), as: service.name, policy: policy)
            statuses.append(
                ServiceStatus(
                    name: service.name,
                    type: service.type,
                    source: "embedded",
                    isAvailable: true,
                    isEnabled: policy.enabled
                )
            )
        }
        return statuses.sorted { $0.name < $1.name }
    }
}
