import AsyncHTTPClient
import Foundation
import NIOCore

/// A request, before credentials are added.
public struct TransportRequest: Sendable {
    /// The method (`GET`, `POST`, ...).
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Headers, in order.
    public var headers: [(String, String)]
    /// The body, if any.
    public var body: TransportBody?

    /// Creates a request.
    public init(method: String, url: String, headers: [(String, String)] = [], body: TransportBody? = nil) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A request body: bytes in memory, or a stream of known length read as it is sent (a file's region, 1 MiB at a
/// time). A stream is made afresh for every attempt of one send (after a 401 or a redirect), so it must be
/// restartable.
public struct TransportBody: Sendable {
    enum Storage: Sendable {
        case bytes(ByteBuffer)
        case stream(@Sendable () -> HTTPClientRequest.Body)
    }
    let storage: Storage
    /// The body's length in bytes.
    public let length: Int64

    /// Bytes held in memory.
    public init(_ data: Data) {
        storage = .bytes(ByteBuffer(bytes: data))
        length = Int64(data.count)
    }

    /// Bytes held in memory.
    public init(bytes: [UInt8]) {
        storage = .bytes(ByteBuffer(bytes: bytes))
        length = Int64(bytes.count)
    }

    /// `length` bytes produced by a fresh sequence of buffers for each attempt.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        length: Int64,
        _ chunks: @escaping @Sendable () -> Chunks
    ) -> TransportBody where Chunks.Element == ByteBuffer {
        TransportBody(storage: .stream({ .stream(chunks(), length: .known(length)) }), length: length)
    }

    private init(storage: Storage, length: Int64) {
        self.storage = storage
        self.length = length
    }

    var isInMemory: Bool {
        if case .bytes = storage { return true }
        return false
    }

    func makeBody() -> HTTPClientRequest.Body {
        switch storage {
        case .bytes(let buffer): return .bytes(buffer)
        case .stream(let make): return make()
        }
    }
}

/// A response with its body read into memory.
public struct TransportResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Headers, in order.
    public var headers: [(String, String)]
    /// The body.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [(String, String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name` (case-insensitive, ASCII).
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.0, name) }?.1
    }
}

/// A successful response whose body has not been read: ``HTTPTransport/stream(_:settings:authenticator:logger:deadline:statusError:_:)``
/// hands it to its body, which reads as much of ``body`` as it needs while the connection is held.
public struct TransportStreamingResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Headers, in order.
    public var headers: [(String, String)]
    /// The body, as buffers in arrival order.
    public var body: HTTPClientResponse.Body

    /// The first header named `name` (case-insensitive, ASCII).
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.0, name) }?.1
    }
}
