import Foundation
import SwitchboardCore
import SwitchboardHTTP

/// The calendar factories: `type: local_calendar` (the embedded `calendar` service: `.ics` files in
/// `<data-dir>/calendar/`), `type: caldav` and `type: google_calendar`.
///
/// ## Configuration keys
/// - local_calendar: `path` (default `<data-dir>/calendar`), `time_zone` (IANA; where all-day and floating
///   times are placed; default the system's zone).
/// - google_calendar: the HTTP keys (`base_url` defaults to Google's; `auth_type: oauth2` or `service_account`
///   with Google's endpoints as defaults), `calendar_id` (default `primary`), `time_zone`.
/// - caldav: the HTTP keys with `base_url` (or `url`, `calendar_url`), `username` and `password` (Basic auth
///   unless `auth_type` says otherwise), `calendar` (a display name or a path; the first calendar when left out),
///   `calendar_url` (the collection itself: no discovery), `ca_file` (trust a self-signed server; verification is
///   never off), `time_zone`.
public enum CalendarAdapters {
    /// The calendar family. The seed's `google_calendar_config.yaml` has no `type`: its service name, or Google's
    /// URL, says it.
    ///
    /// - Parameter http: The runtime's shared transport and token store, which the network calendars use; `nil`
    ///   gives them a transport of their own.
    public static func family(http: HTTPAdapters? = nil) -> AdapterFamily {
        AdapterFamily(name: "calendar", factories: factories(http: http), embedded: [embedded]) { service, block in
            if service == "google_calendar" { return "google_calendar" }
            if let url = block["base_url"]?.scalar, url.contains("googleapis.com/calendar") { return "google_calendar" }
            return nil
        }
    }

    public static let googleSchema = ServiceSchema(
        type: "google_calendar",
        family: "calendar",
        keys: HTTPAdapters.serviceKeys + [.init("calendar_id"), .init("time_zone")]
    )

    public static let caldavSchema = ServiceSchema(
        type: "caldav",
        family: "calendar",
        keys: HTTPAdapters.serviceKeys + [
            .init("url", .url), .init("calendar"), .init("calendar_url", .url), .init("time_zone"),
        ],
        required: [["base_url", "url", "calendar_url"]]
    )

    public static let localSchema = ServiceSchema(
        type: "local_calendar",
        family: "calendar",
        keys: ServiceSchema.commonKeys + [.init("path"), .init("time_zone")]
    )

    /// The factories; CalDAV sends through `http`'s transport (its own when `nil`).
    public static func factories(http: HTTPAdapters? = nil) -> [AdapterFactory] {
        [
            AdapterFactory(schema: googleSchema) { configuration, _ in
                let settings = try HTTPAdapters.settings(for: configuration)
                let (http, owned) = HTTPAdapters.sharedOrOwn(http)
                let authenticator = try http.authenticator(for: settings)
                return CalendarIntegration(
                    kind: "google_calendar",
                    calendar: GoogleCalendar(
                        settings: settings,
                        transport: http.transport,
                        authenticator: authenticator,
                        calendarID: try configuration.string("calendar_id") ?? "primary",
                        timeZone: try timeZone(try configuration.string("time_zone"), service: configuration.name),
                        ownsTransport: owned
                    )
                )
            },
            AdapterFactory(schema: caldavSchema) { configuration, _ in
                let calendarURL = try configuration.string("calendar_url")
                let base = try configuration.string("url") ?? calendarURL.flatMap(origin(of:))
                var settings = try HTTPServiceSettings.load(from: configuration, defaultBaseURL: base)
                if try configuration.string("auth_type") == nil, let username = try configuration.string("username") {
                    guard let password = try configuration.secret("password") else {
                        throw IntegrationError(
                            code: .invalidConfiguration,
                            message: "integrations.\(configuration.name) has a username but no password"
                        )
                    }
                    settings.authentication = .basic(username: username, password: password)
                }
                let (http, owned) = HTTPAdapters.sharedOrOwn(http)
                let authenticator = try http.authenticator(for: settings)
                return CalendarIntegration(
                    kind: "caldav",
                    calendar: CalDAVCalendar(
                        settings: settings,
                        transport: http.transport,
                        authenticator: authenticator,
                        calendar: try configuration.string("calendar"),
                        calendarURL: calendarURL,
                        timeZone: try timeZone(try configuration.string("time_zone"), service: configuration.name),
                        ownsTransport: owned
                    )
                )
            },
            AdapterFactory(schema: localSchema) { configuration, environment in
                let zone = try timeZone(try configuration.string("time_zone"), service: configuration.name)
                let path = try configuration.string("path") ?? environment.dataDirectory + "/calendar"
                return CalendarIntegration(
                    kind: "local_calendar",
                    calendar: LocalCalendar(directory: path, timeZone: zone)
                )
            },
        ]
    }

    /// The embedded `calendar` service: `<data-dir>/calendar/`, in the system's time zone.
    public static var embedded: EmbeddedService {
        EmbeddedService(name: "calendar", type: "local_calendar") { environment in
            CalendarIntegration(
                kind: "local_calendar",
                calendar: LocalCalendar(directory: environment.dataDirectory + "/calendar", timeZone: systemZone)
            )
        }
    }

    /// The system's zone (`TZ`, else /etc/localtime), or UTC.
    public static var systemZone: ICalZone { ICalZone.system(TimeZone.current.identifier) ?? .utc }

    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    static func timeZone(_ name: String?, service: String) throws -> ICalZone {
        guard let name else { return systemZone }
        guard let zone = ICalZone.system(name) else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "integrations.\(service).time_zone '\(name)' is not an IANA time zone (such as Europe/Berlin)"
            )
        }
        return zone
    }
}
