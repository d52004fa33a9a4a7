import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardCore
import Synchronization

/// Proof Key for Code Exchange (RFC 7636): a random verifier and its S256 challenge.
public struct PKCE: Sendable {
    /// The verifier, sent with the code exchange.
    public let verifier: String
    /// `BASE64URL(SHA256(verifier))`, sent with the authorization request.
    public let challenge: String

    /// A new random pair.
    public init() {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        self.init(verifier: Self.base64URL(Data(bytes)))
    }

    /// The pair for a given verifier.
    public init(verifier: String) {
        self.verifier = verifier
        challenge = Self.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// `switchboard auth login`: the authorization-code grant with PKCE, receiving the code on a loopback listener
/// at the configured `redirect_uri`.
public struct AuthorizationCodeFlow: Sendable {
    /// The service.
    public let service: String
    let settings: OAuth2Settings
    let tokens: TokenManager

    /// Creates the flow for a service whose authenticator is OAuth 2.0.
    public init(service: String, settings: OAuth2Settings, tokens: TokenManager) throws {
        guard settings.authURI != nil else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "auth_uri is not configured for \(service)",
                service: service
            )
        }
        guard let redirect = settings.redirectURI, let url = URLComponents(string: redirect), let host = url.host,
            ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host), url.scheme == "http"
        else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message:
                    "redirect_uri of \(service) must be an http://127.0.0.1:PORT/... or http://localhost:PORT/... URL to log in from here",
                service: service
            )
        }
        self.service = service
        self.settings = settings
        self.tokens = tokens
    }

    /// The URL the user opens, for `state` and `pkce`.
    public func authorizationURL(state: String, pkce: PKCE) -> String {
        var components = URLComponents(string: settings.authURI!)!
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientID),
            URLQueryItem(name: "redirect_uri", value: settings.redirectURI),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "code_challenge", value: pkce.challenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        if !settings.scopes.isEmpty {
            items.append(URLQueryItem(name: "scope", value: settings.scopes.joined(separator: " ")))
        }
        items.append(URLQueryItem(name: "access_type", value: "offline"))
        components.queryItems = items
        return components.string!
    }

    /// Listens on the redirect URI, calls `show` with the authorization URL once listening, waits for the
    /// redirect (at most `timeout`), checks `state`, exchanges the code and stores the tokens.
    public func run(timeout: Duration = .seconds(300), show: @Sendable (String) -> Void) async throws -> TokenSet {
        let redirect = URLComponents(string: settings.redirectURI!)!
        let host =
            redirect.host == "localhost"
            ? "127.0.0.1" : redirect.host!.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = redirect.port ?? 80
        let path = redirect.path.isEmpty ? "/" : redirect.path
        let pkce = PKCE()
        let state = PKCE().verifier
        let receiver = CallbackReceiver(path: path)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(CallbackHandler(receiver: receiver))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "cannot listen on \(host):\(port) for the redirect_uri of \(service); is the port free?",
                service: service
            )
        }
        defer { channel.close(promise: nil) }
        show(authorizationURL(state: state, pkce: pkce))
        let query = try await receiver.wait(timeout: timeout)
        if let error = query["error"] {
            throw IntegrationError(
                code: .unauthorized,
                message: "the authorization server refused the login for \(service) (\(error))",
                service: service
            )
        }
        guard query["state"] == state else {
            throw IntegrationError(
                code: .unauthorized,
                message: "the redirect carried a wrong state; login aborted",
                service: service
            )
        }
        guard let code = query["code"] else {
            throw IntegrationError(code: .unauthorized, message: "the redirect carried no code", service: service)
        }
        return try await tokens.exchange(code: code, verifier: pkce.verifier, redirectURI: settings.redirectURI!)
    }
}

/// Hands the first redirect's query to the waiting login.
final class CallbackReceiver: Sendable {
    let path: String
    private let state = Mutex<(result: [String: String]?, waiter: CheckedContinuation<[String: String], any Error>?)>(
        (nil, nil)
    )

    init(path: String) { self.path = path }

    func deliver(_ query: [String: String]) {
        let waiter = state.withLock { state -> CheckedContinuation<[String: String], any Error>? in
            guard state.result == nil else { return nil }
            state.result = query
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: query)
    }

    func wait(timeout: Duration) async throws -> [String: String] {
        try await withThrowingTaskGroup(of: [String: String].self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let ready = self.state.withLock { state -> [String: String]? in
                            if let result = state.result { return result }
                            state.waiter = continuation
                            return nil
                        }
                        if let ready { continuation.resume(returning: ready) }
                    }
                } onCancel: {
                    let waiter = self.state.withLock { state in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume(throwing: CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw IntegrationError(
                    code: .timeout,
                    message: "no redirect arrived within \(timeout.secondsText); login aborted"
                )
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

final class CallbackHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let receiver: CallbackReceiver
    private var uri: String?

    init(receiver: CallbackReceiver) { self.receiver = receiver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): uri = head.uri
        case .body: break
        case .end:
            let components = URLComponents(string: uri ?? "/")
            var status = HTTPResponseStatus.notFound
            var text = "Not found.\n"
            if components?.path == receiver.path {
                var query: [String: String] = [:]
                for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
                receiver.deliver(query)
                status = .ok
                text =
                    query["error"] == nil
                    ? "Switchboard received the authorization. You can close this window.\n"
                    : "The authorization was refused. You can close this window.\n"
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            headers.add(name: "Connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
