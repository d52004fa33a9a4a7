import Crypto
import Foundation

/// A 256-bit configuration key, with the short id that encrypted values carry.
public struct EncryptionKey: Sendable {
    let key: SymmetricKey
    /// The first 8 hex digits of the SHA-256 of the key: names the key in `enc:v1:KEYID:...` without revealing it.
    public let id: String

    /// Reads a key given as base64 (44 characters, from `secrets keygen`) or as 64 hex digits.
    /// - Throws: ``IntegrationError`` `invalidConfiguration` naming `source` when the text is not a 32-byte key.
    public init(text: String, source: String = "CONFIG_ENCRYPTION_KEY") throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8]?
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var out: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                out.append(UInt8(trimmed[index..<next], radix: 16)!)
                index = next
            }
            bytes = out
        } else if let data = Data(base64Encoded: trimmed) {
            bytes = Array(data)
        }
        guard let bytes, bytes.count == 32 else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "\(source) is not a 256-bit key (expected 44 base64 characters or 64 hex digits)",
                hint: "run `switchboard secrets keygen` to make one"
            )
        }
        self.init(bytes: bytes)
    }

    init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
        id = SHA256.hash(data: bytes).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random key, as base64 text for `CONFIG_ENCRYPTION_KEY`.
    public static func generate() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

/// Encrypts and decrypts configuration values as `enc:v1:KEYID:BASE64` (AES-256-GCM, 12-byte nonce, 16-byte tag).
///
/// The current key (`CONFIG_ENCRYPTION_KEY`) encrypts; it and the previous keys
/// (`CONFIG_ENCRYPTION_PREVIOUS_KEYS`, comma-separated) decrypt, each value finding its key by KEYID.
public struct ConfigCipher: Sendable {
    /// The prefix of an encrypted value.
    public static let prefix = "enc:v1:"
    private static let associatedData = Data("switchboard-config-v1".utf8)

    /// The key that encrypts.
    public let current: EncryptionKey?
    /// Keys that still decrypt.
    public let previous: [EncryptionKey]

    /// Creates a cipher.
    public init(current: EncryptionKey?, previous: [EncryptionKey] = []) {
        self.current = current
        self.previous = previous
    }

    /// Reads `CONFIG_ENCRYPTION_KEY` and `CONFIG_ENCRYPTION_PREVIOUS_KEYS` from `environment`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> ConfigCipher {
        let current = try environment["CONFIG_ENCRYPTION_KEY"].flatMap { text -> EncryptionKey? in
            text.isEmpty ? nil : try EncryptionKey(text: text)
        }
        var previous: [EncryptionKey] = []
        if let list = environment["CONFIG_ENCRYPTION_PREVIOUS_KEYS"] {
            for (index, part) in list.split(separator: ",").enumerated() {
                let text = part.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                previous.append(
                    try EncryptionKey(text: text, source: "CONFIG_ENCRYPTION_PREVIOUS_KEYS entry \(index + 1)")
                )
            }
        }
        return ConfigCipher(current: current, previous: previous)
    }

    /// `true` when `text` has the shape of an encrypted value.
    public static func isEncrypted(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// Encrypts `plaintext` under the current key.
    public func encrypt(_ plaintext: Data) throws -> String {
        guard let current else {
            throw IntegrationError(
                code: .decryptionFailed,
                message: "CONFIG_ENCRYPTION_KEY is not set",
                hint: "run `switchboard secrets keygen` and export the key as CONFIG_ENCRYPTION_KEY"
            )
        }
        let sealed = try AES.GCM.seal(plaintext, using: current.key, authenticating: Self.associatedData)
        guard let combined = sealed.combined else {
            throw IntegrationError(code: .internalError, message: "AES-GCM produced no combined box")
        }
        return Self.prefix + current.id + ":" + combined.base64EncodedString()
    }

    /// Encrypts a string under the current key.
    public func encrypt(_ plaintext: String) throws -> String { try encrypt(Data(plaintext.utf8)) }

    /// The id of the key that encrypted `token`, or `nil` when it is not an encrypted value.
    public static func keyID(of token: String) -> String? {
        guard isEncrypted(token) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    /// Decrypts `token` with whichever known key its KEYID names.
    /// - Throws: ``IntegrationError`` `decryptionFailed` for a malformed value, an unknown key, a wrong key or a
    ///   tampered value. The message never contains the value.
    public func decrypt(_ token: String) throws -> Data {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let keyID = Self.keyID(of: trimmed) else {
            throw IntegrationError(
                code: .decryptionFailed,
                message: "not an encrypted value (expected enc:v1:KEYID:BASE64)"
            )
        }
        let payload = trimmed.dropFirst(Self.prefix.count + keyID.count + 1)
        guard let data = Data(base64Encoded: String(payload)), data.count >= 28 else {
            throw IntegrationError(code: .decryptionFailed, message: "encrypted value is malformed (bad base64)")
        }
        let keys = ([current].compactMap { $0 } + previous)
        guard !keys.isEmpty else {
            throw IntegrationError(
                code: .decryptionFailed,
                message: "an encrypted value needs CONFIG_ENCRYPTION_KEY, which is not set",
                hint: "export the key the value was encrypted with (key id \(keyID))"
            )
        }
        guard let key = keys.first(where: { $0.id == keyID }) else {
            throw IntegrationError(
                code: .decryptionFailed,
                message: "value was encrypted with key \(keyID), which is neither CONFIG_ENCRYPTION_KEY ("
                    + (current?.id ?? "unset") + ") nor in CONFIG_ENCRYPTION_PREVIOUS_KEYS",
                hint: "set the right CONFIG_ENCRYPTION_KEY, or list the old key in CONFIG_ENCRYPTION_PREVIOUS_KEYS"
            )
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return try AES.GCM.open(box, using: key.key, authenticating: Self.associatedData)
        } catch {
            throw IntegrationError(
                code: .decryptionFailed,
                message: "encrypted value failed authentication under key \(keyID): it was altered or is corrupt"
            )
        }
    }

    /// Decrypts `token` to UTF-8 text.
    public func decryptString(_ token: String) throws -> String {
        let data = try decrypt(token)
        guard let text = String(data: data, encoding: .utf8) else {
            throw IntegrationError(code: .decryptionFailed, message: "decrypted value is not UTF-8 text")
        }
        return text
    }
}
