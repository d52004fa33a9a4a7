import Foundation
import SwitchboardCore
import SwitchboardHTTP

/// RFC 4791 / RFC 6764 discovery: the principal (`current-user-principal`, from the base URL or
/// `/.well-known/caldav`), its `calendar-home-set`, the calendars there and their display names, and the one the
/// configuration names (`calendar`: a display name or a path; the first calendar when left out).
package struct CalDAVDiscovery: Sendable {
    package static let dav = "DAV:"
    package static let caldav = "urn:ietf:params:xml:ns:caldav"

    /// One calendar collection.
    package struct Collection: Sendable, Equatable {
        package var href: String
        package var name: String?
    }

    let client: CalDAVClient

    /// The href of the calendar to use.
    func calendar(named wanted: String?) async throws -> String {
        let home = try await homeSet()
        let calendars = try await calendars(in: home)
        if let wanted, !wanted.isEmpty {
            let path = wanted.hasPrefix("http") ? (URLComponents(string: wanted)?.path ?? wanted) : wanted
            if path.hasPrefix("/") {
                let normalized = path.hasSuffix("/") ? path : path + "/"
                if let match = calendars.first(where: { $0.href == normalized || $0.href == path }) {
                    return match.href
                }
                // A path outside the home set is taken as given.
                return normalized
            }
            if let match = calendars.first(where: { $0.name == wanted })
                ?? calendars.first(where: { $0.href.split(separator: "/").last.map(String.init) == wanted })
            {
                return match.href
            }
            let names = calendars.map { $0.name ?? $0.href }.joined(separator: ", ")
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "\(client.settings.service) has no calendar named \(wanted) under \(home)"
                    + (names.isEmpty ? " (it has none)" : "; it has: \(names)"),
                transience: .never
            )
        }
        guard let first = calendars.first else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "\(client.settings.service) has no calendar under \(home)",
                transience: .never,
                hint: "create one on the server, or set calendar_url to a calendar collection"
            )
        }
        return first.href
    }

    /// The calendar home of the authenticated user.
    func homeSet() async throws -> String {
        let base = try client.settings.url(path: "")
        var principal = try await property("current-user-principal", namespace: Self.dav, at: base)
        if principal == nil {
            principal = try await property(
                "current-user-principal",
                namespace: Self.dav,
                at: client.settings.origin + "/.well-known/caldav"
            )
        }
        guard let principal else { return URLComponents(string: base)?.path ?? "/" }
        return try await property("calendar-home-set", namespace: Self.caldav, at: client.url(principal)) ?? principal
    }

    /// The calendar collections directly under `home`, in href order.
    func calendars(in home: String) async throws -> [Collection] {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:resourcetype/>\
            <d:displayname/><c:supported-calendar-component-set/></d:prop></d:propfind>
            """
        let tree = try await client.xml("PROPFIND", client.url(home), depth: "1", body: body)
        var found: [Collection] = []
        for response in tree.all("response", namespace: Self.dav) {
            guard let href = response.value("href", namespace: Self.dav).map(CalDAVClient.path(of:)) else { continue }
            guard let prop = Self.okProp(response),
                prop.child("resourcetype", namespace: Self.dav)?.child("calendar", namespace: Self.caldav) != nil
            else { continue }
            if let components = prop.child("supported-calendar-component-set", namespace: Self.caldav),
                !components.children.isEmpty,
                !components.children.contains(where: { $0.attributes["name"]?.uppercased() == "VEVENT" })
            {
                continue
            }
            let name = prop.value("displayname", namespace: Self.dav).flatMap { $0.isEmpty ? nil : $0 }
            found.append(Collection(href: href, name: name))
        }
        return found.sorted { $0.href < $1.href }
    }

    /// The href inside property `name` of the resource at `url` (PROPFIND, Depth 0), or nil when the server does
    /// not give it (or answers 404).
    private func property(_ name: String, namespace: String, at url: String) async throws -> String? {
        let prefix = namespace == Self.dav ? "d" : "c"
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><\(prefix):\(name)/></d:prop>\
            </d:propfind>
            """
        let tree: XMLTree
        do {
            tree = try await client.xml("PROPFIND", url, depth: "0", body: body)
        } catch let error as IntegrationError where error.code == .notFound {
            return nil
        }
        for response in tree.all("response", namespace: Self.dav) {
            if let href = Self.okProp(response)?.child(name, namespace: namespace)?.value("href", namespace: Self.dav) {
                return CalDAVClient.path(of: href.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return nil
    }

    /// The `prop` of a response's `propstat` whose status is 2xx.
    static func okProp(_ response: XMLTree) -> XMLTree? {
        for propstat in response.all("propstat", namespace: dav) {
            let status = propstat.value("status", namespace: dav) ?? ""
            if status.contains(" 2") { return propstat.child("prop", namespace: dav) }
        }
        return nil
    }
}
