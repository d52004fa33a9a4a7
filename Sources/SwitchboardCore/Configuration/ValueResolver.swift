import Foundation

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
