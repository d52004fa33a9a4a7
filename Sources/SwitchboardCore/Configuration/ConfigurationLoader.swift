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

    // MARK: Files

    /// The configuration files at `path`: the file itself, or every `*.yaml`, `*.yml`, `*.yaml.enc` and
    /// `*.yml.enc` file in the directory, sorted by name.
    public static func configurationFiles(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(at: SourceLocation(file: path), "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ConfigurationError(at: SourceLocation(file: path), "cannot list the directory")
        }
        return names.filter { name in
            !name.hasPrefix(".") && [".yaml", ".yml", ".yaml.enc", ".yml.enc"].contains { name.hasSuffix($0) }
        }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// Reads a configuration file's text: refuses files over the size limit, binary files and non-UTF-8 text;
    /// decrypts `*.enc` files.
    public func readText(of file: String, cipher: ConfigCipher) throws -> String {
        let location = SourceLocation(file: file)
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        if let size = attributes?[.size] as? NSNumber, size.intValue > maximumFileSize {
            throw ConfigurationError(
                at: location,
                "file is \(size.intValue / 1024) KiB; configuration files over \(maximumFileSize / 1024) KiB are refused"
            )
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(at: location, "cannot read the file (check that it exists and is readable)")
        }
        if data.count > maximumFileSize {
            throw ConfigurationError(at: location, "file is over \(maximumFileSize / 1024) KiB and is refused")
        }
        if data.contains(0) {
            throw ConfigurationError(at: location, "file is binary (it contains NUL bytes), not YAML text")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(at: location, "file is not UTF-8 text")
        }
        if file.hasSuffix(".enc") {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard ConfigCipher.isEncrypted(token) else {
                throw ConfigurationError(
                    at: location,
                    "an encrypted file must hold one enc:v1:KEYID:BASE64 value (use `switchboard secrets encrypt --file`)"
                )
            }
            do {
                let plain = try cipher.decrypt(token)
                guard let decoded = String(data: plain, encoding: .utf8) else {
                    throw ConfigurationError(at: location, "decrypted file is not UTF-8 text")
                }
                text = decoded
            } catch let error as IntegrationError {
                throw ConfigurationError(at: location, error.message)
            }
        }
        return text
    }

    /// Parses YAML text into a tree with locations.
    public static func parse(_ text: String, file: String) throws -> ConfigNode? {
        if let line = complexKeyLine(in: text) {
            throw ConfigurationError(
                at: SourceLocation(file: file, line: line, column: 1),
                "a complex or aliased mapping key; keys must be plain text (write the key itself)"
            )
        }
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError([Self.diagnostic(for: error, file: file)])
        } catch {
            throw ConfigurationError(at: SourceLocation(file: file), "cannot parse YAML")
        }
        guard let node else { return nil }
        var errors: [ConfigDiagnostic] = []
        var budget = ExpansionBudget()
        let tree = convert(node, file: file, path: "", errors: &errors, budget: &budget)
        if !errors.isEmpty { throw ConfigurationError(errors) }
        return tree
    }

    /// The most a document may grow to once YAML aliases are expanded: twice the file limit, counted as the
    /// bytes of every scalar plus one per node. A file without aliases stays far below it; nested anchors (a
    /// "billion laughs" file of a few hundred bytes) are refused before they take the memory.
    public static let maximumExpandedSize = 2 << 20

    private struct ExpansionBudget {
        var used = 0
        var exceeded = false
    }

    /// Refuses explicit (`? `) keys and aliases used as keys before the YAML library hashes them: keys are plain
    /// text here, and hashing an alias of a nested anchor costs as much as expanding it.
    private static func complexKeyLine(in text: String) -> Int? {
        guard text.contains("?") || text.contains("*") else { return nil }
        let patterns = [
            #"^[ \t-]*\?[ \t]"#, #"^[ \t-]*\?$"#, #"^[ \t-]*\*[^\s\[\]{},]+[ \t]*:([ \t]|$)"#,
            #"[{,][ \t]*\*[^\s\[\]{},]+[ \t]*:([ \t]|$)"#,
        ]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.contains("?") || line.contains("*") else { continue }
            let line = String(line)
            for pattern in patterns where line.range(of: pattern, options: .regularExpression) != nil {
                return index + 1
            }
        }
        return nil
    }

    private static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "malformed YAML: \(problem)"
            if let context { message += " (\(context.text))" }
            return ConfigDiagnostic(
                .error,
                at: SourceLocation(file: file, line: mark.line, column: mark.column),
                message
            )
        case .duplicatedKeysInMapping(let duplicates, let context):
            // The library points at the first occurrence; the mistake is the repeat, so point there.
            let first = context.mark
            let key = duplicates.sorted().first ?? ""
            let second = repeatLine(of: key, after: first.line, column: first.column, in: context.text)
            return ConfigDiagnostic(
                .error,
                at: SourceLocation(file: file, line: second ?? first.line, column: first.column),
                "key \(duplicates.sorted().joined(separator: ", ")) is given twice in one mapping"
                    + (second != nil ? " (first at line \(first.line))" : "")
            )
        case .reader(let problem, _, _, _):
            return ConfigDiagnostic(.error, at: SourceLocation(file: file), "unreadable YAML: \(problem)")
        default:
            return ConfigDiagnostic(.error, at: SourceLocation(file: file), "malformed YAML")
        }
    }

    /// The line (from 1) after `line` where `key` is written again at `column`, as a block mapping's key.
    static func repeatLine(of key: String, after line: Int, column: Int, in text: String) -> Int? {
        guard !key.isEmpty else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line < lines.count else { return nil }
        for index in line..<lines.count {
            let text = lines[index]
            let indent = text.prefix { $0 == " " || $0 == "-" }.count
            guard indent + 1 == column else { continue }
            var rest = text.dropFirst(indent)
            for quote in ["\"", "'"] where rest.hasPrefix(quote + key + quote) {
                rest = rest.dropFirst(key.count + 2)
                return rest.drop { $0 == " " }.hasPrefix(":") ? index + 1 : nil
            }
            guard rest.hasPrefix(key) else { continue }
            if rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") { return index + 1 }
        }
        return nil
    }

    private static func location(_ mark: Yams.Mark?, file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line, column: mark?.column)
    }

    private static func convert(
        _ node: Yams.Node,
        file: String,
        path: String,
        errors: inout [ConfigDiagnostic],
        budget: inout ExpansionBudget
    ) -> ConfigNode {
        let here = location(node.mark, file: file)
        budget.used += 1 + (node.scalar?.string.utf8.count ?? 0)
        if budget.used > maximumExpandedSize {
            if !budget.exceeded {
                budget.exceeded = true
                errors.append(
                    ConfigDiagnostic(
                        .error,
                        at: here,
                        keyPath: path,
                        "the document expands to more than \(maximumExpandedSize >> 20) MiB through YAML aliases (anchors used inside anchors); write the values out or use fewer aliases"
                    )
                )
            }
            return ConfigNode(value: .scalar(""), location: here)
        }
        switch node {
        case .scalar(let scalar):
            return ConfigNode(value: .scalar(scalar.string), location: here, isQuoted: scalar.style != .plain)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for (index, item) in sequence.enumerated() {
                items.append(convert(item, file: file, path: "\(path)[\(index)]", errors: &errors, budget: &budget))
            }
            return ConfigNode(value: .sequence(items), location: here)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            for (key, value) in mapping {
                let keyLocation = location(key.mark, file: file)
                guard let name = key.scalar?.string else {
                    errors.append(ConfigDiagnostic(.error, at: keyLocation, keyPath: path, "keys must be plain text"))
                    continue
                }
                let childPath = path.isEmpty ? name : path + "." + name
                if let first = entries.first(where: { $0.key == name }) {
                    errors.append(
                        ConfigDiagnostic(
                            .error,
                            at: keyLocation,
                            keyPath: childPath,
                            "key is given twice (first at line \(first.keyLocation.line ?? 0))"
                        )
                    )
                    continue
                }
                entries.append(
                    ConfigNode.Entry(
                        key: name,
                        keyLocation: keyLocation,
                        node: convert(value, file: file, path: childPath, errors: &errors, budget: &budget)
                    )
                )
            }
            return ConfigNode(value: .mapping(entries), location: here)
        case .alias:
            errors.append(ConfigDiagnostic(.error, at: here, keyPath: path, "YAML aliases are not supported"))
            return ConfigNode(value: .scalar(""), location: here)
        }
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

    // MARK: Services

    private func validateService(
        _ block: ConfigNode.Entry,
        errors: inout [ConfigDiagnostic],
        warnings: inout [ConfigDiagnostic]
    ) -> ServiceConfiguration? {
        let name = block.key
        guard name.range(of: #"^[A-Za-z][A-Za-z0-9_-]*$"#, options: .regularExpression) != nil else {
            errors.append(
                ConfigDiagnostic(
                    .error,
                    at: block.keyLocation,
                    keyPath: name,
                    "a service name must start with a letter and hold only letters, digits, _ and -"
                )
            )
            return nil
        }
        guard let entries = block.node.entries else {
            var message = "expected a service block (a mapping with a type), found \(block.node.shapeDescription)"
            if let suggestion = Suggestion.closest(to: name, among: Configuration.reservedKeys) {
                message += "; did you mean the reserved key \(suggestion)?"
            }
            errors.append(ConfigDiagnostic(.error, at: block.node.location, keyPath: name, message))
            return nil
        }
        let typeNode = block.node["type"]
        let type: String
        if let typeNode, let given = typeNode.scalar, !typeNode.isNull {
            guard let schema = registry.schema(named: given) else {
                var message = "unknown type \(given); expected one of \(registry.typeNames.joined(separator: ", "))"
                if let suggestion = Suggestion.closest(to: given, among: registry.typeNames) {
                    message += "; did you mean \(suggestion)?"
                }
                errors.append(ConfigDiagnostic(.error, at: typeNode.location, keyPath: "\(name).type", message))
                return nil
            }
            type = schema.type
        } else if let inferred = registry.inferType(service: name, block: block.node) {
            type = inferred
        } else {
            errors.append(
                ConfigDiagnostic(
                    .error,
                    at: block.keyLocation,
                    keyPath: "\(name).type",
                    "type is missing and cannot be inferred; add type: (one of "
                        + registry.typeNames.joined(separator: ", ") + ")"
                )
            )
            return nil
        }
        let schema = registry.schema(named: type)!
        var service = ServiceConfiguration(
            name: name,
            type: type,
            location: block.keyLocation,
            entries: entries,
            environment: environment
        )
        service.family = schema.family
        validate(
            entries,
            keys: schema.keys,
            service: name,
            prefix: "",
            what: "a \(type) service",
            into: &service,
            errors: &errors,
            warnings: &warnings
        )
        for requirement in schema.required where !requirement.contains(where: { service.node($0) != nil }) {
            let what = requirement.count == 1 ? requirement[0] : "one of " + requirement.joined(separator: ", ")
            errors.append(
                ConfigDiagnostic(.error, at: block.keyLocation, keyPath: name, "a \(type) service needs \(what)")
            )
        }
        return service
    }

    /// Validates a service block's entries, or a nested block's (`smtp:` inside an e-mail service), key by key:
    /// unknown keys with a did-you-mean, kinds, placeholders (recorded as dotted paths relative to the service).
    private func validate(
        _ entries: [ConfigNode.Entry],
        keys: [ServiceSchema.Key],
        service name: String,
        prefix: String,
        what: String,
        into service: inout ServiceConfiguration,
        errors: inout [ConfigDiagnostic],
        warnings: inout [ConfigDiagnostic]
    ) {
        let allowed = keys.map(\.name)
        for entry in entries {
            let relative = prefix + entry.key
            let path = "\(name).\(relative)"
            guard let key = keys.first(where: { $0.name == entry.key }) else {
                var message = "unknown key \(entry.key) for \(what)"
                if let suggestion = Suggestion.closest(to: entry.key, among: allowed) {
                    message += "; did you mean \(suggestion)?"
                } else if prefix.isEmpty,
                    ["enabled", "max_rate_limit", "retry_attempts", "max_connections"].contains(entry.key)
                {
                    message += "; policies go under integrations.\(name)"
                }
                errors.append(ConfigDiagnostic(.error, at: entry.keyLocation, keyPath: path, message))
                continue
            }
            if entry.node.isNull { continue }
            if let problem = Self.check(entry.node, against: key) {
                errors.append(ConfigDiagnostic(.error, at: entry.node.location, keyPath: path, problem))
                continue
            }
            if case .block(let inner) = key.kind, let children = entry.node.entries {
                validate(
                    children,
                    keys: inner,
                    service: name,
                    prefix: relative + ".",
                    what: "the \(entry.key) block",
                    into: &service,
                    errors: &errors,
                    warnings: &warnings
                )
                continue
            }
            if entry.node.origin == .literal, let value = entry.node.scalar,
                Self.isPlaceholder(value, key: entry.key)
            {
                service.placeholderKeys.insert(relative)
                let shown = key.isSecret ? "" : " (\(value))"
                warnings.append(
                    ConfigDiagnostic(
                        .warning,
                        at: entry.node.location,
                        keyPath: path,
                        "value looks like a placeholder\(shown); it will not be sent to the service until replaced"
                    )
                )
            }
        }
    }

    static func check(_ node: ConfigNode, against key: ServiceSchema.Key) -> String? {
        let found = key.isSecret ? node.shapeDescription : describe(node)
        switch key.kind {
        case .block:
            return node.entries == nil ? "expected a mapping of keys, found \(found)" : nil
        case .mapping:
            guard let entries = node.entries else { return "expected a mapping, found \(found)" }
            if key.name == "headers" {
                // Header values are often tokens: checked like secrets, and never shown.
                for entry in entries {
                    guard let value = entry.node.scalar else { return "headers.\(entry.key) must be text" }
                    if let problem = lineBreakProblem(value) { return "headers.\(entry.key) " + problem }
                    if !isHeaderName(entry.key) { return "headers: \(entry.key) is not a valid header name" }
                }
            }
            return nil
        case .stringList:
            if case .mapping = node.value { return "expected a list of text, found a mapping" }
            if case .sequence(let items) = node.value, items.contains(where: { $0.scalar == nil }) {
                return "expected a list of text, found a nested list or mapping"
            }
            return nil
        default:
            guard let text = node.scalar else { return "expected \(key.kind.expectation), found \(found)" }
            if (key.isSecret || key.kind == .url || key.name == "user_agent"), let problem = lineBreakProblem(text) {
                return problem
            }
            switch key.kind {
            case .url:
                return urlProblem(text, found: found)
            case .integer:
                guard let value = Int(text) else { return "expected an integer, found \(found)" }
                if let minimum = key.minimum, Double(value) < minimum {
                    return "must be at least \(Int(minimum)), found \(value)"
                }
            case .number:
                guard let value = Double(text) else { return "expected a number, found \(found)" }
                if let minimum = key.minimum, value < minimum { return "must be at least \(minimum), found \(text)" }
            case .boolean:
                if ConfigNode.boolValue(text) == nil { return "expected true or false, found \(found)" }
            case .oneOf(let words):
                if !words.contains(text.lowercased()) {
                    var message = "expected \(key.kind.expectation), found \(found)"
                    if let suggestion = Suggestion.closest(to: text, among: words) {
                        message += "; did you mean \(suggestion)?"
                    }
                    return message
                }
            default:
                break
            }
            return nil
        }
    }

    /// A value sent in a header or URL must not hold CR, LF or NUL: it would split the request. The value itself
    /// is never shown (it is often a credential).
    static func lineBreakProblem(_ text: String) -> String? {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return nil }
        let trailing = text.hasSuffix("\n") || text.hasSuffix("\r")
        return "holds a line break (CR or LF)"
            + (trailing ? " at its end; a value read from a file or ${VAR} kept its trailing newline" : "")
            + "; remove it"
    }

    /// RFC 9110 token characters.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
    }

    /// Why `text` is not an absolute http(s) URL with a host, or `nil`.
    static func urlProblem(_ text: String, found: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "expected an http or https URL (such as https://api.example.com/v1), found \(found)"
        }
        guard scheme == "http" || scheme == "https" else {
            return "expected an http or https URL, found the scheme \(scheme): in \(found)"
        }
        guard let host = components.host, !host.isEmpty else {
            return "expected an http or https URL with a host, found \(found)"
        }
        return nil
    }

    static func describe(_ node: ConfigNode) -> String {
        guard let text = node.scalar else { return node.shapeDescription }
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\(node.shapeDescription) '\(shown)'"
    }

    /// Whether a literal value looks like a placeholder left from an example (`your_api_key`, `<token>`,
    /// `changeme`, or a secret equal to its own key name, as `password: password`).
    public static func isPlaceholder(_ value: String, key: String) -> Bool {
        let lowered = value.lowercased().trimmingCharacters(in: .whitespaces)
        if lowered.hasPrefix("your_") || lowered.hasPrefix("your-") || lowered.hasPrefix("your ") { return true }
        if lowered.hasPrefix("<") && lowered.hasSuffix(">") { return true }
        let words: Set<String> = [
            "changeme", "change_me", "change-me", "replace_me", "replaceme", "placeholder", "todo", "tbd", "xxx",
            "xxxx", "xxxxx", "secret", "example",
        ]
        if words.contains(lowered) { return true }
        if ServiceSchema.secretKeyNames.contains(key)
            && (lowered == key || lowered == key.replacingOccurrences(of: "_", with: ""))
        {
            return true
        }
        return false
    }

    private func permissionWarnings(file: String, entries: [ConfigNode.Entry]) -> [ConfigDiagnostic] {
        var secretPaths: [String] = []
        func walk(_ node: ConfigNode, path: String) {
            guard let entries = node.entries else { return }
            for entry in entries {
                let childPath = path.isEmpty ? entry.key : path + "." + entry.key
                if ServiceSchema.secretKeyNames.contains(entry.key), let value = entry.node.scalar, !entry.node.isNull,
                    !value.contains("${"), !ConfigCipher.isEncrypted(value)
                {
                    secretPaths.append(childPath)
                }
                walk(entry.node, path: childPath)
            }
        }
        walk(ConfigNode(value: .mapping(entries), location: SourceLocation(file: file)), path: "")
        guard !secretPaths.isEmpty,
            let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue,
            permissions & 0o077 != 0
        else { return [] }
        return [
            ConfigDiagnostic(
                .warning,
                at: SourceLocation(file: file),
                "holds plain-text secrets (\(secretPaths.joined(separator: ", "))) and is readable by group or others "
                    + "(mode \(String(permissions & 0o777, radix: 8))); run chmod 600 \(file), or use ${VAR} or enc: values"
            )
        ]
    }

    private func loadContacts(_ entry: ConfigNode.Entry, errors: inout [ConfigDiagnostic]) -> [String: String] {
        guard let entries = entry.node.entries else {
            if !entry.node.isNull {
                errors.append(
                    ConfigDiagnostic(
                        .error,
                        at: entry.node.location,
                        keyPath: "contacts",
                        "expected a mapping of names to e-mail addresses, found \(entry.node.shapeDescription)"
                    )
                )
            }
            return [:]
        }
        var contacts: [String: String] = [:]
        for contact in entries {
            guard let address = contact.node.scalar, address.contains("@"), !address.contains(" ") else {
                errors.append(
                    ConfigDiagnostic(
                        .error,
                        at: contact.node.location,
                        keyPath: "contacts.\(contact.key)",
                        "expected an e-mail address, found \(Self.describe(contact.node))"
                    )
                )
                continue
            }
            contacts[contact.key.lowercased()] = address
        }
        return contacts
    }

    // MARK: Overrides

    private func applyOverrides(services: inout [ConfigNode.Entry], policies: inout [ConfigNode.Entry]) throws {
        var assignments: [(path: [String], value: String, location: SourceLocation)] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix("SWITCHBOARD_") && name.contains("__") {
            let path = name.dropFirst("SWITCHBOARD_".count).components(separatedBy: "__").map { $0.lowercased() }
            assignments.append((path, value, SourceLocation(file: "environment variable \(name)")))
        }
        for item in overrides {
            guard let equals = item.firstIndex(of: "=") else {
                throw ConfigurationError(
                    at: SourceLocation(file: "--set \(item)"),
                    "expected KEY.PATH=VALUE, such as --set database.host=127.0.0.1"
                )
            }
            let path = item[..<equals].split(separator: ".").map(String.init)
            assignments.append((path, String(item[item.index(after: equals)...]), SourceLocation(file: "--set")))
        }
        for assignment in assignments {
            guard assignment.path.count >= 2, !assignment.path.contains(where: \.isEmpty) else {
                throw ConfigurationError(
                    at: assignment.location,
                    "an override needs a service and a key, such as database.host"
                )
            }
            let leaf = ConfigNode(
                value: .scalar(assignment.value),
                location: assignment.location,
                isQuoted: true,
                origin: .override
            )
            if assignment.path[0] == "integrations" {
                guard assignment.path.count == 3 else {
                    throw ConfigurationError(at: assignment.location, "expected integrations.SERVICE.KEY")
                }
                Self.set(leaf, at: Array(assignment.path.dropFirst()), in: &policies, location: assignment.location)
            } else if Configuration.reservedKeys.contains(assignment.path[0]) {
                continue
            } else {
                Self.set(leaf, at: assignment.path, in: &services, location: assignment.location)
            }
        }
    }

    private static func set(
        _ leaf: ConfigNode,
        at path: [String],
        in entries: inout [ConfigNode.Entry],
        location: SourceLocation
    ) {
        let key = path[0]
        if path.count == 1 {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                entries[index].node = leaf
            } else {
                entries.append(ConfigNode.Entry(key: key, keyLocation: location, node: leaf))
            }
            return
        }
        if let index = entries.firstIndex(where: { $0.key == key }), var children = entries[index].node.entries {
            set(leaf, at: Array(path.dropFirst()), in: &children, location: location)
            entries[index].node.value = .mapping(children)
        } else {
            var children: [ConfigNode.Entry] = []
            set(leaf, at: Array(path.dropFirst()), in: &children, location: location)
            let node = ConfigNode(value: .mapping(children), location: location)
            if let index = entries.firstIndex(where: { $0.key == key }) {
                entries[index].node = node
            } else {
                entries.append(ConfigNode.Entry(key: key, keyLocation: location, node: node))
            }
        }
    }
}

