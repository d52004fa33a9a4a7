import Foundation

extension ConfigurationLoader {
    // MARK: Overrides

    func applyOverrides(services: inout [ConfigNode.Entry], policies: inout [ConfigNode.Entry]) throws {
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

    static func set(
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
