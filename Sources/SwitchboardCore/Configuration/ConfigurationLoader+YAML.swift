import Foundation
import Yams

extension ConfigurationLoader {
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

    struct ExpansionBudget {
        var used = 0
        var exceeded = false
    }

    /// Refuses explicit (`? `) keys and aliases used as keys before the YAML library hashes them: keys are plain
    /// text here, and hashing an alias of a nested anchor costs as much as expanding it.
    static func complexKeyLine(in text: String) -> Int? {
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

    static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
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

    static func location(_ mark: Yams.Mark?, file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line, column: mark?.column)
    }

    static func convert(
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
}