/// Resolves `${VAR}`, `${VAR:-default}` and `enc:v1:` values in a tree, collecting errors.
struct ValueResolver {
    let environment: [String: String]
    let cipher: ConfigCipher
    var errors: [ConfigDiagnostic] = []

    mutating func resolve(_ node: ConfigNode, path: String) -> ConfigNode {
        var node = node
        switch node.value {
        case .scalar(let text):
            var value = text
            if text.contains("${") {
                do {
                    value = try Self.interpolate(text, environment: environment)
                    if value != text { node.origin = .environment }
                } catch let error as InterpolationError {
                    errors.append(ConfigDiagnostic(.error, at: node.location, keyPath: path, error.message))
                    return node
                } catch {
                    return node
                }
            }
            if ConfigCipher.isEncrypted(value.trimmingCharacters(in: .whitespaces)) {
                do {
                    value = try cipher.decryptString(value)
                    node.origin = .encrypted
                } catch let error as IntegrationError {
                    errors.append(ConfigDiagnostic(.error, at: node.location, keyPath: path, error.message))
                    return node
                } catch {
                    return node
                }
            }
            node.value = .scalar(value)
            if node.origin != .literal { node.isQuoted = node.isQuoted || value != text }
        case .sequence(let items):
            node.value = .sequence(items.enumerated().map { resolve($1, path: "\(path)[\($0)]") })
        case .mapping(let entries):
            node.value = .mapping(
                entries.map { entry in
                    var entry = entry
                    entry.node = resolve(entry.node, path: path + "." + entry.key)
                    return entry
                }
            )
        }
        return node
    }

