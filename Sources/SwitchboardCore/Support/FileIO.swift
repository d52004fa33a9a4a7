import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File helpers shared by every module that writes: atomic replacement and owner-only permissions.
package enum FileIO {
    /// Writes `data` to `path` atomically: a temporary file beside it, `fsync`, then `rename`. The file gets
    /// `permissions` (default 0600, owner only).
    /// - Throws: ``IntegrationError`` naming the path when any step fails; the original file is then untouched.
    package static func writeAtomically(_ data: Data, to path: String, permissions: Int = 0o600) throws {
        let temporary = try writeTemporary(data, besides: path, permissions: permissions)
        try commit(temporary, to: path)
    }

    /// Writes `data` to a new temporary file in the directory of `path`, synced to disk, and returns its path.
    package static func writeTemporary(_ data: Data, besides path: String, permissions: Int = 0o600) throws -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/" + PartialFiles.name(for: base)
        PartialFiles.register(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
        guard fd >= 0 else {
            PartialFiles.unregister(temporary)
            throw IntegrationError(code: .internalError, message: "cannot create \(temporary): \(errnoText())")
        }
        defer { close(fd) }
        let written = data.withUnsafeBytes { buffer -> Int in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                offset += n
            }
            return offset
        }
        guard written == data.count, fsync(fd) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            PartialFiles.unregister(temporary)
            throw IntegrationError(code: .internalError, message: "cannot write \(temporary): \(reason)")
        }
        _ = fchmod(fd, mode_t(permissions))
        return temporary
    }

    /// Renames a temporary file from ``writeTemporary(_:besides:permissions:)`` into place.
    package static func commit(_ temporary: String, to path: String) throws {
        defer { PartialFiles.unregister(temporary) }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw IntegrationError(code: .internalError, message: "cannot replace \(path): \(reason)")
        }
    }

    /// Removes a temporary file that will not be committed.
    package static func discard(_ temporary: String) {
        unlink(temporary)
        PartialFiles.unregister(temporary)
    }

    /// Reads everything from `path`, which may be any readable file: a regular file, a FIFO, `/dev/stdin`, a
    /// process substitution (`<(...)`); `"-"` reads standard input. More than `limit` bytes is an error.
    /// - Throws: ``IntegrationError`` `invalidInput` naming the path and the reason.
    package static func readAll(_ path: String, limit: Int, what: String) throws -> Data {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IntegrationError(code: .invalidInput, message: "\(what): cannot read \(path): \(errnoText())")
        }
        defer { if path != "-" { close(fd) } }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw IntegrationError(code: .invalidInput, message: "\(what): \(path) is a directory")
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IntegrationError(code: .invalidInput, message: "\(what): cannot read \(path): \(errnoText())")
            }
            if n == 0 { return data }
            guard data.count + n <= limit else {
                throw IntegrationError(
                    code: .invalidInput,
                    message: "\(what): \(path == "-" ? "standard input" : path) holds more than \(limit >> 20) MiB"
                )
            }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    /// Creates `path` and its parents as directories readable by the owner only (0700).
    package static func ensureDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "cannot create the data directory \(path)",
                hint: "choose another with --data-dir or SWITCHBOARD_DATA_DIR"
            )
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Where Switchboard keeps what it writes: `--data-dir`, else `SWITCHBOARD_DATA_DIR`, else
/// `$XDG_DATA_HOME/switchboard`, else `~/.local/share/switchboard`.
package enum DataDirectory {
    /// The data directory for these settings (not created).
    package static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let dir = environment["SWITCHBOARD_DATA_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/switchboard" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/switchboard"
    }
}
