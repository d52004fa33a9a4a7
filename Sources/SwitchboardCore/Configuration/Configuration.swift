import Foundation

/// A loaded, validated configuration: the services, their policies, and the reserved blocks.
public struct Configuration: Sendable {
    /// The services, in the order they were found.
    public var services: [ServiceConfiguration] = []
    /// The policy of each service named under `integrations`.
    public var policies: [String: ServicePolicy] = [:]
    /// `contacts`: names to e-mail addresses, for the agents.
    public var contacts: [String: String] = [:]
    /// `language`: parser settings, as written.
    public var language: ConfigNode?
    /// `state_store`: where durable state lives, as written.
    public var stateStore: ConfigNode?
    /// The files read, in order.
    public var files: [String] = []
    /// Warnings found while loading (placeholders, readable secrets).
    public var warnings: [ConfigDiagnostic] = []

    /// Creates an empty configuration (embedded defaults only).
    public init() {}

    /// Top-level keys that are not services.
    public static let reservedKeys = ["integrations", "contacts", "language", "state_store"]

    /// The service named `name`.
    public func service(_ name: String) -> ServiceConfiguration? { services.first { $0.name == name } }

    /// The policy of `name`: its `integrations` entry, or the defaults.
    public func policy(for name: String) -> ServicePolicy { policies[name] ?? ServicePolicy() }
}

/// One service block: its name, `type`, and values with where they came from.
///
/// Typed accessors validate as they read and throw ``ConfigurationError`` naming the file, line and key. A value
/// that still holds a placeholder (`your_api_key`) is refused at read time, so it is never sent to a service.
public struct ServiceConfiguration: Sendable {
    /// The service name: its top-level key (`google_calendar`, `team_calendar`).
    public var name: String
    /// The adapter type (`google_calendar`, `postgresql`, ...), given or inferred.
    public var type: String
    /// The family of the type (`calendar`, `database`), from its schema.
    public var family: String = ""
    /// Where the block starts.
    public var location: SourceLocation
    /// The block's entries, in file order.
    public var entries: [ConfigNode.Entry]
    /// Keys whose values look like placeholders.
    public var placeholderKeys: Set<String> = []
    /// The process environment, for well-known fallbacks (`AWS_*`, `PG*`).
    public var environment: [String: String] = [:]

    /// Creates a service configuration (tests and programmatic setups).
    public init(
        name: String,
        type: String,
        location: SourceLocation = SourceLocation(file: "<code>"),
        entries: [ConfigNode.Entry] = [],
        environment: [String: String] = [:]
    ) {
        self.name = name
        self.type = type
        self.location = location
        self.entries = entries
        self.environment = environment
    }

    /// The node for `key`.
    public func node(_ key: String) -> ConfigNode? {
        entries.first { $0.key == key }?.node
    }

    /// The keys present, in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The nested block `key` (`smtp:` inside an e-mail service) as a configuration of its own, with the same
    /// typed accessors: its keys are named `service.key.inner` in errors, and its placeholders are refused the
    /// same way. `nil` when the block is absent.
    public func block(_ key: String) throws -> ServiceConfiguration? {
        guard let node = node(key), !node.isNull else { return nil }
        guard let children = node.entries else {
            throw failure(key, "expected a mapping of keys, found \(node.shapeDescription)")
        }
        var inner = ServiceConfiguration(
            name: "\(name).\(key)",
            type: type,
            location: node.location,
            entries: children,
            environment: environment
        )
        inner.family = family
        let prefix = key + "."
        inner.placeholderKeys = Set(
            placeholderKeys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        )
        return inner
    }

    private func failure(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(at: node(key)?.location ?? location, keyPath: "\(name).\(key)", message)
    }

    private func text(_ key: String) throws -> String? {
        guard let node = node(key), !node.isNull else { return nil }
        guard let text = node.scalar else {
            throw failure(key, "expected text, found \(node.shapeDescription)")
        }
        if placeholderKeys.contains(key) {
            throw failure(key, "still holds a placeholder value; set the real value (or ${VAR}) before use")
        }
        return text
    }

    /// The text of `key`; when absent, the first of `fallback` environment variables that is set.
    public func string(_ key: String, fallback: [String] = []) throws -> String? {
        if let value = try text(key) { return value }
        for variable in fallback { if let value = environment[variable], !value.isEmpty { return value } }
        return nil
    }

    /// The text of `key`, or an error naming the key when it is missing.
    public func requiredString(_ key: String, fallback: [String] = []) throws -> String {
        guard let value = try string(key, fallback: fallback) else {
            let also = fallback.isEmpty ? "" : " (or set \(fallback.joined(separator: " or ")))"
            throw failure(key, "is required for a \(type) service\(also)")
        }
        return value
    }

    /// A credential: redacted in every rendering.
    public func secret(_ key: String, fallback: [String] = []) throws -> Secret? {
        try string(key, fallback: fallback).map(Secret.init)
    }

    /// An integer.
    public func int(_ key: String, fallback: [String] = []) throws -> Int? {
        guard let text = try string(key, fallback: fallback) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw failure(key, "expected an integer, found \(node(key)?.shapeDescription ?? "text")")
        }
        return value
    }

    /// A number.
    public func double(_ key: String) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
            throw failure(key, "expected a number, found \(node(key)?.shapeDescription ?? "text")")
        }
        return value
    }

    /// A Boolean (`true`/`false`, `yes`/`no`, `on`/`off`).
    public func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        guard let value = ConfigNode.boolValue(text) else {
            throw failure(key, "expected true or false, found \(node(key)?.shapeDescription ?? "text")")
        }
        return value
    }

    /// A list of text (a single text value counts as a list of one).
    public func stringList(_ key: String) throws -> [String]? {
        guard let node = node(key), !node.isNull else { return nil }
        switch node.value {
        case .scalar(let s): return [s]
        case .sequence(let items):
            return try items.map { item in
                guard let s = item.scalar else { throw failure(key, "expected a list of text") }
                return s
            }
        case .mapping: throw failure(key, "expected a list of text, found a mapping")
        }
    }

    /// A mapping of text to text (`headers`).
    public func stringMap(_ key: String) throws -> [String: String]? {
        guard let node = node(key), !node.isNull else { return nil }
        guard let entries = node.entries else { throw failure(key, "expected a mapping") }
        var map: [String: String] = [:]
        for entry in entries {
            guard let s = entry.node.scalar else { throw failure(key + "." + entry.key, "expected text") }
            map[entry.key] = s
        }
        return map
    }
}
