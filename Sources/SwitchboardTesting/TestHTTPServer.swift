import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 server on 127.0.0.1 whose answers a test scripts: for fault cases (429 with `Retry-After`, 503 then
/// success, a reset mid-response, a slow answer, a huge body, a redirect elsewhere) and fake token endpoints.
public final class TestHTTPServer: Sendable {
    /// A request as the server received it.
    public struct Request: Sendable {
        /// The method.
        public var method: String
        /// The request target (path and query).
        public var uri: String
        /// Headers.
        public var headers: [(String, String)]
        /// The body.
        public var body: Data

        /// A request, for calling a handler directly.
        public init(method: String, uri: String, headers: [(String, String)] = [], body: Data = Data()) {
            self.method = method
            self.uri = uri
            self.headers = headers
            self.body = body
        }

        /// The path, without the query.
        public var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }

        /// Query parameters (last value wins).
        public var query: [String: String] {
            var out: [String: String] = [:]
            for item in URLComponents(string: uri)?.queryItems ?? [] { out[item.name] = item.value ?? "" }
            return out
        }

        /// Form parameters of an `application/x-www-form-urlencoded` body.
        public var form: [String: String] {
            var out: [String: String] = [:]
            for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                out[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return out
        }

        /// The first header named `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    /// What the server does with a request.
    public enum Action: Sendable {
        /// Answer.
        case respond(status: Int, headers: [(String, String)], body: Data)
        /// Send the head and part of the body, then drop the connection.
        case resetMidResponse
        /// Drop the connection without answering.
        case close
        /// Wait (real time), then act.
        indirect case delay(Duration, Action)

        /// A JSON answer.
        public static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Action {
            .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(text.utf8))
        }

        /// A plain-text answer.
        public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Action {
            .respond(status: status, headers: [("Content-Type", "text/plain")] + headers, body: Data(text.utf8))
        }
    }

    private let channel: any Channel
    private let log: RequestLog
    /// The port it listens on.
    public let port: Int

    /// Starts a server on 127.0.0.1 on a free port; `handler` decides every answer.
    public init(handler: @escaping @Sendable (Request) async -> Action) async throws {
        let log = RequestLog()
        self.log = log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(TestHTTPHandler(handler: handler, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far.
    public var requests: [Request] { log.entries.withLock { $0 } }

    /// Stops listening.
    public func shutdown() async throws { try await channel.close() }
}

final class RequestLog: Sendable {
    let entries = Mutex<[TestHTTPServer.Request]>([])
}

private final class TestHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: @Sendable (TestHTTPServer.Request) async -> TestHTTPServer.Action
    let log: RequestLog
    private var head: HTTPRequestHead?
    private var body = Data()

    init(handler: @escaping @Sendable (TestHTTPServer.Request) async -> TestHTTPServer.Action, log: RequestLog) {
        self.handler = handler
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = TestHTTPServer.Request(
                method: head.method.rawValue,
                uri: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                body: body
            )
            log.entries.withLock { $0.append(request) }
            let handler = self.handler
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await Self.resolve(handler(request)) }.whenSuccess { action in
                let (me, context) = bound.value
                me.perform(action, context: context, keepAlive: head.isKeepAlive)
            }
        }
    }

    static func resolve(_ action: TestHTTPServer.Action) async -> TestHTTPServer.Action {
        if case .delay(let duration, let next) = action {
            try? await Task.sleep(for: duration)
            return await resolve(next)
        }
        return action
    }

    private func perform(_ action: TestHTTPServer.Action, context: ChannelHandlerContext, keepAlive: Bool) {
        switch action {
        case .respond(let status, let headers, let body):
            var fields = HTTPHeaders(headers)
            fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
            if !keepAlive { fields.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1,
                status: HTTPResponseStatus(statusCode: status),
                headers: fields
            )
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { bound.value.close(promise: nil) }
            }
        case .resetMidResponse:
            var fields = HTTPHeaders()
            fields.add(name: "Content-Length", value: "1000")
            fields.add(name: "Content-Type", value: "application/json")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))),
                promise: nil
            )
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{\"partial\":")))))
                .whenComplete { _ in bound.value.close(promise: nil) }
        case .close:
            context.close(promise: nil)
        case .delay(_, let next):
            perform(next, context: context, keepAlive: keepAlive)
        }
    }
}
