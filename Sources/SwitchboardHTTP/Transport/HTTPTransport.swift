import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardCore
import Synchronization

/// The HTTP transport every HTTP-based adapter of a process shares: AsyncHTTPClient's pooled connections, one
/// client per distinct timeout setting (usually one), TLS verification always on (per-request trust roots for a
/// `ca_file`), HTTP/2 when the server offers it, redirects only where they are safe, status codes mapped to
/// errors that classify themselves for the retry policy, and a body size limit.
///
/// Call ``shutdown()`` once when done (the CLI and server do).
public final class HTTPTransport: Sendable {
    private struct ClientKey: Hashable {
        var connect: Int64
        var read: Int64
    }

    private let clients = Mutex<[ClientKey: HTTPClient]>([:])
    private let last = Mutex<(ClientKey, HTTPClient)?>(nil)
    private let tlsConfigurations = Mutex<[String: TLSConfiguration]>([:])
    private let maximumConnectionsPerHost: Int
    private let logger: Logger

    /// Creates a transport. Connections are opened on first use.
    ///
    /// - Parameter maximumConnectionsPerHost: the pool's soft limit per host; each service's `max_connections`
    ///   is enforced by the manager's bulkhead in any case.
    public init(
        maximumConnectionsPerHost: Int = 64,
        logger: Logger = Logger(label: "switchboard.http", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.maximumConnectionsPerHost = maximumConnectionsPerHost
        self.logger = logger
    }

    private func client(for settings: HTTPServiceSettings) -> HTTPClient {
        let key = ClientKey(
            connect: Int64(settings.connectTimeout.seconds * 1000),
            read: Int64(settings.readTimeout.seconds * 1000)
        )
        // The common case, one timeout setting in the process: no hashing.
        if let (lastKey, client) = last.withLock({ $0 }), lastKey == key { return client }
        return clients.withLock { clients in
            if let client = clients[key] {
                last.withLock { $0 = (key, client) }
                return client
            }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .milliseconds(key.connect), read: .milliseconds(key.read)),
                connectionPool: .init(
                    idleTimeout: .seconds(60),
                    concurrentHTTP1ConnectionsPerHostSoftLimit: maximumConnectionsPerHost
                )
            )
            configuration.httpVersion = .automatic
            // Fail a refused connection at once: the manager's retry policy (jittered, within the call's
            // deadline, safe even for writes since nothing was sent) decides about another attempt.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            last.withLock { $0 = (key, client) }
            return client
        }
    }

    private func tlsConfiguration(caFile: String) throws -> TLSConfiguration {
        if let cached = tlsConfigurations.withLock({ $0[caFile] }) { return cached }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            let roots = try NIOSSLCertificate.fromPEMFile(caFile)
            tls.additionalTrustRoots = [.certificates(roots)]
        } catch {
            throw IntegrationError(code: .invalidConfiguration, message: "cannot read the CA file \(caFile) as PEM")
        }
        tls.certificateVerification = .fullVerification
        tlsConfigurations.withLock { $0[caFile] = tls }
        return tls
    }

    /// Closes every connection. Call once.
    public func shutdown() async throws {
        last.withLock { $0 = nil }
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in all { try await client.shutdown() }
    }

    // MARK: Sending

    /// Sends `request` with the service's settings and credentials, following safe redirects and refreshing
    /// credentials once after a 401, and reads the body into memory (up to `max_body_bytes`).
    ///
    /// - Parameter statusError: Maps a status ≥ 400 (its body read) to the error to throw, for services whose
    ///   error bodies say more than the status (S3's XML codes); by default the status decides.
    /// - Throws: ``IntegrationError``: a status ≥ 400 as ``IntegrationError/status(_:message:retryAfter:)`` with
    ///   `Retry-After`, a truncated and redacted body snippet; connection failures classified by whether the
    ///   request can have been sent; `CancellationError` when cancelled.
    public func send(
        _ request: TransportRequest,
        settings: HTTPServiceSettings,
        authenticator: any Authenticator,
        logger: Logger? = nil,
        deadline: Duration? = nil,
        statusError: (@Sendable (TransportResponse) -> IntegrationError)? = nil
    ) async throws -> TransportResponse {
        try await exchange(
            request,
            settings: settings,
            authenticator: authenticator,
            logger: logger,
            deadline: deadline,
            statusError: statusError
        ) { response, method in
            try await Self.collect(response, method: method, settings: settings)
        }
    }

    /// Sends `request` as ``send(_:settings:authenticator:logger:deadline:)`` does, and hands a successful
    /// response to `handle` with its body unread: `handle` streams it (into a file, through a parser) while the
    /// connection is held, and the connection is released when `handle` returns. The request's deadline (the
    /// call's, or `timeout_ms`) covers the body too.
    ///
    /// - Parameter statusError: Maps a status ≥ 400 (its body read, up to `max_body_bytes`) to the error to throw,
    ///   for services whose error bodies say more than the status (S3's XML codes); by default the status decides.
    /// - Throws: What `send` throws; a failure while `handle` reads the body is classified the same way.
    public func stream<Result>(
        _ request: TransportRequest,
        settings: HTTPServiceSettings,
        authenticator: any Authenticator,
        logger: Logger? = nil,
        deadline: Duration? = nil,
        statusError: (@Sendable (TransportResponse) -> IntegrationError)? = nil,
        _ handle: (TransportStreamingResponse) async throws -> Result
    ) async throws -> Result {
        try await exchange(
            request,
            settings: settings,
            authenticator: authenticator,
            logger: logger,
            deadline: deadline,
            statusError: statusError
        ) { response, _ in
            try await handle(
                TransportStreamingResponse(
                    status: Int(response.status.code),
                    headers: response.headers.map { ($0.name, $0.value) },
                    body: response.body
                )
            )
        }
    }

    /// Buffered and streamed sends alike: credentials, header checks, redirects, the retry after a 401, status
    /// errors, and one classification of every failure (by type, never by message text).
    private func exchange<Result>(
        _ request: TransportRequest,
        settings: HTTPServiceSettings,
        authenticator: any Authenticator,
        logger: Logger?,
        deadline: Duration?,
        statusError: (@Sendable (TransportResponse) -> IntegrationError)?,
        _ body: (HTTPClientResponse, HTTPMethod) async throws -> Result
    ) async throws -> Result {
        let logger = logger ?? self.logger
        // The call's deadline, as a point in real time that every request of this send (redirects, the retry
        // after a 401, a token refresh) shares.
        let callDeadline = deadline.map { NIODeadline.now() + .nanoseconds(Int64(max(0, $0.seconds) * 1e9)) }
        var request = request
        var refreshed = false
        var redirects = 0
        while true {
            var outgoing = HTTPClientRequest(url: request.url)
            outgoing.method = HTTPMethod(rawValue: request.method)
            outgoing.headers.add(name: "User-Agent", value: settings.userAgent)
            for (name, value) in settings.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
            for (name, value) in request.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
            if let requestBody = request.body {
                outgoing.body = requestBody.makeBody()
                if requestBody.isInMemory && !outgoing.headers.contains(name: "Content-Length") {
                    outgoing.headers.replaceOrAdd(name: "Content-Length", value: String(requestBody.length))
                }
            }
            if let caFile = settings.caFile { outgoing.tlsConfiguration = try tlsConfiguration(caFile: caFile) }
            let remaining = callDeadline.map { Duration.nanoseconds(($0 - NIODeadline.now()).nanoseconds) }
            let credential = try await authenticator.authorize(&outgoing, deadline: remaining)
            for header in outgoing.headers where HeaderRules.problem(in: header.value) != nil {
                // A credential or configured header with a line break (an ${ENV} value with its newline): the
                // request cannot be sent as meant, and retrying will not help. Name the header, never the value.
                throw IntegrationError(
                    code: .invalidConfiguration,
                    message:
                        "the \(header.name) header of \(settings.service) \(HeaderRules.problem(in: header.value)!)",
                    transience: .never,
                    hint: "check the credential or headers: value of \(settings.service) in the configuration"
                )
            }
            logger.trace(
                "http request",
                metadata: [
                    "http.method": .string(request.method),
                    "http.url": .string(Self.redactedURL(outgoing.url, settings, authenticator)),
                ]
            )
            let requestDeadline = settings.requestTimeout.map {
                NIODeadline.now() + .nanoseconds(Int64($0.seconds * 1e9))
            }
            let classify = { (error: any Error) -> any Error in
                Self.classify(error, settings: settings, callDeadline: callDeadline, requestDeadline: requestDeadline)
            }
            let effective: NIODeadline
            switch (requestDeadline, callDeadline) {
            case (let a?, let b?): effective = min(a, b)
            case (let a?, nil), (nil, let a?): effective = a
            case (nil, nil): effective = NIODeadline.now() + .hours(24)
            }
            let response: HTTPClientResponse
            do {
                response = try await client(for: settings).execute(outgoing, deadline: effective)
            } catch {
                throw classify(error)
            }
            let status = Int(response.status.code)

            if status == 401 && !refreshed && authenticator.canRefresh {
                refreshed = true
                if try await authenticator.refresh(afterRejecting: credential) {
                    logger.debug(
                        "credentials refreshed after 401",
                        metadata: [LogKey.service: .string(settings.service)]
                    )
                    _ = try? await response.body.collect(upTo: settings.maximumBodySize)
                    continue
                }
            }
            if [301, 302, 303, 307, 308].contains(status), settings.followRedirects,
                let location = response.headers.first(name: "Location")
            {
                _ = try? await response.body.collect(upTo: settings.maximumBodySize)
                request = try Self.redirected(request, status: status, location: location, authenticator: authenticator)
                redirects += 1
                guard redirects <= 5 else {
                    throw IntegrationError(code: .serviceError, message: "more than 5 redirects", status: status)
                }
                continue
            }
            if status >= 400 {
                let buffered: TransportResponse
                do {
                    buffered = try await Self.collect(response, method: outgoing.method, settings: settings)
                } catch {
                    throw classify(error)
                }
                if let statusError {
                    // A family's own mapping quotes the server's words: they pass the same redaction as ours.
                    var mapped = statusError(buffered)
                    mapped.message = Self.redactor(settings, authenticator).redact(mapped.message)
                    throw mapped
                }
                throw Self.statusError(buffered, settings: settings, authenticator: authenticator)
            }
            do {
                return try await body(response, outgoing.method)
            } catch {
                throw classify(error)
            }
        }
    }

    /// The request a redirect asks for, or the reason it is refused.
    private static func redirected(
        _ request: TransportRequest,
        status: Int,
        location: String,
        authenticator: any Authenticator
    ) throws -> TransportRequest {
        guard let target = URL(string: location, relativeTo: URL(string: request.url))?.absoluteURL,
            let host = target.host, let scheme = target.scheme?.lowercased()
        else {
            throw IntegrationError(code: .serviceError, message: "redirect to an invalid URL", status: status)
        }
        let targetOrigin = HTTPServiceSettings.origin(scheme: scheme, host: host, port: target.port)
        let currentOrigin = Self.origin(of: request.url)
        if targetOrigin != currentOrigin && authenticator.sendsCredentials {
            throw IntegrationError(
                code: .serviceError,
                message:
                    "redirect to another host (\(targetOrigin)) refused: credentials are only sent to \(currentOrigin)",
                status: status
            )
        }
        if targetOrigin != currentOrigin && !scheme.hasPrefix("http") {
            throw IntegrationError(code: .serviceError, message: "redirect to a non-HTTP URL refused", status: status)
        }
        var request = request
        request.url = target.absoluteString
        if status == 303 || ((status == 301 || status == 302) && request.method == "POST") {
            request.method = request.method == "HEAD" ? "HEAD" : "GET"
            request.body = nil
            request.headers.removeAll { asciiCaseInsensitiveEquals($0.0, "Content-Type") }
        }
        return request
    }

    /// The response with its body read, within `max_body_bytes`.
    private static func collect(
        _ response: HTTPClientResponse,
        method: HTTPMethod,
        settings: HTTPServiceSettings
    ) async throws -> TransportResponse {
        var body = Data()
        if method != .HEAD {
            do {
                let buffer = try await response.body.collect(upTo: settings.maximumBodySize)
                body = Data(buffer.readableBytesView)
            } catch is NIOTooManyBytesError {
                throw IntegrationError(
                    code: .serviceError,
                    message:
                        "response body is larger than the \(settings.maximumBodySize / 1024) KiB limit (max_body_bytes)",
                    transience: .never,
                    status: Int(response.status.code)
                )
            }
        }
        return TransportResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: body
        )
    }

    /// An error of one request, as the retry policy needs it: our own errors unchanged, the call's deadline
    /// as `deadline_exceeded`, everything else by ``map(_:settings:)``.
    private static func classify(
        _ error: any Error,
        settings: HTTPServiceSettings,
        callDeadline: NIODeadline?,
        requestDeadline: NIODeadline?
    ) -> any Error {
        if error is IntegrationError { return error }
        if let error = error as? HTTPClientError, error == .deadlineExceeded, let callDeadline,
            requestDeadline == nil || callDeadline <= requestDeadline!
        {
            return IntegrationError(
                code: .deadlineExceeded,
                message: "the call's deadline passed before \(settings.origin) answered",
                transience: .never
            )
        }
        return map(error, settings: settings)
    }

    /// Classifies a transport failure for the retry policy.
    static func map(_ error: any Error, settings: HTTPServiceSettings) -> any Error {
        if error is CancellationError { return error }
        let target = settings.origin
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled:
                return CancellationError()
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return IntegrationError.connectionFailed(
                    "could not connect to \(target) (\(error.shortText))",
                    sent: false
                )
            case .readTimeout:
                return IntegrationError(
                    code: .timeout,
                    message: "no response from \(target) within the read timeout",
                    transience: .always
                )
            case .deadlineExceeded:
                return IntegrationError(
                    code: .timeout,
                    message: "request to \(target) timed out (timeout_ms)",
                    transience: .always
                )
            case .remoteConnectionClosed:
                return IntegrationError.connectionFailed(
                    "\(target) closed the connection before the response was complete"
                )
            default:
                return IntegrationError.connectionFailed("HTTP failure talking to \(target): \(error.shortText)")
            }
        }
        if error is NIOConnectionError {
            return IntegrationError.connectionFailed("could not connect to \(target)", sent: false)
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return IntegrationError.connectionFailed("could not connect to \(target) (timed out)", sent: false)
        }
        if error is NIOSSLError || error is BoringSSLError {
            return IntegrationError(
                code: .connectionFailed,
                message: "TLS with \(target) failed (certificate not trusted?); set ca_file for a self-hosted service",
                transience: .never
            )
        }
        if let io = error as? IOError {
            let refused = io.errnoCode == ECONNREFUSED
            return IntegrationError.connectionFailed(
                refused ? "connection to \(target) refused" : "connection to \(target) failed (\(io.errnoCode))",
                sent: !refused
            )
        }
        return IntegrationError.connectionFailed("connection to \(target) failed")
    }

    static func statusError(
        _ response: TransportResponse,
        settings: HTTPServiceSettings,
        authenticator: any Authenticator
    ) -> IntegrationError {
        let reason = HTTPResponseStatus(statusCode: response.status).reasonPhrase
        var message = "HTTP \(response.status) \(reason)"
        let snippet = redactor(settings, authenticator).snippet(of: response.body)
        if !snippet.isEmpty { message += ": " + snippet }
        let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        var error = IntegrationError.status(response.status, message: message, retryAfter: retryAfter)
        if response.status == 401 {
            error.hint =
                "check the credentials of \(settings.service)"
                + (authenticator.canRefresh ? "; run `switchboard auth login \(settings.service)`" : "")
        }
        return error
    }

    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        return HTTPServiceSettings.origin(
            scheme: (components.scheme ?? "").lowercased(),
            host: host,
            port: components.port
        )
    }

    static func redactedURL(_ url: String, _ settings: HTTPServiceSettings, _ authenticator: any Authenticator)
        -> String
    {
        redactor(settings, authenticator).redact(url)
    }

    /// Hides the credentials and every configured header value (often a token under a name of its own).
    static func redactor(_ settings: HTTPServiceSettings, _ authenticator: any Authenticator) -> Redactor {
        Redactor(secrets: authenticator.secretValues + settings.headers.map(\.1))
    }
}

/// `text` with ASCII letters lower-cased (header names are ASCII).
func asciiLowercased(_ text: String) -> String { ASCII.lowercased(text) }

/// Whether `text` contains the lower-case ASCII `needle`, ignoring ASCII case (no Foundation search).
func asciiContainsCaseInsensitive(_ text: String, _ needle: StaticString) -> Bool {
    let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
    let bytes = Array(text.utf8)
    guard bytes.count >= pattern.count, !pattern.isEmpty else { return pattern.isEmpty }
    for start in 0...(bytes.count - pattern.count) {
        var matched = true
        for offset in 0..<pattern.count {
            let b = bytes[start + offset]
            if ((0x41...0x5A).contains(b) ? b | 0x20 : b) != pattern[offset] {
                matched = false
                break
            }
        }
        if matched { return true }
    }
    return false
}

/// Header names are ASCII: compare them without Foundation's locale-aware machinery.
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool { ASCII.caseInsensitiveEquals(a, b) }

extension HTTPClientError {
    /// The error's name without its associated values (header errors carry the values, often credentials).
    var shortText: String {
        let text = String(describing: self).replacingOccurrences(of: "HTTPClientError.", with: "")
        return String(text.prefix { $0 != "(" })
    }
}
