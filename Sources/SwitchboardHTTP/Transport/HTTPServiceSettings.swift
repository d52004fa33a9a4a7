import Foundation
import SwitchboardCore

/// How one HTTP-based service is reached: base URL, default headers, timeouts, limits, TLS and credentials.
///
/// ## Configuration keys
/// - `base_url` (text, required for `http`): scheme, host, optional port and base path.
/// - `headers` (mapping): default headers sent with every request.
/// - `user_agent` (text): default `Switchboard/<version>`.
/// - `connect_timeout_ms` (default 10000), `read_timeout_ms` (default 30000), `timeout_ms` (total per request;
///   default none: the call's deadline applies).
/// - `max_body_bytes` (default 10 MiB): larger responses are an error for buffered requests.
/// - `ca_file` (text): a PEM file of extra trust roots for a self-hosted service. Verification is never off.
/// - `follow_redirects` (default true): same-origin redirects are followed; a redirect to another host is
///   refused when the request carries credentials.
/// - `auth_type` and its keys: see ``AuthenticationSettings``.
public struct HTTPServiceSettings: Sendable {
    /// The service name, for messages.
    public var service: String
    /// The base URL, as configured.
    public private(set) var baseURL: String
    /// `http` or `https`.
    public private(set) var scheme: String
    /// The host.
    public private(set) var host: String
    /// The port, when given.
    public private(set) var port: Int?
    /// The base path, without a trailing `/`.
    public private(set) var basePath: String
    /// Default headers.
    public var headers: [(String, String)] = []
    /// The `User-Agent`.
    public var userAgent = "Switchboard/\(SwitchboardVersion.current)"
    /// Connect timeout.
    public var connectTimeout: Duration = .seconds(10)
    /// Read (idle) timeout.
    public var readTimeout: Duration = .seconds(30)
    /// Total time for one request, if any.
    public var requestTimeout: Duration?
    /// The largest response body read into memory.
    public var maximumBodySize = 10 << 20
    /// Extra trust roots (PEM file).
    public var caFile: String?
    /// Whether redirects are followed (same origin, or any origin for requests without credentials).
    public var followRedirects = true
    /// Credentials.
    public var authentication = AuthenticationSettings.none

    /// Creates settings for `baseURL`.
    /// - Throws: ``IntegrationError`` `invalidConfiguration` when the URL is not absolute http(s).
    public init(service: String, baseURL: String) throws {
        self.service = service
        self.baseURL = baseURL
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "base_url \(baseURL) is not an absolute http(s) URL",
                service: service
            )
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        self.origin = Self.origin(scheme: scheme, host: host, port: components.port)
    }

    /// `scheme://host[:port]`, computed once.
    public private(set) var origin: String

    static func origin(scheme: String, host: String, port: Int?) -> String {
        let defaultPort = scheme == "https" ? 443 : 80
        let hostPart = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)" + (port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
    }

    /// The URL for `path` under the base URL. `path` is appended to the base path even when it starts with `/`;
    /// it may carry its own `?query`; `query` adds parameters. An absolute URL is accepted only for the base
    /// URL's own origin.
    public func url(path: String, query: [(String, String)] = []) throws -> String {
        var pathPart = path
        var queryPart = ""
        if Self.isAbsoluteURL(path) {
            guard let components = URLComponents(string: path), let host = components.host else {
                throw IntegrationError.invalidInput("path \(path) is not a valid URL")
            }
            let target = Self.origin(scheme: (components.scheme ?? "").lowercased(), host: host, port: components.port)
            guard target == origin else {
                throw IntegrationError(
                    code: .invalidInput,
                    message: "path is an absolute URL to another host (\(target)); \(service) only talks to \(origin)",
                    service: service
                )
            }
            var url = path
            if !query.isEmpty { url += (url.contains("?") ? "&" : "?") + Self.encode(query) }
            return url
        }
        if let mark = path.firstIndex(of: "?") {
            pathPart = String(path[..<mark])
            queryPart = String(path[path.index(after: mark)...])
        }
        while pathPart.hasPrefix("/") { pathPart.removeFirst() }
        let encodedPath = Self.encodePath(pathPart)
        var url = origin + basePath + (encodedPath.isEmpty ? (basePath.isEmpty ? "/" : "") : "/" + encodedPath)
        var allQuery = queryPart
        if !query.isEmpty { allQuery += (allQuery.isEmpty ? "" : "&") + Self.encode(query) }
        if !allQuery.isEmpty { url += "?" + allQuery }
        return url
    }

    static func isAbsoluteURL(_ path: String) -> Bool {
        guard let colon = path.utf8.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let scheme = path.utf8[..<colon]
        guard !scheme.isEmpty,
            scheme.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2B })
        else {
            return false
        }
        return path.utf8[colon...].starts(with: "://".utf8)
    }

    static let queryAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func encode(_ query: [(String, String)]) -> String {
        query.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? name) + "="
                + (value.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? value)
        }.joined(separator: "&")
    }

    /// Encodes characters a path may not hold, leaving existing `%XX` escapes alone.
    static func encodePath(_ path: String) -> String {
        // Most paths need nothing: skip Foundation's encoder for plain ASCII path characters.
        let plain = path.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || "-._~/%!$&'()*+,;=:@".utf8.contains(byte)
        }
        if plain { return path }
        return path.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? path
    }

    static let pathAllowed: CharacterSet = {
        var allowed = CharacterSet.urlPathAllowed
        allowed.insert("%")
        return allowed
    }()
}

extension HTTPServiceSettings {
    /// Reads the settings of an HTTP-based service from its configuration block.
    ///
    /// - Parameter defaultBaseURL: the base URL when the block gives none (Google's for `google_calendar`).
    public static func load(
        from configuration: ServiceConfiguration,
        defaultBaseURL: String? = nil,
        defaultTokenURI: String? = nil,
        defaultAuthURI: String? = nil
    ) throws -> HTTPServiceSettings {
        let base = try configuration.string("base_url") ?? defaultBaseURL ?? configuration.requiredString("base_url")
        var settings = try HTTPServiceSettings(service: configuration.name, baseURL: base)
        if let headers = try configuration.stringMap("headers") {
            settings.headers = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        if let agent = try configuration.string("user_agent") { settings.userAgent = agent }
        if let ms = try configuration.int("connect_timeout_ms") { settings.connectTimeout = .milliseconds(ms) }
        if let ms = try configuration.int("read_timeout_ms") { settings.readTimeout = .milliseconds(ms) }
        if let ms = try configuration.int("timeout_ms") { settings.requestTimeout = .milliseconds(ms) }
        if let bytes = try configuration.int("max_body_bytes") { settings.maximumBodySize = bytes }
        if let file = try configuration.string("ca_file") {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ConfigurationError(
                    at: configuration.node("ca_file")?.location ?? configuration.location,
                    keyPath: "\(configuration.name).ca_file",
                    "cannot read the CA file \(file)"
                )
            }
            settings.caFile = file
        }
        if let follow = try configuration.bool("follow_redirects") { settings.followRedirects = follow }
        settings.authentication = try AuthenticationSettings.load(
            from: configuration,
            defaultTokenURI: defaultTokenURI,
            defaultAuthURI: defaultAuthURI
        )
        return settings
    }
}
