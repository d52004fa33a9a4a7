import Foundation
import Yams

/// Loads configuration from the seed's files, one `switchboard.yaml`, or a directory of `*.yaml` and `*.yaml.enc`
/// files; resolves `${VAR}` references and `enc:v1:` values; applies `SWITCHBOARD_*` variables and `--set` flags;
/// and validates everything, reporting file, line, key path, what was expected and what was found.
///
/// ## Configuration keys
/// - Top level: one key per service (its block's `type` selects the adapter), plus the reserved `integrations`
///   (policies per service), `contacts`, `language` and `state_store`.
/// - Overrides: `SWITCHBOARD_<SERVICE>__<KEY>=value` (segments joined by `__`, case-insensitive), and `--set
///   service.key=value` on the command line, which wins.
public struct ConfigurationLoader: Sendable {
    /// The environment: `${VAR}` references, `SWITCHBOARD_*` overrides, encryption keys, well-known fallbacks.
    public var environment: [String: String]
    /// `key.path=value` overrides from the command line; they beat the environment and the files.
    public var overrides: [String]
    /// When `true`, placeholder values are errors rather than warnings (`config check --strict`).
    public var strict: Bool
    /// Files larger than this are refused before parsing. Default 1 MiB.
    public var maximumFileSize: Int = 1 << 20
    /// The service types known, from the adapter families registered (`SwitchboardRuntime.registry` holds every
    /// family this build has).
    public var registry: SchemaRegistry

