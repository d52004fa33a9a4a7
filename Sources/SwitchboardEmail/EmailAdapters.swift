import SwitchboardCore
import SwitchboardHTTP

/// The e-mail family: `type: maildir` (the embedded `email` service is the Maildir `<data-dir>/mail`),
/// `type: http_api` (a SendGrid-v3-style API: the seed's `email_config.yaml`), and the schema of `smtp`, whose
/// adapter comes next.
public enum EmailAdapters {
    /// The family. The seed's `email_config.yaml` has no `type`: a mail service with `base_url` is the HTTP API,
    /// with `host` SMTP, with `path` a Maildir.
    ///
    /// - Parameter http: The runtime's shared transport and token store; `nil` gives the HTTP API its own.
    public static func family(http: HTTPAdapters? = nil) -> AdapterFamily {
        AdapterFamily(name: "email", factories: factories(http: http), embedded: [embedded]) { service, block in
            guard service.contains("email") || service.contains("mail") else { return nil }
            if block["base_url"] != nil { return "http_api" }
            if block["host"] != nil { return "smtp" }
            if block["path"] != nil { return "maildir" }
            return nil
        }
    }

    public static let smtpSchema = ServiceSchema(
        type: "smtp",
        family: "email",
        keys: ServiceSchema.commonKeys + HTTPAdapters.timeoutKeys + [
            .init("host"), .init("port", .integer, minimum: 1), .init("username"), .init("password", secret: true),
            .init("tls", .oneOf(["starttls", "tls", "none"])), .init("from"), .init("from_name"), .init("helo_name"),
            .init("ca_file"), .init("imap_host"), .init("imap_port", .integer, minimum: 1),
            .init("imap_tls", .oneOf(["starttls", "tls", "none"])), .init("imap_username"),
            .init("imap_password", secret: true), .init("auth_type", .oneOf(["none", "basic", "plain", "login"])),
        ],
        required: [["host"]]
    )

    public static let httpSchema = ServiceSchema(
        type: "http_api",
        family: "email",
        keys: HTTPAdapters.serviceKeys + [
            .init("provider"), .init("from"), .init("from_name"), .init("send_path"), .init("messages_path"),
        ],
        required: [["base_url"]]
    )

    public static let maildirSchema = ServiceSchema(
        type: "maildir",
        family: "email",
        keys: ServiceSchema.commonKeys + [.init("path"), .init("from")]
    )

    /// The service's `from` (with `from_name`), checked.
    static func sender(_ configuration: ServiceConfiguration) throws -> MailAddress? {
        guard let text = try configuration.string("from") else { return nil }
        var address = try AddressCheck.mailbox(text, field: "integrations.\(configuration.name).from")
        if address.name == nil, let name = try configuration.string("from_name") { address.name = name }
        return address
    }

    /// The factories; the HTTP API sends through `http`'s transport (its own when `nil`).
    public static func factories(http: HTTPAdapters? = nil) -> [AdapterFactory] {
        [
            AdapterFactory(schema: smtpSchema, make: nil),
            AdapterFactory(schema: httpSchema) { configuration, _ in
                let (http, owned) = HTTPAdapters.sharedOrOwn(http)
                var settings = try HTTPServiceSettings.load(
                    from: configuration,
                    defaultBaseURL: "https://api.sendgrid.com/v3"
                )
                if try configuration.string("auth_type") == nil, let key = try configuration.secret("api_key") {
                    settings.authentication = .apiKey(key)
                }
                let authenticator = try http.authenticator(for: settings)
                return EmailIntegration(
                    kind: "http_api",
                    mail: HTTPEmailAPI(
                        settings: settings,
                        transport: http.transport,
                        authenticator: authenticator,
                        from: try sender(configuration),
                        sendPath: try configuration.string("send_path") ?? "/mail/send",
                        ownsTransport: owned
                    )
                )
            },
            AdapterFactory(schema: maildirSchema) { configuration, environment in
                let from = try sender(configuration)
                return EmailIntegration(
                    kind: "maildir",
                    mail: MaildirMailbox(
                        path: try configuration.string("path") ?? environment.dataDirectory + "/mail",
                        from: from
                    )
                )
            },
        ]
    }

    /// The embedded `email` service: the Maildir `<data-dir>/mail` (sent mail in `outbox`, received in `inbox`),
    /// sending as `switchboard@localhost` unless the call names a sender.
    public static var embedded: EmbeddedService {
        EmbeddedService(name: "email", type: "maildir") { environment in
            EmailIntegration(
                kind: "maildir",
                mail: MaildirMailbox(
                    path: environment.dataDirectory + "/mail",
                    from: MailAddress(name: nil, address: "switchboard@localhost")
                )
            )
        }
    }
}
