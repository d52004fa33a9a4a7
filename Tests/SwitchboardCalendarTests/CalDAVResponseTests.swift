import Foundation
import SwitchboardCalendar
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Testing

/// CalDAV answers real servers give that Radicale and Xandikos do not: discovery only through
/// `/.well-known/caldav`, absolute and percent-encoded hrefs, prefixed and default namespaces, and a malformed
/// event among good ones (named with its line; the others still listed).
@Suite struct CalDAVResponseTests {
    static let good = """
        BEGIN:VCALENDAR\r
        BEGIN:VEVENT\r
        UID:good\r
        DTSTART:20261210T090000Z\r
        DTEND:20261210T100000Z\r
        SUMMARY:Good one\r
        END:VEVENT\r
        END:VCALENDAR\r

        """

    static func server() async throws -> TestHTTPServer {
        try await TestHTTPServer { request in
            func multistatus(_ body: String) -> TestHTTPServer.Action {
                .respond(
                    status: 207,
                    headers: [("Content-Type", "application/xml; charset=utf-8")],
                    body: Data(("<?xml version=\"1.0\"?>" + body).utf8)
                )
            }
            switch (request.method, request.path) {
            case ("PROPFIND", "/dav/"):
                // No current-user-principal here: the client must try /.well-known/caldav.
                return multistatus(
                    "<multistatus xmlns=\"DAV:\"><response><href>/dav/</href><propstat><prop/>"
                        + "<status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>"
                )
            case ("PROPFIND", "/.well-known/caldav"):
                return multistatus(
                    "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/</d:href><d:propstat><d:prop>"
                        + "<d:current-user-principal><d:href>http://127.0.0.1/principals/ann%20lee/</d:href>"
                        + "</d:current-user-principal></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                        + "</d:response></d:multistatus>"
                )
            case ("PROPFIND", "/principals/ann%20lee/"):
                return multistatus(
                    "<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:response>"
                        + "<D:href>/principals/ann%20lee/</D:href><D:propstat><D:prop><C:calendar-home-set>"
                        + "<D:href>/cal/ann/</D:href></C:calendar-home-set></D:prop>"
                        + "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
                )
            case ("PROPFIND", "/cal/ann/"):
                return multistatus(
                    "<multistatus xmlns=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
                        + "<response><href>/cal/ann/</href><propstat><prop><resourcetype><collection/></resourcetype>"
                        + "</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
                        + "<response><href>/cal/ann/tasks/</href><propstat><prop><resourcetype><collection/>"
                        + "<c:calendar/></resourcetype><displayname>Tasks</displayname>"
                        + "<c:supported-calendar-component-set><c:comp name=\"VTODO\"/></c:supported-calendar-component-set>"
                        + "</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
                        + "<response><href>/cal/ann/work/</href><propstat><prop><resourcetype><collection/>"
                        + "<c:calendar/></resourcetype><displayname>Work</displayname></prop>"
                        + "<status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
                )
            case ("REPORT", "/cal/ann/work/"):
                let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:bad\nDTSTART:2026-12-10\nEND:VEVENT\nEND:VCALENDAR\n"
                return multistatus(
                    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                        + "<response><href>/cal/ann/work/good%20one.ics</href><propstat><prop><getetag>\"1\"</getetag>"
                        + "<C:calendar-data><![CDATA[\(good)]]></C:calendar-data></prop>"
                        + "<status>HTTP/1.1 200 OK</status></propstat></response>"
                        + "<response><href>/cal/ann/work/bad.ics</href><propstat><prop><getetag>\"2\"</getetag>"
                        + "<C:calendar-data>\(bad)</C:calendar-data></prop>"
                        + "<status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
                )
            default:
                return .text(404, "no \(request.method) \(request.path)")
            }
        }
    }

    @Test func discoveryFallsBackToWellKnownAndAMalformedEventIsNamed() async throws {
        let server = try await Self.server()
        let transport = HTTPTransport()
        let http = HTTPAdapters(transport: transport, tokenStore: InMemoryTokenStore())
        do {
            try await ServiceHarness.withServices(
                [CalendarAdapters.family(http: http)],
                yaml: { _ in
                    "cal:\n  type: caldav\n  base_url: \(server.baseURL)/dav/\n  calendar: Work\n  time_zone: UTC\n"
                }
            ) { manager, _ in
                let listed = try await manager.execute(
                    service: "cal",
                    operation: "list_events",
                    input: ["time_min": "2026-12-10T00:00:00Z", "time_max": "2026-12-11T00:00:00Z"]
                )
                #expect(listed["items"]?.arrayValue?.compactMap { $0["summary"]?.stringValue } == ["Good one"])
                #expect(listed["items"]?.arrayValue?.first?["id"] == "good one")
                let problem = listed["problems"]?.arrayValue?.first?.stringValue ?? ""
                #expect(problem.contains("bad.ics") && problem.contains("line 4"), "\(problem)")
            }
            try await transport.shutdown()
            try await server.shutdown()
        } catch {
            try? await transport.shutdown()
            try? await server.shutdown()
            throw error
        }
    }
}
