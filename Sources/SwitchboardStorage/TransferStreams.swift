import NIOCore
import SwitchboardCore
import Synchronization

/// Bytes sent so far across the parts of one upload, reported to a progress handler.
final class ByteCounter: Sendable {
    private let value = Atomic<Int64>(0)
    let total: Int64
    let handler: ProgressHandler

    init(total: Int64, handler: @escaping ProgressHandler) {
        self.total = total
        self.handler = handler
    }

    func add(_ count: Int) {
        let now = value.add(Int64(count), ordering: .relaxed).newValue
        handler(min(now, total), total)
    }

    func mark() -> Int64 { value.load(ordering: .relaxed) }
    func reset(to mark: Int64) { value.store(mark, ordering: .relaxed) }
}

/// A region of an open file as an async sequence of 1 MiB buffers, read on the thread pool as the HTTP client
/// asks for them: memory holds a chunk or two, never the region.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let fd: Int32
    let offset: Int64
    let length: Int64
    let sent: ByteCounter?

    struct AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        var position: Int64
        let end: Int64
        let sent: ByteCounter?

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let count = Int(Swift.min(Int64(FileTransfer.chunkSize), end - position))
            let (fd, position) = (self.fd, self.position)
            let bytes = try await FileTransfer.blocking { try FileTransfer.read(fd, offset: position, count: count) }
            guard !bytes.isEmpty else {
                throw IntegrationError(code: .invalidInput, message: "the file shrank while being uploaded")
            }
            self.position += Int64(bytes.count)
            sent?.add(bytes.count)
            return ByteBuffer(bytes: bytes)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(fd: fd, position: offset, end: offset + length, sent: sent)
    }
}
