import Foundation

extension ConfigurationLoader {
    // MARK: Services

    func validateService(
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
    func validate(
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
                let blocks = keys.filter { key in
                    guard case .block(let inner) = key.kind else { return false }
                    return inner.contains { $0.name == entry.key }
                }
                if !blocks.isEmpty {
                    let names = blocks.map { "\($0.name):" }.joined(separator: " or ")
                    message += "; it belongs inside the \(names) block (\(blocks[0].name): {\(entry.key): ...})"
                } else if let suggestion = Suggestion.closest(to: entry.key, among: allowed) {
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
        // A URL may carry credentials (`https://user:token@host`): then it is described, never shown.
        let found = text.contains("@") ? "a URL with credentials in it (not shown)" : found
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

    func permissionWarnings(file: String, entries: [ConfigNode.Entry]) -> [ConfigDiagnostic] {
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
}