    /// Creates a loader that knows the types in `registry`.
    public init(
        registry: SchemaRegistry,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String] = [],
        strict: Bool = false
    ) {
        self.registry = registry
        self.environment = environment
        self.overrides = overrides
        self.strict = strict
    }

    // MARK: Loading

    /// Loads the configuration at `path` (a file or a directory); `nil` loads none (embedded defaults only), but
    /// still applies `SWITCHBOARD_*` variables and `--set` overrides.
    /// - Throws: ``ConfigurationError`` with every error found; nothing is half-loaded.
    public func load(path: String?) throws -> Configuration {
        let cipher: ConfigCipher
        do {
            cipher = try ConfigCipher.fromEnvironment(environment)
        } catch let error as IntegrationError {
            throw ConfigurationError(at: SourceLocation(file: "environment"), error.message)
        }
        var configuration = Configuration()
        var serviceBlocks: [ConfigNode.Entry] = []
        var policyBlocks: [ConfigNode.Entry] = []
        var reserved: [String: ConfigNode.Entry] = [:]
        var errors: [ConfigDiagnostic] = []
        var warnings: [ConfigDiagnostic] = []

        let files = try path.map(Self.configurationFiles(at:)) ?? []
        configuration.files = files
        for file in files {
            let text = try readText(of: file, cipher: cipher)
            guard let tree = try Self.parse(text, file: file), !tree.isNull else {
                throw ConfigurationError(
                    at: SourceLocation(file: file),
                    "file is empty; expected a mapping of service names (see README: Configuration)"
                )
            }
            guard let entries = tree.entries else {
                throw ConfigurationError(
                    at: tree.location,
                    "expected a mapping of service names at the top level, found \(tree.shapeDescription)"
                )
            }
            if !file.hasSuffix(".enc") {
                warnings += permissionWarnings(file: file, entries: entries)
            }
            for entry in entries {
                switch entry.key {
                case "integrations":
                    guard let policies = entry.node.entries else {
                        errors.append(
                            ConfigDiagnostic(
                                .error,
                                at: entry.node.location,
                                keyPath: "integrations",
                                "expected a mapping of service names to policies, found \(entry.node.shapeDescription)"
                            )
                        )
                        continue
                    }
                    for policy in policies {
                        if let first = policyBlocks.first(where: { $0.key == policy.key }) {
                            errors.append(
                                ConfigDiagnostic(
                                    .error,
                                    at: policy.keyLocation,
                                    keyPath: "integrations.\(policy.key)",
                                    "policy is defined twice: here and at \(first.keyLocation)"
                                )
                            )
                        } else {
                            policyBlocks.append(policy)
                        }
                    }
                case "contacts", "language", "state_store":
                    if let first = reserved[entry.key] {
                        errors.append(
                            ConfigDiagnostic(
                                .error,
                                at: entry.keyLocation,
                                keyPath: entry.key,
                                "defined twice: here and at \(first.keyLocation)"
                            )
                        )
                    } else {
                        reserved[entry.key] = entry
                    }
                default:
                    if let first = serviceBlocks.first(where: { $0.key == entry.key }) {
                        errors.append(
                            ConfigDiagnostic(
                                .error,
                                at: entry.keyLocation,
                                keyPath: entry.key,
                                "service \(entry.key) is defined twice: in \(first.keyLocation) and in \(entry.keyLocation)"
                            )
                        )
                    } else {
                        serviceBlocks.append(entry)
                    }
                }
            }
        }
        if !errors.isEmpty { throw ConfigurationError(errors) }

        // Overrides: SWITCHBOARD_* variables, then --set flags (which win).
        try applyOverrides(services: &serviceBlocks, policies: &policyBlocks)

        // Resolve ${VAR} and enc: values everywhere.
        var resolver = ValueResolver(environment: environment, cipher: cipher)
        serviceBlocks = serviceBlocks.map { entry in
            var entry = entry
            entry.node = resolver.resolve(entry.node, path: entry.key)
            return entry
        }
        policyBlocks = policyBlocks.map { entry in
            var entry = entry
            entry.node = resolver.resolve(entry.node, path: "integrations." + entry.key)
            return entry
        }
        for (key, entry) in reserved {
            var entry = entry
            entry.node = resolver.resolve(entry.node, path: key)
            reserved[key] = entry
        }
        errors += resolver.errors

        // Services.
        for block in serviceBlocks {
            if let service = validateService(block, errors: &errors, warnings: &warnings) {
                configuration.services.append(service)
            }
        }

        // Policies.
        let known = configuration.services.map(\.name) + registry.embeddedServiceNames
        for block in policyBlocks {
            if !known.contains(block.key) {
                var message = "no service named \(block.key) is configured"
                if let suggestion = Suggestion.closest(to: block.key, among: known) {
                    message += "; did you mean \(suggestion)?"
                } else {
                    message += " (known: \(Array(Set(known)).sorted().joined(separator: ", ")))"
                }
                errors.append(
                    ConfigDiagnostic(.error, at: block.keyLocation, keyPath: "integrations.\(block.key)", message)
                )
                continue
            }
            if let policy = ServicePolicy.load(from: block.node, service: block.key, errors: &errors) {
                configuration.policies[block.key] = policy
            }
        }

        // Reserved blocks.
        if let contacts = reserved["contacts"] {
            configuration.contacts = loadContacts(contacts, errors: &errors)
        }
        for key in ["language", "state_store"] {
            guard let entry = reserved[key] else { continue }
            if entry.node.entries == nil && !entry.node.isNull {
                errors.append(
                    ConfigDiagnostic(
                        .error,
                        at: entry.node.location,
                        keyPath: key,
                        "expected a mapping, found \(entry.node.shapeDescription)"
                    )
                )
            } else if let validate = registry.sections[key] {
                errors += validate(entry.node)
            }
        }
        configuration.language = reserved["language"]?.node
        configuration.stateStore = reserved["state_store"]?.node

        if strict {
            for warning in warnings where warning.message.contains("placeholder") {
                errors.append(ConfigDiagnostic(.error, at: warning.location, keyPath: warning.keyPath, warning.message))
            }
            warnings.removeAll { $0.message.contains("placeholder") }
        }
        errors.sort { ($0.location.file, $0.location.line ?? 0) < ($1.location.file, $1.location.line ?? 0) }
        if !errors.isEmpty { throw ConfigurationError(errors) }
        configuration.warnings = warnings
        return configuration
    }

}
