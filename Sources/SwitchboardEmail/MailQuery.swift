import Foundation

/// Which messages `receive_emails` asks a backend for.
public struct MailQuery: Sendable, Hashable {
    /// The folder (`inbox` by default).
    public var folder: String
    /// Only messages without `\\Seen`.
    public var unseenOnly: Bool
    /// Only messages dated on or after this day (`YYYY-MM-DD`, compared in each message's own offset).
    public var since: String?
    /// Only messages with this in a From address or name (any case).
    public var from: String?
    /// Only messages with this in the subject (any case).
    public var subject: String?
    /// At most this many, the newest.
    public var limit: Int?

    /// Creates a query.
    public init(
        folder: String = "inbox",
        unseenOnly: Bool = false,
        since: String? = nil,
        from: String? = nil,
        subject: String? = nil,
        limit: Int? = nil
    ) {
        self.folder = folder
        self.unseenOnly = unseenOnly
        self.since = since
        self.from = from
        self.subject = subject
        self.limit = limit
    }

    /// Whether `since`, `from` or `subject` is given: the caller then decides exactly on the parsed message.
    public var isFiltered: Bool { since != nil || from != nil || subject != nil }

    /// The limit a backend may apply itself: none with a filter, since the exact filter runs after it and the
    /// newest `limit` are taken from what passes.
    public var backendLimit: Int? { isFiltered ? nil : limit }

    /// IMAP's `SINCE` date for `since` (a day early: SINCE compares the arrival day in the server's zone, which
    /// may lag a header's date), e.g. `30-Nov-2026`; nil without `since`.
    package var imapSince: String? {
        guard let since, let day = Self.day(since) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let before = calendar.date(byAdding: .day, value: -1, to: day) else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: before)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(parts.day!)-\(months[parts.month! - 1])-\(parts.year!)"
    }

    /// A real calendar day written `YYYY-MM-DD`, or nil (`2026-02-30` is nil).
    package static func day(_ text: String) -> Date? {
        let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].count == 4, pieces[1].count == 2, pieces[2].count == 2,
            let year = Int(pieces[0]), let month = Int(pieces[1]), let day = Int(pieces[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}
