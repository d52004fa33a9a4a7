import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwitchboardCore

/// How a mail connection is protected: `starttls` (plain, upgraded before any credential), `tls` (implicit TLS
/// from the first byte: SMTP 465, IMAP 993) or `none`.
package enum MailSecurity: String, Sendable {
    case starttls, tls, none
}

/// Where a mail connection goes and how it is protected.
package struct MailEndpoint: Sendable {
    package var host: String
    package var port: Int
    package var security: MailSecurity
    /// PEM CA file to trust instead of the system roots.
    package var caFile: String?
    /// Verify the server's certificate (always, unless a test turns it off).
    package var verifyCertificate = true
    package var connectTimeout: Duration = .seconds(30)

    package init(host: String, port: Int, security: MailSecurity, caFile: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.caFile = caFile
    }

    /// The TLS context for this endpoint.
    func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        if !verifyCertificate { configuration.certificateVerification = .none }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The SNI name: the host unless it is an IP literal (NIOSSL then checks the certificate against the peer's
    /// address).
    var serverHostname: String? {
        let isIP = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return isIP ? nil : host
    }
}

/// A failure on the wire, before any protocol meaning is given to it.
package enum MailWireError: Error, Sendable {
    /// No answer within the time the protocol allows; the connection has been closed.
    case timeout(Duration)
    /// The peer closed the connection.
    case closed
    /// A line longer than the protocol allows.
    case lineTooLong(Int)
    /// A literal announced larger than the caller allows: (announced, allowed).
    case literalTooLarge(Int, Int)
}

/// One TCP (optionally TLS) connection to a mail server, read as lines and counted bytes with backpressure: the
/// socket is read only while a caller waits for more, so a large IMAP literal is never buffered beyond what its
/// reader asked for.
package struct MailConnection: Sendable {
    let channel: any Channel
    let reader: NIOLoopBound<MailReader>
    package let endpoint: MailEndpoint

    /// Connects; with `security: tls` the TLS handshake is done before this returns.
    package static func connect(
        to endpoint: MailEndpoint,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MailConnection {
        let tls = endpoint.security == .tls ? try endpoint.tlsContext() : nil
        let hostname = endpoint.serverHostname
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(endpoint.connectTimeout))
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: hostname)
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(MailReader(awaitingHandshake: tls != nil))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw IntegrationError.connectionFailed(
                "cannot connect to \(endpoint.host):\(endpoint.port): \(MailConnection.describe(error))",
                sent: false,
                underlying: error
            )
        }
        let reader = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: MailReader.self),
                eventLoop: channel.eventLoop
            )
        }.get()
        let connection = MailConnection(channel: channel, reader: reader, endpoint: endpoint)
        if tls != nil { try await connection.wait(.handshake, timeout: endpoint.connectTimeout) }
        return connection
    }

    /// Upgrades the connection in place (STARTTLS); returns once the handshake completed.
    package func startTLS() async throws {
        let context = try endpoint.tlsContext()
        let hostname = endpoint.serverHostname
        let reader = self.reader
        try await channel.eventLoop.submit {
            try self.channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: context, serverHostname: hostname),
                position: .first
            )
            reader.value.expectHandshake()
        }.get()
        _ = try await wait(.handshake, timeout: endpoint.connectTimeout)
    }

    /// Whether the channel is encrypted.
    package var isEncrypted: Bool {
        get async {
            (try? await channel.pipeline.handler(type: NIOSSLClientHandler.self).get()) != nil
        }
    }

    /// The next line, without its CRLF (a bare LF is accepted).
    package func readLine(timeout: Duration, maximum: Int = 1 << 20) async throws -> ByteBuffer {
        try await wait(.line(maximum: maximum), timeout: timeout)
    }

    /// Up to `count` bytes, at least one: what is buffered, or the next read.
    package func readSome(upTo count: Int, timeout: Duration) async throws -> ByteBuffer {
        try await wait(.some(count), timeout: timeout)
    }

    /// One whole framed response: lines, each of which may announce (per `literalSize`) a literal of that many
    /// bytes that follows it, up to a line that announces none; the bytes as received, CRLFs included. Framed on
    /// the event loop, so a response costs the caller one wait however many lines and literals it has.
    package func readFramed(
        timeout: Duration,
        maximumLine: Int,
        maximumLiteral: Int,
        literalSize: @escaping @Sendable (ByteBufferView) -> Int?
    ) async throws -> ByteBuffer {
        try await wait(
            .framed(maximumLine: maximumLine, maximumLiteral: maximumLiteral, literalSize: literalSize),
            timeout: timeout
        )
    }

    /// Exactly `count` bytes.
    package func readExactly(_ count: Int, timeout: Duration) async throws -> ByteBuffer {
        var out = channel.allocator.buffer(capacity: count)
        while out.readableBytes < count {
            var chunk = try await readSome(upTo: min(count - out.readableBytes, 1 << 20), timeout: timeout)
            out.writeBuffer(&chunk)
        }
        return out
    }

    /// Writes and flushes.
    package func write(_ bytes: some Sequence<UInt8>) async throws {
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
        } catch {
            throw MailWireError.closed
        }
    }

    /// Closes the connection; never throws.
    package func close() async {
        try? await channel.close().get()
    }

    @discardableResult
    private func wait(_ want: MailReader.Want, timeout: Duration) async throws -> ByteBuffer {
        let reader = self.reader
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        channel.eventLoop.execute {
            reader.value.request(want, timeout: timeout, promise: promise)
        }
        return try await promise.futureResult.get()
    }

    /// A TLS failure that the same connection would meet again (an untrusted or mismatched certificate, no common
    /// protocol version): never retried, with what to change. `nil` for anything else.
    package static func permanentTLSFailure(_ error: any Error, server: String, security: MailSecurity)
        -> IntegrationError?
    {
        let text: String
        switch error {
        case let error as NIOSSLError: text = "\(error)"
        case let error as BoringSSLError: text = "\(error)"
        case let error as NIOSSLExtraError: text = "\(error)"
        default: return nil
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("unableToValidateCertificate") {
            return IntegrationError(
                code: .connectionFailed,
                message: "\(server): the server's TLS certificate is not trusted (CERTIFICATE_VERIFY_FAILED)",
                transience: .never,
                hint: "set ca_file in the smtp:/imap: block to the CA that signed it (PEM), or use the host name "
                    + "the certificate was issued for"
            )
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            return IntegrationError(
                code: .connectionFailed,
                message: "\(server): the server did not answer TLS on this port",
                transience: .never,
                hint: security == .tls
                    ? "this port speaks plain text first: set security: starttls (or the implicit-TLS port)"
                    : "check the port and security settings"
            )
        }
        return nil
    }

    /// A short description of a connection error, with no credential in it.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as MailWireError:
            switch error {
            case .timeout(let after): return "no answer within \(after.secondsText)"
            case .closed: return "the server closed the connection"
            case .lineTooLong(let count): return "a line longer than \(count) bytes"
            case .literalTooLarge(let size, let allowed):
                return "a literal of \(size) bytes, more than the \(allowed) allowed"
            }
        case let error as NIOSSLError: return "TLS failed: \(error)"
        case let error as BoringSSLError: return "TLS failed: \(error)"
        case let error as NIOSSLExtraError: return "TLS failed: \(error)"
        case is ChannelError: return "\(error)"
        case let error as IOError: return error.description
        default: return "\(error)"
        }
    }
}

