import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The temporary files this process is writing (a download or an upload not yet renamed into place), so that a
/// signal handler can remove them before the process dies, and a later process can tell a partial file left by a
/// killed one (its name carries the writer's process id) from one still being written.
package enum PartialFiles {
    private static let open = Mutex<Set<String>>([])

    /// This process's id, as it appears in partial-file names.
    package static let processID = getpid()

    /// Records `path` as being written.
    package static func register(_ path: String) { _ = open.withLock { $0.insert(path) } }

    /// Forgets `path` (committed or discarded).
    package static func unregister(_ path: String) { _ = open.withLock { $0.remove(path) } }

    /// Removes every partial file this process has open; for a signal handler that is about to exit.
    package static func removeAll() {
        let paths = open.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in paths { unlink(path) }
    }

    /// The name for a partial file of `name`: `.NAME.PID.RANDOM.part`.
    package static func name(for name: String) -> String {
        ".\(name).\(processID).\(UUID().uuidString.prefix(8)).part"
    }

    /// Whether a file named `name` is a partial file (`.NAME[.PID].RANDOM.part`).
    package static func isPartial(_ name: String) -> Bool { name.hasPrefix(".") && name.hasSuffix(".part") }

    /// Whether the partial file `name`, last modified at `modified`, is abandoned: older than `maximumAge`, or
    /// written by a process that no longer runs. A file of this process, or of a live process, is kept while
    /// young.
    package static func isStale(_ name: String, modified: Date, now: Date, maximumAge: TimeInterval = 86_400) -> Bool {
        if now.timeIntervalSince(modified) > maximumAge { return true }
        let parts = name.dropFirst().dropLast(5).split(separator: ".")
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0 else { return false }
        if pid == processID { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes the abandoned partial files under `root` (recursively; symbolic links are not followed) and
    /// returns how many it removed.
    @discardableResult
    package static func sweep(_ root: String, now: Date = Date()) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        var removed = 0
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard isPartial(name) else { continue }
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            #if canImport(Darwin)
                let seconds = info.st_mtimespec.tv_sec
            #else
                let seconds = info.st_mtim.tv_sec
            #endif
            if isStale(name, modified: Date(timeIntervalSince1970: TimeInterval(seconds)), now: now), unlink(path) == 0
            {
                removed += 1
            }
        }
        return removed
    }
}
