import Foundation

extension ConfigurationLoader {
    func loadContacts(_ entry: ConfigNode.Entry, errors: inout [ConfigDiagnostic]) -> [String: String] {
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
}
