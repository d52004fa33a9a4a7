import Crypto
import Foundation
import SwitchboardCore
import Synchronization

/// Objects as files under a root directory (the embedded default: `<data-dir>/files`). Writes are atomic
/// (temporary file, fsync, rename); keys with `..`, `.` or empty segments, absolute keys, and symbolic links that
/// lead out of the root are refused. ETags are the MD5 of the content, as S3's for single-part uploads.
public struct LocalStorage: ObjectStorage {
    public let root: String
    let clock: any ResilienceClock

    public init(root: String, clock: any ResilienceClock = SystemClock()) {
        self.root = root
        self.clock = clock
    }

    // MARK: Keys to paths

    /// The file for `key`, checked to stay inside the root.
    func path(for key: String) throws -> String {
        if key.hasPrefix("/") {
            throw IntegrationError.invalidInput("\(key) is an absolute path; keys are relative to the storage root")
        }
        if key.hasSuffix("/") {
            throw IntegrationError.invalidInput(
                "\(key) ends with /, which names a folder, not an object; add the file name"
            )
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments where segment.isEmpty || segment == "." || segment == ".." {
            throw IntegrationError.invalidInput(
                "\(key) has a `\(segment.isEmpty ? "//" : String(segment))` segment; keys must not leave the storage root"
            )
        }
        let path = root + "/" + key
        try checkInsideRoot(path, key: key)
        return path
    }

    /// Refuses a path whose existing part resolves (through symbolic links) outside the root.
    func checkInsideRoot(_ path: String, key: String) throws {
        guard let realRoot = Self.realPath(root) else { return }
        var probe = path
        while Self.realPath(probe) == nil, probe.count > root.count {
            probe = (probe as NSString).deletingLastPathComponent
        }
        guard let resolved = Self.realPath(probe) else { return }
        if resolved != realRoot && !resolved.hasPrefix(realRoot + "/") {
            throw IntegrationError(
                code: .forbidden,
                message: "\(key) leads outside the storage root through a symbolic link"
            )
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates the root if needed and, once per process, removes the partial files that interrupted writes left
    /// behind (older than a day, or written by a process that is gone).
    func ensureRoot() throws {
        try FileIO.ensureDirectory(root)
        let first = Self.swept.withLock { $0.insert(root).inserted }
        if first { PartialFiles.sweep(root) }
    }

    /// The roots swept in this process.
    private static let swept = Mutex<Set<String>>([])

    // MARK: Operations

    public func upload(
        file source: String,
        to key: String,
        contentType: String?,
        metadata: [String: String],
        progress: ProgressHandler?
    ) async throws -> StoredObject {
        try ensureRoot()
        let target = try path(for: key)
        let size = try FileTransfer.regularFileSize(source)
        let etag = try await FileTransfer.blocking {
            try FileIO.ensureDirectory((target as NSString).deletingLastPathComponent)
            try self.checkInsideRoot(target, key: key)
            return try Self.copyFile(source, to: target, size: size, progress: progress)
        }
        return StoredObject(key: key, size: size, etag: etag)
    }

    public func download(_ key: String, to destination: String, progress: ProgressHandler?) async throws
        -> DownloadedFile
    {
        try ensureRoot()
        let source = try path(for: key)
        let target = try FileTransfer.downloadPath(destination, key: key)
        let size: Int64
        do {
            size = try FileTransfer.regularFileSize(source)
        } catch let error as IntegrationError where error.code == .notFound {
            throw IntegrationError(code: .notFound, message: "no object \(key) in \(root)")
        }
        _ = try await FileTransfer.blocking {
            try Self.copyFile(source, to: target, size: size, progress: progress, durable: false)
        }
        return DownloadedFile(path: target, size: size)
    }

    /// Copies `source` to `target` through a temporary file; returns the MD5 of the content in hex.
    static func copyFile(
        _ source: String,
        to target: String,
        size: Int64,
        progress: ProgressHandler?,
        durable: Bool = true
    ) throws -> String {
        let input = try FileTransfer.openForReading(source)
        defer { close(input) }
        let (temporary, output) = try FileTransfer.createTemporary(besides: target)
        var md5 = Insecure.MD5()
        var position: Int64 = 0
        do {
            while true {
                let chunk = try FileTransfer.read(input, offset: position, count: FileTransfer.chunkSize)
                if chunk.isEmpty { break }
                md5.update(data: chunk)
                try chunk.withUnsafeBytes { try FileTransfer.write(output, $0, offset: position, destination: target) }
                position += Int64(chunk.count)
                progress?(position, size)
            }
            try FileTransfer.commit(output, temporary: temporary, to: target, durable: durable)
        } catch {
            FileTransfer.discard(output, temporary: temporary)
            throw error
        }
        return SigV4Signer.hex(Array(md5.finalize()))
    }

    public func list(folder: String) async throws -> Listing {
        try ensureRoot()
        let prefix = ObjectKey.folderPrefix(folder)
        let directory = prefix.isEmpty ? root : try path(for: String(prefix.dropLast()))
        var listing = Listing()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            return listing  // an empty or missing folder lists as empty, as in S3
        }
        for name in names.sorted() where !PartialFiles.isPartial(name) {
            let full = directory + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                listing.folders.append(prefix + name + "/")
            case S_IFREG:
                let etag = (try? Self.md5(of: full)) ?? ""
                listing.files.append(
                    ListedObject(
                        key: prefix + name,
                        size: Int64(info.st_size),
                        lastModified: StorageIntegration.iso(
                            Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
                        ),
                        etag: etag
                    )
                )
            default:
                continue  // symbolic links and special files are not objects
            }
        }
        return listing
    }

    static func md5(of path: String) throws -> String {
        let fd = try FileTransfer.openForReading(path)
        defer { close(fd) }
        var md5 = Insecure.MD5()
        var position: Int64 = 0
        while true {
            let chunk = try FileTransfer.read(fd, offset: position, count: FileTransfer.chunkSize)
            if chunk.isEmpty { break }
            md5.update(data: chunk)
            position += Int64(chunk.count)
        }
        return SigV4Signer.hex(Array(md5.finalize()))
    }

    public func delete(_ key: String) async throws {
        let target = try path(for: key)
        if unlink(target) != 0 && errno != ENOENT {
            throw IntegrationError(
                code: .internalError,
                message: "cannot delete \(key): \(String(cString: strerror(errno)))"
            )
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        let target = try path(for: key)
        var info = stat()
        guard stat(target, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw IntegrationError(code: .notFound, message: "no object \(key) in \(root)")
        }
        let etag = try await FileTransfer.blocking { try Self.md5(of: target) }
        return ObjectInfo(
            key: key,
            size: Int64(info.st_size),
            etag: etag,
            contentType: ContentType.guess(key),
            lastModified: StorageIntegration.iso(Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec)))
        )
    }

