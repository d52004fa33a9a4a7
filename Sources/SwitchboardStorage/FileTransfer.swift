import Crypto
import Foundation
import NIOPosix
import SwitchboardCore

/// Blocking file work for transfers, run on NIO's thread pool so it never stalls the cooperative pool: reads
/// and writes in chunks (never a whole file in memory), fsync, and atomic rename.
enum FileTransfer {
    static let chunkSize = 1 << 20

    /// Runs blocking `body` on the shared thread pool, or right here when it touches at most `inlineBytes`
    /// (a few KiB from the page cache cost less than the two thread hops).
    static func blocking<T: Sendable>(bytes: Int64 = .max, _ body: @escaping @Sendable () throws -> T) async throws -> T
    {
        if bytes <= smallTransfer { return try body() }
        return try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// Transfers up to this size do their file work inline.
    static let smallTransfer: Int64 = 256 << 10

    /// The size of a regular file, or an error that names the path.
    static func regularFileSize(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw IntegrationError(code: .notFound, message: "no such local file: \(path)") }
            throw IntegrationError(
                code: .invalidInput,
                message: "cannot read \(path): \(String(cString: strerror(errno)))"
            )
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw IntegrationError(code: .invalidInput, message: "\(path) is not a regular file")
        }
        return Int64(info.st_size)
    }

    /// Opens `path` for reading.
    static func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw IntegrationError(code: .notFound, message: "no such local file: \(path)") }
            throw IntegrationError(
                code: .invalidInput,
                message: "cannot open \(path): \(String(cString: strerror(errno)))"
            )
        }
        return fd
    }

    /// Reads exactly `count` bytes at `offset` (fewer only at the end of the file).
    static func read(_ fd: Int32, offset: Int64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw IntegrationError(
                    code: .internalError,
                    message: "read failed: \(String(cString: strerror(errno)))"
                )
            }
            if n == 0 { break }
            done += n
        }
        if done < count { buffer.removeLast(count - done) }
        return buffer
    }

    /// MD5 of `length` bytes at `offset`, read chunk by chunk.
    static func md5(_ fd: Int32, offset: Int64, length: Int64) throws -> Insecure.MD5.Digest {
        var md5 = Insecure.MD5()
        var position = offset
        let end = offset + length
        while position < end {
            let chunk = try read(fd, offset: position, count: Int(min(Int64(chunkSize), end - position)))
            if chunk.isEmpty {
                throw IntegrationError(code: .invalidInput, message: "the file shrank while being read")
            }
            md5.update(data: chunk)
            position += Int64(chunk.count)
        }
        return md5.finalize()
    }

    /// A temporary file beside `path`, created 0600, that ``commit(_:to:)`` renames into place.
    static func createTemporary(besides path: String) throws -> (path: String, fd: Int32) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/" + PartialFiles.name(for: name)
        PartialFiles.register(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            PartialFiles.unregister(temporary)
            throw IntegrationError(
                code: .invalidInput,
                message: "cannot write in \(directory.isEmpty ? "." : directory): \(String(cString: strerror(errno)))"
            )
        }
        return (temporary, fd)
    }

    /// Writes all of `bytes` at `offset`; a full disk is reported as such.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int64, destination: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw writeError(errno, destination: destination)
            }
            done += n
        }
    }

    static func writeError(_ code: Int32, destination: String) -> IntegrationError {
        if code == ENOSPC || code == EFBIG || code == EDQUOT {
            return IntegrationError(
                code: .internalError,
                message:
                    "no space left to write \(destination) (\(String(cString: strerror(code)))); the partial file was removed",
                hint: "free some disk space, or download to another disk"
            )
        }
        return IntegrationError(
            code: .internalError,
            message: "cannot write \(destination): \(String(cString: strerror(code))); the partial file was removed"
        )
    }

    /// Closes `fd` and renames `temporary` to `path`; when `durable`, fsyncs the file first and the directory
    /// after, so the write survives a power loss (the store's own writes). Downloads skip the fsyncs: the rename
    /// alone keeps a partial file from ever appearing under the destination's name.
    static func commit(_ fd: Int32, temporary: String, to path: String, durable: Bool = true) throws {
        if durable && fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            PartialFiles.unregister(temporary)
            throw writeError(code, destination: path)
        }
        close(fd)
        defer { PartialFiles.unregister(temporary) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw IntegrationError(
                code: .internalError,
                message: "cannot move the download into \(path): \(String(cString: strerror(code)))"
            )
        }
        guard durable else { return }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Removes a temporary file after a failure.
    static func discard(_ fd: Int32, temporary: String) {
        close(fd)
        unlink(temporary)
        PartialFiles.unregister(temporary)
    }

    /// Refuses a destination that exists and is not a regular file (a device such as /dev/null, a FIFO, a
    /// socket): a download replaces its destination, which is only right for a file.
    static func checkReplaceable(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // nothing there yet (or a dangling link): a new file
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFSOCK: kind = "a socket"
        case S_IFDIR: kind = "a directory"
        default: kind = "not a regular file"
        }
        throw IntegrationError(
            code: .invalidInput,
            message:
                "the destination \(path) is \(kind); a download only replaces a regular file or goes into a directory",
            hint: "choose a file path or a directory as the destination"
        )
    }

    /// Where a download goes: `destination` itself, or `destination/<last part of key>` when it is a directory.
    /// The directory must exist.
    static func downloadPath(_ destination: String, key: String) throws -> String {
        guard !destination.isEmpty else {
            throw IntegrationError.invalidInput("destination is empty: give a local file path")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            let name = key.split(separator: "/").last.map(String.init) ?? key
            let target = (destination as NSString).appendingPathComponent(name)
            try checkReplaceable(target)
            return target
        }
        try checkReplaceable(destination)
        let directory = (destination as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw IntegrationError(
                    code: .invalidInput,
                    message: "the destination directory \(directory) does not exist",
                    hint: "create it first, or choose another destination"
                )
            }
        }
        return destination
    }
}
