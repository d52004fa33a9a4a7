import SwitchboardCore

/// What one calendar backend does (Google Calendar, CalDAV, the local calendar). ``CalendarIntegration`` builds
/// every operation on it, availability included, so the adapters stay small and answer alike.
///
/// Identity is the caller's: ``create(_:now:)`` stores the event under `event.id` (derived from the call's
/// idempotency key when it has one) and, when an event with that id exists already, returns it with
/// `created == false` and changes nothing.
public protocol CalendarService: Sendable {
    /// The zone all-day and floating times are placed in.
    var timeZone: ICalZone { get }

    /// Stores a new event under `event.id`, or returns the one already stored under it.
    func create(_ event: CalendarEvent, now: Int64) async throws -> (event: CalendarEvent, created: Bool)

    /// The event (a series, or one instance of it by instance id).
    /// - Throws: `not_found` when there is none.
    func get(id: String) async throws -> CalendarEvent

    /// Replaces the event with what `change` makes of it, if its ETag is still `etag` (when given).
    /// - Throws: `conflict` when the ETag is stale (nothing is written), `not_found`.
    func update(
        id: String,
        etag: String?,
        now: Int64,
        _ change: @Sendable (CalendarEvent) throws -> CalendarEvent
    ) async throws -> CalendarEvent

    /// Deletes the event, if its ETag is still `etag` (when given).
    func delete(id: String, etag: String?) async throws

    /// Every instance that overlaps [`from`, `to`) (UTC seconds), recurring events expanded, in order of start.
    func events(from: Int64, to: Int64) async throws -> EventListing

    /// The busy intervals in [`from`, `to`) as the server computes them (Google's freebusy.query), or nil to
    /// compute them from ``events(from:to:)``.
    func busy(from: Int64, to: Int64) async throws -> [(Int64, Int64)]?

    func shutdown() async throws
}

extension CalendarService {
    public func shutdown() async throws {}

    public func busy(from: Int64, to: Int64) async throws -> [(Int64, Int64)]? { nil }
}

/// The instances of a window, and the resources that could not be read (named, with their line), which do not
/// stop the others from being listed.
public struct EventListing: Sendable {
    public var items: [CalendarEvent]
    public var problems: [String]

    public init(items: [CalendarEvent], problems: [String] = []) {
        self.items = items
        self.problems = problems
    }
}