    struct InterpolationError: Error { let message: String }

    /// Replaces `${VAR}` and `${VAR:-default}`; `$${` stands for a literal `${`.
    static func interpolate(_ text: String, environment: [String: String]) throws -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "$" {
                let next = text.index(after: index)
                if next < text.endIndex && text[next] == "$" {
                    let afterNext = text.index(after: next)
                    if afterNext < text.endIndex && text[afterNext] == "{" {
                        out += "$"
                        index = next
                        out += "{"
                        index = text.index(after: afterNext)
                        continue
                    }
                }
                if next < text.endIndex && text[next] == "{" {
                    guard let close = text[next...].firstIndex(of: "}") else {
                        throw InterpolationError(message: "unterminated ${ reference (missing })")
                    }
                    let inner = String(text[text.index(after: next)..<close])
                    var name = inner
                    var fallback: String?
                    if let range = inner.range(of: ":-") {
                        name = String(inner[..<range.lowerBound])
                        fallback = String(inner[range.upperBound...])
                    }
                    guard name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                        throw InterpolationError(
                            message: "malformed reference ${\(inner)}; expected ${VAR} or ${VAR:-default}"
                        )
                    }
                    if let value = environment[name], !(fallback != nil && value.isEmpty) {
                        out += value
                    } else if let fallback {
                        out += fallback
                    } else {
                        throw InterpolationError(
                            message: "environment variable \(name) is not set (write ${\(name):-default} for a default)"
                        )
                    }
                    index = text.index(after: close)
                    continue
                }
            }
            out.append(c)
            index = text.index(after: index)
        }
        return out
    }
}
