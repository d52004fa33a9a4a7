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

    private func read(_ path: String, id: String) throws -> (document: ICalendarDocument, etag: String, bytes: [UInt8])?
    {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count <= Self.maximumFileSize else {
            throw IntegrationError(code: .serviceError, message: "\(path) is larger than 4 MiB; not an event file")
        }
        do {
            return (try ICalendarDocument(parsing: bytes), Self.etag(of: bytes), bytes)
        } catch let error as ICalendarError {
            throw IntegrationError(
                code: .serviceError,
                message: "\(path): \(error.description)",
                transience: .never,
                hint: "fix or remove the file; the other events are unaffected"
            )
        }
    }

    private func series(in document: ICalendarDocument, id: String, path: String) throws -> EventSeries {
        guard let series = document.series.first(where: { $0.master != nil }) ?? document.series.first else {
            throw IntegrationError(code: .serviceError, message: "\(path) holds no VEVENT")
        }
        return series
    }

    private func event(from document: ICalendarDocument, id: String, etag: String, path: String) throws
        -> CalendarEvent
    {
        let series = try series(in: document, id: id, path: path)
        guard let master = series.master ?? series.overrides.first else {
            throw IntegrationError(code: .serviceError, message: "\(path) holds no VEVENT")
        }
        do {
            var event = try EventComponent.event(
                from: master,
                seriesID: id,
                zones: document.zones,
                calendarZone: timeZone,
                etag: etag
            )
            event.id = id
            return event
        } catch let error as ICalendarError {
            throw IntegrationError(code: .serviceError, message: "\(path): \(error.description)")
        }
    }

    private func bytes(of event: CalendarEvent, keeping existing: ICalComponent?, document: ICalComponent?, now: Int64)
        throws -> [UInt8]
    {
        let recurrence = try EventInput.recurrence(event.recurrence)
        let component = EventComponent.component(for: event, recurrence: recurrence, into: existing, now: now)
        return Array(EventComponent.calendar(with: component, keeping: document).serialized().utf8)
    }

    // MARK: CalendarService

    public func create(_ event: CalendarEvent, now: Int64) async throws -> (event: CalendarEvent, created: Bool) {
        let path = try path(of: event.id)
        if let existing = try read(path, id: event.id) {
            return (try self.event(from: existing.document, id: event.id, etag: existing.etag, path: path), false)
        }
        try FileIO.ensureDirectory(directory)
        let bytes = try bytes(of: event, keeping: nil, document: nil, now: now)
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
            return (try self.event(from: existing.document, id: event.id, etag: existing.etag, path: path), false)
        }
        var stored = try self.event(
            from: try ICalendarDocument(parsing: bytes),
            id: event.id,
            etag: Self.etag(of: bytes),
            path: path
        )
        stored.id = event.id
        return (stored, true)
    }

    public func get(id: String) async throws -> CalendarEvent {
        let path = try path(of: id)
        if let existing = try read(path, id: id) {
            return try event(from: existing.document, id: id, etag: existing.etag, path: path)
        }
        // An instance id: `<series>_<original start>`.
        if let mark = id.lastIndex(of: "_") {
            let seriesID = String(id[..<mark])
            let suffix = String(id[id.index(after: mark)...])
            if let existing = try read(try self.path(of: seriesID), id: seriesID),
                let time = try? ICalTime.parse(suffix, tzid: nil, name: "id", line: 0)
            {
                let around = time.civil.secondsSinceEpoch
                let listing = try instances(
                    in: existing.document,
                    id: seriesID,
                    etag: existing.etag,
                    from: around - 2 * 86_400,
                    to: around + 2 * 86_400
                )
                if let instance = listing.first(where: { $0.id == id }) { return instance }
            }
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
            let current = try event(from: existing.document, id: id, etag: existing.etag, path: path)
            var changed = try change(current)
            changed.id = id
            let series = try series(in: existing.document, id: id, path: path)
            let bytes = try bytes(
                of: changed,
                keeping: series.master,
                document: existing.document.roots.first { $0.name == "VCALENDAR" },
                now: now
            )
            try FileIO.writeAtomically(Data(bytes), to: path, permissions: 0o600)
            return try event(
                from: try ICalendarDocument(parsing: bytes),
                id: id,
                etag: Self.etag(of: bytes),
                path: path
            )
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
                items += try instances(in: existing.document, id: id, etag: existing.etag, from: from, to: to)
            } catch let error as IntegrationError {
                problems.append(error.message)
            } catch let error as ICalendarError {
                problems.append("\(path): \(error.description)")
            }
        }
        items.sort { ($0.start.instant, $0.end.instant, $0.id) < ($1.start.instant, $1.end.instant, $1.id) }
        return EventListing(items: items, problems: problems)
    }

    /// The instances of one file's series that overlap [from, to), placed in the calendar's zone.
    func instances(in document: ICalendarDocument, id: String, etag: String, from: Int64, to: Int64) throws
        -> [CalendarEvent]
    {
        // Dates and floating times are windowed as UTC by the expansion; widen by a day, then cut exactly.
        let window = ExpansionWindow(lower: from - 86_400, upper: to + 86_400, overlapping: true)
        var out: [CalendarEvent] = []
        for series in document.series {
            let recurring = series.isRecurring
            for occurrence in try series.occurrences(in: window, zones: document.zones) {
                var event = try EventComponent.event(
                    from: occurrence.component,
                    occurrence: recurring || occurrence.recurrenceID != nil && series.master != nil ? occurrence : nil,
                    seriesID: id,
                    zones: document.zones,
                    calendarZone: timeZone,
                    etag: etag
                )
                if !recurring { event.id = id }
                let overlaps =
                    event.start.instant < to
                    && (event.end.instant > from
                        || (event.end.instant == event.start.instant && event.start.instant >= from))
                if overlaps { out.append(event) }
            }
        }
        return out
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
