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

/// Builds the adapter for one configuration `type`.
public struct AdapterFactory: Sendable {
    /// The configuration `type` this factory serves.
    public var type: String
    /// Builds an adapter from a service block. Must not make network calls: connections open on first use.
    public var make: @Sendable (ServiceConfiguration, AdapterEnvironment) throws -> any Integration

    /// Creates a factory.
    public init(
        type: String,
        make: @escaping @Sendable (ServiceConfiguration, AdapterEnvironment) throws -> any Integration
    ) {
        self.type = type
        self.make = make
    }
}

/// A service that exists with no configuration (SQLite `database`, local `file_storage`, ...).
public struct EmbeddedService: Sendable {
    /// The service name.
    public var name: String
    /// The type it stands for.
    public var type: String
    /// Builds it.
    public var make: @Sendable (AdapterEnvironment) throws -> any Integration

    /// Creates an embedded service.
    public init(name: String, type: String, make: @escaping @Sendable (AdapterEnvironment) throws -> any Integration) {
        self.name = name
        self.type = type
        self.make = make
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
            if let factory = factories.first(where: { $0.type == service.type }) {
                var serviceEnvironment = environment
                serviceEnvironment.policy = policy
                do {
                    try register(factory.make(service, serviceEnvironment), as: service.name, policy: policy)
                    status.isAvailable = true
                } catch {
                    // One unusable service (a placeholder password, a missing key file) must not take the others
                    // down: it is listed as not available, with the reason, and calls to it say why.
                    status.reason = (error as? ConfigurationError)?.description ?? String(describing: error)
                }
            } else {
                status.reason = "this build has no \(service.type) adapter yet"
            }
            statuses.append(status)
        }
        for service in embedded where configuration.service(service.name) == nil {
            let policy = configuration.policy(for: service.name)
            var serviceEnvironment = environment
            serviceEnvironment.policy = policy
            try register(service.make(serviceEnvironment), as: service.name, policy: policy)
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