/// The pipeline's last handler: buffers what arrives and answers one request at a time, reading from the socket
/// only while a request waits (`autoRead` is off).
final class MailReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    enum Want {
        case line(maximum: Int)
        case some(Int)
        case handshake
        case framed(maximumLine: Int, maximumLiteral: Int, literalSize: @Sendable (ByteBufferView) -> Int?)
    }

    private struct Pending {
        var want: Want
        var promise: EventLoopPromise<ByteBuffer>
        var timer: Scheduled<Void>?
    }

    private var buffer = ByteBuffer()
    private var pending: Pending?
    private var context: ChannelHandlerContext?
    private var ended: (any Error)?
    private var handshakeDone: Bool

    init(awaitingHandshake: Bool) { handshakeDone = !awaitingHandshake }

    func expectHandshake() { handshakeDone = false }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        serve()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pending != nil { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeDone = true
            serve()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if ended == nil { ended = MailWireError.closed }
        serve()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if ended == nil { ended = error }
        serve()
        context.close(promise: nil)
    }

    func request(_ want: Want, timeout: Duration, promise: EventLoopPromise<ByteBuffer>) {
        guard pending == nil else {
            promise.fail(IntegrationError(code: .internalError, message: "two reads at once on one mail connection"))
            return
        }
        pending = Pending(want: want, promise: promise, timer: nil)
        serve()
        guard pending != nil, let context else { return }
        let loop = context.eventLoop
        pending?.timer = loop.scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self, let pending = self.pending else { return }
            self.pending = nil
            self.ended = MailWireError.timeout(timeout)
            pending.promise.fail(MailWireError.timeout(timeout))
            self.context?.close(promise: nil)
        }
        context.read()
    }

    /// Answers the pending request when the buffer can.
    private func serve() {
        guard let current = pending else { return }
        do {
            if let value = try take(current.want) {
                pending = nil
                current.timer?.cancel()
                current.promise.succeed(value)
            } else if let ended {
                pending = nil
                current.timer?.cancel()
                current.promise.fail(ended)
            }
        } catch {
            pending = nil
            current.timer?.cancel()
            current.promise.fail(error)
            context?.close(promise: nil)
        }
    }

    private func take(_ want: Want) throws -> ByteBuffer? {
        switch want {
        case .handshake:
            return handshakeDone ? ByteBuffer() : nil
        case .framed(let maximumLine, let maximumLiteral, let literalSize):
            guard
                let length = try framedLength(
                    maximumLine: maximumLine,
                    maximumLiteral: maximumLiteral,
                    literalSize: literalSize
                )
            else { return nil }
            let slice = buffer.readSlice(length: length)
            compact()
            return slice
        case .some(let count):
            guard buffer.readableBytes > 0 else { return nil }
            let slice = buffer.readSlice(length: min(count, buffer.readableBytes))
            compact()
            return slice
        case .line(let maximum):
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > maximum { throw MailWireError.lineTooLong(maximum) }
                return nil
            }
            let length = newline - view.startIndex
            if length > maximum { throw MailWireError.lineTooLong(maximum) }
            var line = buffer.readSlice(length: length + 1)!
            line.moveWriterIndex(to: line.writerIndex - 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            compact()
            return line
        }
    }

    /// The length of the framed response at the front of the buffer, once all of it is there.
    private func framedLength(
        maximumLine: Int,
        maximumLiteral: Int,
        literalSize: (ByteBufferView) -> Int?
    ) throws -> Int? {
        let view = buffer.readableBytesView
        var position = view.startIndex
        while true {
            let rest = view[position...]
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                if rest.count > maximumLine { throw MailWireError.lineTooLong(maximumLine) }
                return nil
            }
            if newline - position > maximumLine { throw MailWireError.lineTooLong(maximumLine) }
            var end = newline
            if end > position, view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            guard let size = literalSize(view[position..<end]) else { return newline + 1 - view.startIndex }
            guard size <= maximumLiteral else { throw MailWireError.literalTooLarge(size, maximumLiteral) }
            let literalEnd = newline + 1 + size
            guard literalEnd <= view.endIndex else { return nil }
            position = literalEnd
        }
    }

    private func compact() {
        if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
    }
}
