import Foundation

/// A fresh directory under the system's temporary directory for one test, removed with everything in it when
/// the value is dropped (or at ``remove()``). The one temporary-directory helper of the test suites.
public final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates `<tmp>/switchboard-<prefix>-<UUID>`; a test cannot go on without it, so failing to is fatal.
    public init(prefix: String = "test") {
        path = NSTemporaryDirectory() + "switchboard-\(prefix)-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            fatalError("cannot create the test directory \(path): \(error)")
        }
    }

    deinit { remove() }

    /// Writes `text` to `name` inside the directory (owner-only by default, as configuration files should be)
    /// and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ text: String, mode: Int = 0o600) -> String {
        write(name, data: Data(text.utf8), mode: mode)
    }

    /// Writes `data` to `name` inside the directory and returns the file's path.
    @discardableResult
    public func write(_ name: String, data: Data, mode: Int = 0o600) -> String {
        let file = path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        _ = FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: mode])
        return file
    }

    /// The text of `name` inside the directory (empty when it does not exist).
    public func read(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path + "/" + name) ?? Data(), as: UTF8.self)
    }

    /// Deletes the directory and its contents.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
