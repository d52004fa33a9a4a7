import Foundation

/// Re-encrypts every encrypted value and file of a configuration under the current key, all or nothing.
///
/// Each `enc:v1:` value in a YAML file is replaced in place (comments and layout stay as they were); each
/// `*.yaml.enc` file is decrypted and encrypted again. Every new file is checked to decrypt under the current key
/// alone before any is written; files are then replaced atomically. On any failure no file changes.
package enum SecretsRotation {
    /// What a rotation did.
    package struct Summary: Sendable, Equatable {
        /// Encrypted values re-encrypted.
        package var values: Int
        /// Files rewritten.
        package var files: Int

        /// Creates a summary.
        package init(values: Int, files: Int) {
            self.values = values
            self.files = files
        }
    }

    private static let pattern = #"enc:v1:[0-9a-fA-F]{8}:[A-Za-z0-9+/=]+"#

    /// Rotates the configuration at `path` (a file or a directory).
    /// - Throws: ``ConfigurationError`` naming the file and value that failed; nothing is written then.
    package static func rotate(path: String, cipher: ConfigCipher, loader: ConfigurationLoader) throws -> Summary {
        guard let current = cipher.current else {
            throw ConfigurationError(
                at: SourceLocation(file: "environment"),
                "CONFIG_ENCRYPTION_KEY (the new key) is not set; set it, and list the old key in CONFIG_ENCRYPTION_PREVIOUS_KEYS"
            )
        }
        let newOnly = ConfigCipher(current: current)
        var plans: [(file: String, content: String, permissions: Int)] = []
        var values = 0
        for file in try ConfigurationLoader.configurationFiles(at: path) {
            let original = try loader.readText(of: file, cipher: cipher)  // decrypts *.enc with any known key
            let (rewritten, count) = try reencryptValues(in: original, file: file, cipher: cipher)
            values += count
            var content = rewritten
            if file.hasSuffix(".enc") {
                content = try newOnly.encrypt(Data(rewritten.utf8)) + "\n"
                values += 1
            } else if count == 0 {
                continue
            }
            // Check: the new text decrypts under the new key alone and still parses.
            let check = file.hasSuffix(".enc") ? try newOnly.decryptString(content) : content
            _ = try ConfigurationLoader.parse(check, file: file)
            _ = try reencryptValues(in: check, file: file, cipher: newOnly)
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            let permissions = (attributes?[.posixPermissions] as? NSNumber)?.intValue ?? 0o600
            plans.append((file, content, permissions & 0o777))
        }
        // Write every temporary file first, then rename them all.
        var temporaries: [(String, String)] = []
        do {
            for plan in plans {
                let temporary = try FileIO.writeTemporary(
                    Data(plan.content.utf8),
                    besides: plan.file,
                    permissions: plan.permissions
                )
                temporaries.append((temporary, plan.file))
            }
        } catch {
            for (temporary, _) in temporaries { FileIO.discard(temporary) }
            throw error
        }
        for (temporary, file) in temporaries { try FileIO.commit(temporary, to: file) }
        return Summary(values: values, files: plans.count)
    }

    /// Re-encrypts every `enc:v1:` value in `text` under the cipher's current key, keeping everything else.
    static func reencryptValues(in text: String, file: String, cipher: ConfigCipher) throws -> (String, Int) {
        let regex = try NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        let matches = regex.matches(in: text, range: NSRange(location: 0, length: ns.length))
        var output = ""
        var cursor = 0
        for match in matches {
            output += ns.substring(with: NSRange(location: cursor, length: match.range.location - cursor))
            let token = ns.substring(with: match.range)
            let line = ns.substring(to: match.range.location).reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            do {
                let plain = try cipher.decrypt(token)
                output += try cipher.encrypt(plain)
            } catch let error as IntegrationError {
                throw ConfigurationError(at: SourceLocation(file: file, line: line), error.message)
            }
            cursor = match.range.location + match.range.length
        }
        output += ns.substring(from: cursor)
        return (output, matches.count)
    }
}
