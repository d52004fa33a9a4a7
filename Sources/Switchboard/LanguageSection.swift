import SwitchboardCore
import SwitchboardLanguage

/// The `language:` block of a configuration, owned here (SwitchboardLanguage itself knows nothing of YAML):
/// `date_order`, `windows` and `meeting_starts`, each checked with its file, line and key.
public enum LanguageSection {
    /// The parser's settings from `configuration` (its `language:` block and its `contacts:`).
    /// - Throws: ``ConfigurationError`` naming every wrong key.
    public static func parserConfiguration(_ configuration: Configuration) throws -> TaskParser.Configuration {
        var (result, errors) = read(configuration.language)
        if !errors.isEmpty { throw ConfigurationError(errors) }
        result.contacts = configuration.contacts
        return result
    }

    /// What is wrong with a `language:` block (nothing: empty), for `config check`.
    public static func diagnostics(_ node: ConfigNode) -> [ConfigDiagnostic] { read(node).1 }

    static func read(_ node: ConfigNode?) -> (TaskParser.Configuration, [ConfigDiagnostic]) {
        var result = TaskParser.Configuration()
        var errors: [ConfigDiagnostic] = []
        guard let node, let entries = node.entries else { return (result, errors) }
        func fail(_ location: SourceLocation, _ path: String, _ message: String) {
            errors.append(ConfigDiagnostic(.error, at: location, keyPath: path, message))
        }
        for entry in entries {
            let path = "language.\(entry.key)"
            switch entry.key {
            case "date_order":
                guard let value = entry.node.scalar?.lowercased(), let order = TaskParser.DateOrder(rawValue: value)
                else {
                    fail(entry.node.location, path, "must be mdy, dmy or ask (how 3/5 reads)")
                    continue
                }
                result.dateOrder = order
            case "windows", "meeting_starts":
                guard let windows = entry.node.entries else {
                    fail(
                        entry.node.location,
                        path,
                        "expected a mapping of parts of the day, such as morning: \"08:00-12:00\""
                    )
                    continue
                }
                for window in windows {
                    let windowPath = "\(path).\(window.key)"
                    guard let part = PartOfDay(rawValue: window.key) else {
                        var message = "is not a part of the day (morning, afternoon, evening, night)"
                        if let suggestion = Suggestion.closest(
                            to: window.key,
                            among: ["morning", "afternoon", "evening", "night"]
                        ) {
                            message += "; did you mean \(suggestion)?"
                        }
                        fail(window.keyLocation, windowPath, message)
                        continue
                    }
                    let text = window.node.scalar ?? ""
                    let hours = text.split(whereSeparator: { $0 == "-" || $0 == " " }).compactMap {
                        Int($0.split(separator: ":").first ?? "")
                    }
                    if entry.key == "windows" {
                        guard hours.count == 2, hours[0] >= 0, hours[1] <= 24, hours[0] < hours[1] else {
                            fail(window.node.location, windowPath, "must be hours like \"08:00-12:00\"")
                            continue
                        }
                        result.windows[part] = (hours[0], hours[1])
                    } else {
                        guard hours.count == 1, hours[0] >= 0, hours[0] < 24 else {
                            fail(window.node.location, windowPath, "must be an hour like \"14:00\"")
                            continue
                        }
                        result.defaultStarts[part] = hours[0]
                    }
                }
            default:
                var message = "unknown key (known: date_order, windows, meeting_starts)"
                if let suggestion = Suggestion.closest(
                    to: entry.key,
                    among: ["date_order", "windows", "meeting_starts"]
                ) {
                    message += "; did you mean \(suggestion)?"
                }
                fail(entry.keyLocation, path, message)
            }
        }
        return (result, errors)
    }
}
