import Crypto
import Foundation
import SwitchboardCore
import Synchronization

/// Tokens obtained from an OAuth 2.0 grant. Every rendering redacts the tokens.
public struct TokenSet: Codable, Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// The access token.
    public var accessToken: String
    /// The token type (`Bearer`).
    public var tokenType: String
    /// The refresh token, when the grant gave one.
    public var refreshToken: String?
    /// When the access token expires, if known.
    public var expiresAt: Date?
    /// The scopes granted.
    public var scopes: [String]
    /// When the tokens were obtained.
    public var obtainedAt: Date

    /// Creates a token set.
    public init(
        accessToken: String,
        tokenType: String = "Bearer",
        refreshToken: String? = nil,
        expiresAt: Date? = nil,
        scopes: [String] = [],
        obtainedAt: Date = Date()
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.obtainedAt = obtainedAt
    }

    /// Whether the access token is still good for at least `margin` at `now`.
    public func isFresh(at now: Date, margin: Duration) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt.timeIntervalSince(now) > margin.seconds
    }

    public var description: String {
        "TokenSet(access: <redacted>, refresh: \(refreshToken == nil ? "none" : "<redacted>"), expires: "
            + (expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "unknown") + ")"
    }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// Where tokens are kept between calls and processes.
public protocol TokenStore: Sendable {
    /// The tokens of `service`, if any.
    func load(service: String) async throws -> TokenSet?
    /// Replaces the tokens of `service`.
    func save(_ tokens: TokenSet, service: String) async throws
    /// Forgets the tokens of `service`.
    func remove(service: String) async throws
}

/// A token store that forgets everything when the process ends (tests, short-lived tools).
public final class InMemoryTokenStore: TokenStore {
    private let tokens = Mutex<[String: TokenSet]>([:])

    /// Creates an empty store.
    public init() {}

    public func load(service: String) async throws -> TokenSet? { tokens.withLock { $0[service] } }
    public func save(_ tokens: TokenSet, service: String) async throws { self.tokens.withLock { $0[service] = tokens } }
    public func remove(service: String) async throws { _ = tokens.withLock { $0.removeValue(forKey: service) } }
}

/// Tokens in encrypted files in the data directory: `<dir>/tokens/<service>.json.enc`, AES-GCM under
/// `CONFIG_ENCRYPTION_KEY` or, without one, under a key file of its own (`<dir>/tokens/token.key`, 0600).
/// Files are 0600 in a 0700 directory and written atomically.
public final class EncryptedFileTokenStore: TokenStore {
    private let directory: String
    private let cipher: ConfigCipher

    /// Opens (creating when needed) the store under `dataDirectory`.
    public init(dataDirectory: String, environment: [String: String]) throws {
        directory = dataDirectory + "/tokens"
        try FileIO.ensureDirectory(dataDirectory)
        try FileIO.ensureDirectory(directory)
        let keyFile = directory + "/token.key"
        var ownKey: EncryptionKey?
        if let data = FileManager.default.contents(atPath: keyFile) {
            ownKey = try EncryptionKey(text: String(decoding: data, as: UTF8.self), source: keyFile)
        }
        let configured = try ConfigCipher.fromEnvironment(environment)
        if let current = configured.current {
            cipher = ConfigCipher(current: current, previous: configured.previous + [ownKey].compactMap { $0 })
        } else {
            if ownKey == nil {
                let text = EncryptionKey.generate()
                try FileIO.writeAtomically(Data((text + "\n").utf8), to: keyFile, permissions: 0o600)
                ownKey = try EncryptionKey(text: text, source: keyFile)
            }
            cipher = ConfigCipher(current: ownKey, previous: configured.previous)
        }
    }

    private func path(_ service: String) -> String { directory + "/" + service + ".json.enc" }

    public func load(service: String) async throws -> TokenSet? {
        guard let data = FileManager.default.contents(atPath: path(service)) else { return nil }
        do {
            let plain = try cipher.decrypt(String(decoding: data, as: UTF8.self))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode(TokenSet.self, from: plain)
        } catch {
            // A store written under another key, or damaged: as if empty (the grant obtains new tokens).
            return nil
        }
    }

    public func save(_ tokens: TokenSet, service: String) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let token = try cipher.encrypt(try encoder.encode(tokens))
        try FileIO.writeAtomically(Data((token + "\n").utf8), to: path(service), permissions: 0o600)
    }

    public func remove(service: String) async throws {
        try? FileManager.default.removeItem(atPath: path(service))
    }
}

/// Opens an ``EncryptedFileTokenStore`` on first use, so commands that never need tokens never touch the data
/// directory.
public final class LazyFileTokenStore: TokenStore {
    private let dataDirectory: String
    private let environment: [String: String]
    private let store = Mutex<EncryptedFileTokenStore?>(nil)

    /// Creates the wrapper.
    public init(dataDirectory: String, environment: [String: String]) {
        self.dataDirectory = dataDirectory
        self.environment = environment
    }

    private func open() throws -> EncryptedFileTokenStore {
        try store.withLock { store in
            if let store { return store }
            let opened = try EncryptedFileTokenStore(dataDirectory: dataDirectory, environment: environment)
            store = opened
            return opened
        }
    }

    public func load(service: String) async throws -> TokenSet? { try await open().load(service: service) }
    public func save(_ tokens: TokenSet, service: String) async throws {
        try await open().save(tokens, service: service)
    }
    public func remove(service: String) async throws { try await open().remove(service: service) }
}
