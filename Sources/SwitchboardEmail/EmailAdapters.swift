import SwitchboardCore
import SwitchboardHTTP

/// The e-mail family: `type: maildir` built here (the embedded `email` service is the Maildir
/// `<data-dir>/mail`), and the schemas of `smtp` and `http_api`, whose adapters come next.
public enum EmailAdapters {
    /// The family. The seed's `email_config.yaml` has no `type`: a mail service with `base_url` is the HTTP API,
    /// with `host` SMTP, with `path` a Maildir.
    public static var family: AdapterFamily {
        AdapterFamily(name: "email", factories: factories, embedded: [embedded]) { service, block in
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

    public static var factories: [AdapterFactory] {
        [
            AdapterFactory(schema: smtpSchema, make: nil),
            AdapterFactory(schema: httpSchema, make: nil),
            AdapterFactory(schema: maildirSchema) { configuration, environment in
                let from = try configuration.string("from").map {
                    try AddressCheck.mailbox($0, field: "integrations.\(configuration.name).from")
                }
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
