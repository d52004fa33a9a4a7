import Crypto
import Foundation
import SwitchboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A calendar kept as `.ics` files in a directory (`<data-dir>/calendar/` by default), one VCALENDAR per event,
/// named `<id>.ics`. Writes are atomic; a create never replaces a file (a hard link of the finished file is the
/// commit, so two processes creating the same id leave one event); updates and deletes hold a lock on the
/// directory and check the ETag (the SHA-256 of the file) first.
public struct LocalCalendar: CalendarService {
    public let directory: String
    public let timeZone: ICalZone
    /// Files larger than this are refused as not being one event.
    static let maximumFileSize = 4 << 20

    public init(directory: String, timeZone: ICalZone) {
        self.directory = directory
        self.timeZone = timeZone
    }

    func path(of id: String) throws -> String {
        try EventInput.checkID(id)
        return directory + "/" + id + ".ics"
    }

    static func etag(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(10).map { String(format: "%02x", $0) }.joined()
    }

    private func read(_ path: String, id: String) throws -> EventResource? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count <= Self.maximumFileSize else {
            throw IntegrationError(code: .serviceError, message: "\(path) is larger than 4 MiB; not an event file")
        }
        return try EventResource(id: id, bytes: bytes, etag: Self.etag(of: bytes), location: path)
    }

    // MARK: CalendarService

    public func create(_ event: CalendarEvent, now: Int64) async throws -> (event: CalendarEvent, created: Bool) {
        let path = try path(of: event.id)
        if let existing = try read(path, id: event.id) { return (try existing.event(zone: timeZone), false) }
        try FileIO.ensureDirectory(directory)
        let bytes = try EventResource.bytes(of: event, over: nil, now: now)
        let temporary = try FileIO.writeTemporary(Data(bytes), besides: path, permissions: 0o600)
        // link() never replaces: if another process stored this id first, its event stands.
        let linked = link(temporary, path) == 0
        let reason = errno
        FileIO.discard(temporary)
        if !linked {
            guard reason == EEXIST, let existing = try read(path, id: event.id) else {
                throw IntegrationError(
                    code: .internalError,
                    message: "cannot create \(path): \(String(cString: strerror(reason)))"
                )
            }
            return (try existing.event(zone: timeZone), false)
        }
        let stored = try EventResource(id: event.id, bytes: bytes, etag: Self.etag(of: bytes), location: path)
        return (try stored.event(zone: timeZone), true)
    }

    public func get(id: String) async throws -> CalendarEvent {
        let path = try path(of: id)
        if let existing = try read(path, id: id) { return try existing.event(zone: timeZone) }
        if let (seriesID, start) = EventResource.instanceParts(of: id),
            let series = try read(try self.path(of: seriesID), id: seriesID),
            let instance = try series.instance(id, near: start, zone: timeZone)
        {
            return instance
        }
        throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
    }

    public func update(
        id: String,
        etag: String?,
        now: Int64,
        _ change: @Sendable (CalendarEvent) throws -> CalendarEvent
    ) async throws -> CalendarEvent {
        let path = try path(of: id)
        return try withLock {
            guard let existing = try read(path, id: id) else {
                throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
            }
            if let etag, etag != existing.etag {
                throw IntegrationError(
                    code: .conflict,
                    message: "event \(id) changed since ETag \(etag) (now \(existing.etag)); nothing was written",
                    transience: .never,
                    hint: "get the event again and apply the change to it"
                )
            }
            var changed = try change(try existing.event(zone: timeZone))
            changed.id = id
            let bytes = try EventResource.bytes(of: changed, over: existing, now: now)
            try FileIO.writeAtomically(Data(bytes), to: path, permissions: 0o600)
            let stored = try EventResource(id: id, bytes: bytes, etag: Self.etag(of: bytes), location: path)
            return try stored.event(zone: timeZone)
        }
    }

    public func delete(id: String, etag: String?) async throws {
        let path = try path(of: id)
        try withLock {
            guard let existing = try read(path, id: id) else {
                throw IntegrationError(code: .notFound, message: "no event with id \(id)", transience: .never)
            }
            if let etag, etag != existing.etag {
                throw IntegrationError(
                    code: .conflict,
                    message: "event \(id) changed since ETag \(etag) (now \(existing.etag)); it was not deleted",
                    transience: .never
                )
            }
            guard unlink(path) == 0 else {
                throw IntegrationError(code: .internalError, message: "cannot delete \(path): \(errnoText())")
            }
        }
    }

    public func events(from: Int64, to: Int64) async throws -> EventListing {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            if !FileManager.default.fileExists(atPath: directory) { return EventListing(items: []) }
            throw IntegrationError(code: .internalError, message: "cannot list \(directory)")
        }
        var items: [CalendarEvent] = []
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".ics") && !name.hasPrefix(".") {
            let id = String(name.dropLast(4))
            let path = directory + "/" + name
            do {
                guard let existing = try read(path, id: id) else { continue }
                items += try existing.instances(from: from, to: to, zone: timeZone)
            } catch let error as IntegrationError {
                problems.append(error.message)
            } catch let error as ICalendarError {
                problems.append("\(path): \(error.description)")
            }
        }
        items.sort { ($0.start.instant, $0.end.instant, $0.id) < ($1.start.instant, $1.end.instant, $1.id) }
        return EventListing(items: items, problems: problems)
    }

    /// Runs `body` holding an exclusive lock on the directory's `.lock` file (other processes wait).
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileIO.ensureDirectory(directory)
        let lockPath = directory + "/.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw IntegrationError(code: .internalError, message: "cannot open \(lockPath): \(errnoText())")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                throw IntegrationError(code: .internalError, message: "cannot lock \(lockPath): \(errnoText())")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
