import Foundation
import SwitchboardCore

/// An object store: S3 and compatible servers, or a local directory. Keys are full object names
/// (`reports/2026/q3.pdf`); a "folder" is a key prefix ending in `/`.
public protocol ObjectStorage: Sendable {
    /// Uploads the local file at `path` as `key`, reporting bytes sent to `progress`.
    func upload(
        file path: String,
        to key: String,
        contentType: String?,
        metadata: [String: String],
        progress: ProgressHandler?
    ) async throws -> StoredObject
    /// Downloads `key` into the local file `path` (its directory must exist), reporting bytes received to
    /// `progress`. Written to a temporary file and renamed into place only when complete and verified.
    func download(_ key: String, to path: String, progress: ProgressHandler?) async throws -> DownloadedFile
    /// The objects and sub-folders directly under `folder` (`""` or `/` for the root).
    func list(folder: String) async throws -> Listing
    /// Deletes `key`. Deleting a missing key is not an error (as in S3).
    func delete(_ key: String) async throws
    /// Size, ETag, content type and metadata of `key`.
    func head(_ key: String) async throws -> ObjectInfo
    /// Copies `source` to `destination` inside the store.
    func copy(_ source: String, to destination: String) async throws -> StoredObject
    /// A URL that a plain HTTP client (curl) can use to GET or PUT `key` until it expires.
    func presign(_ key: String, method: PresignMethod, expiresIn seconds: Int) throws -> PresignedURL
    /// Releases connections.
    func shutdown() async throws
}

extension ObjectStorage {
    public func shutdown() async throws {}

    /// Uploads without progress reports.
    public func upload(file path: String, to key: String, contentType: String? = nil, metadata: [String: String] = [:])
        async throws -> StoredObject
    {
        try await upload(file: path, to: key, contentType: contentType, metadata: metadata, progress: nil)
    }

    /// Downloads without progress reports.
    public func download(_ key: String, to path: String) async throws -> DownloadedFile {
        try await download(key, to: path, progress: nil)
    }
}

/// The result of an upload or copy.
public struct StoredObject: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
}

/// The result of a download.
public struct DownloadedFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
}

/// One object in a listing.
public struct ListedObject: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: String
    public var etag: String
}

/// A folder's contents: objects directly in it, and its sub-folders (each ending in `/`).
public struct Listing: Sendable, Equatable {
    public var files: [ListedObject] = []
    public var folders: [String] = []
}

/// What `head` reports.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var contentType: String?
    public var lastModified: String?
    public var metadata: [String: String] = [:]
}

/// The method a presigned URL allows.
public enum PresignMethod: String, Sendable {
    case get = "GET"
    case put = "PUT"
}

/// A presigned URL and when it stops working.
public struct PresignedURL: Sendable, Equatable {
    public var url: String
    public var expiresAt: Date
}

/// Checks object keys: non-empty, at most 1024 bytes of UTF-8, no NUL or other control characters.
enum ObjectKey {
    static func validate(_ key: String, field: String = "file_id") throws -> String {
        guard !key.isEmpty else {
            throw IntegrationError.invalidInput("\(field) is empty: give the object's full key, such as reports/q3.pdf")
        }
        guard key.utf8.count <= 1024 else { throw IntegrationError.invalidInput("\(field) is longer than 1024 bytes") }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw IntegrationError.invalidInput("\(field) contains a control character")
        }
        return key
    }

    /// `reports` → `reports/`; `""` and `/` → `""` (the root).
    static func folderPrefix(_ folder: String) -> String {
        var folder = folder
        while folder.hasPrefix("/") { folder.removeFirst() }
        if folder.isEmpty { return "" }
        return folder.hasSuffix("/") ? folder : folder + "/"
    }
}

/// A content type from a file name's extension, for uploads that do not give one.
enum ContentType {
    static func guess(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "txt", "log", "md": return "text/plain; charset=utf-8"
        case "csv": return "text/csv"
        case "json": return "application/json"
        case "html", "htm": return "text/html; charset=utf-8"
        case "xml": return "application/xml"
        case "pdf": return "application/pdf"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "svg": return "image/svg+xml"
        case "zip": return "application/zip"
        case "gz", "tgz": return "application/gzip"
        case "yaml", "yml": return "application/yaml"
        default: return "application/octet-stream"
        }
    }
}
