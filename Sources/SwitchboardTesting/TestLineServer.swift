import NIOCore
import NIOPosix
import Synchronization

/// A line-based TCP server on 127.0.0.1 whose side of the conversation a test scripts (a fake SMTP or IMAP server
/// that drops the connection at a chosen moment, refuses a login, or answers out of protocol).
public final class TestLineServer: Sendable {
    /// One accepted connection, used only by the task that serves it.
    public final class Conversation {
        private var iterator: AsyncStream<ByteBuffer>.Iterator
        private let output: NIOAsyncChannelOutboundWriter<ByteBuffer>
        private var buffer = ByteBuffer()

        init(iterator: AsyncStream<ByteBuffer>.Iterator, output: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
            self.iterator = iterator
            self.output = output
        }

        /// The next line without its CRLF; `nil` when the client closed the connection.
        public func readLine() async throws -> String? {
            while true {
                if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = newline - buffer.readableBytesView.startIndex
                    var line = buffer.readString(length: length + 1) ?? ""
                    line.removeLast()
                    if line.hasSuffix("\r") { line.removeLast() }
                    return line
                }
                guard var next = await iterator.next(isolation: #isolation) else { return nil }
                buffer.writeBuffer(&next)
            }
        }

        /// Reads up to and including a line that is exactly `terminator` (SMTP's DATA ends with `.`); the lines
        /// before it, or `nil` when the client closed first.
        public func readLines(until terminator: String) async throws -> [String]? {
            var lines: [String] = []
            while let line = try await readLine() {
                if line == terminator { return lines }
                lines.append(line)
            }
            return nil
        }

        /// Writes text as is (include the CRLF).
        public func write(_ text: String) async throws {
            try await output.write(ByteBuffer(string: text))
        }
    }

    /// The port it listens on.
    public let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>
    private let accepted = Counter()

    private final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// How many connections it has accepted.
    public var connections: Int { accepted.value.withLock { $0 } }

    /// Starts listening; `serve` runs once per connection, which closes when it returns or throws.
    public init(_ serve: @escaping @Sendable (Conversation) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        port = server.channel.localAddress?.port ?? 0
        channel = server.channel
        let counter = accepted
        task = Task {
            try? await server.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            counter.value.withLock { $0 += 1 }
                            group.addTask {
                                try? await connection.executeThenClose { input, output in
                                    let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                                    try await withThrowingTaskGroup { pump in
                                        pump.addTask {
                                            for try await chunk in input { continuation.yield(chunk) }
                                            continuation.finish()
                                        }
                                        let conversation = Conversation(
                                            iterator: stream.makeAsyncIterator(),
                                            output: output
                                        )
                                        try await serve(conversation)
                                        pump.cancelAll()
                                    }
                                }
                            }
                        }
                    } catch {}
                }
            }
        }
    }

    /// Stops listening and closes every connection.
    public func shutdown() async {
        try? await channel.close().get()
        task.cancel()
        await task.value
    }
}
