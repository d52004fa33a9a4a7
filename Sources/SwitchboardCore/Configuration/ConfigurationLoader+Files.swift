import Foundation

extension ConfigurationLoader {
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
}