    public func copy(_ source: String, to destination: String) async throws -> StoredObject {
        let from = try path(for: source)
        let to = try path(for: destination)
        let size: Int64
        do {
            size = try FileTransfer.regularFileSize(from)
        } catch let error as IntegrationError where error.code == .notFound {
            throw IntegrationError(code: .notFound, message: "no object \(source) in \(root)")
        }
        let etag = try await FileTransfer.blocking {
            try FileIO.ensureDirectory((to as NSString).deletingLastPathComponent)
            return try Self.copyFile(from, to: to, size: size, progress: nil)
        }
        return StoredObject(key: destination, size: size, etag: etag)
    }

    /// A `file://` URL: curl reads it (`curl URL`) and writes it (`curl -T file URL`). A local path has no
    /// expiry; `expires_at` says when the caller asked it to stop being used.
    public func presign(_ key: String, method: PresignMethod, expiresIn seconds: Int) throws -> PresignedURL {
        let target = try path(for: key)
        if method == .get {
            var info = stat()
            guard stat(target, &info) == 0 else {
                throw IntegrationError(code: .notFound, message: "no object \(key) in \(root)")
            }
        }
        return PresignedURL(
            url: URL(fileURLWithPath: target).absoluteString,
            expiresAt: clock.wallTime.addingTimeInterval(TimeInterval(seconds))
        )
    }
}
