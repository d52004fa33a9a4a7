import SwitchboardCore
import SwitchboardHTTP

/// The e-mail family: `type: maildir` (the embedded `email` service is the Maildir `<data-dir>/mail`),
/// `type: http_api` (a SendGrid-v3-style API: the seed's `email_config.yaml`), and `type: smtp` (SMTP submission,
/// with IMAP for receiving).
public enum EmailAdapters {
    /// The family. The seed's `email_config.yaml` has no `type`: a mail service with `base_url` is the HTTP API,
    /// with an `smtp:` block SMTP, with `path` a Maildir.
    ///
    /// - Parameter http: The runtime's shared transport and token store; `nil` gives the HTTP API its own.
    public static func family(http: HTTPAdapters? = nil) -> AdapterFamily {
        AdapterFamily(name: "email", factories: factories(http: http), embedded: [embedded]) { service, block in
            guard service.contains("email") || service.contains("mail") else { return nil }
            if block["base_url"] != nil { return "http_api" }
            if block["smtp"] != nil || block["imap"] != nil { return "smtp" }
            if block["path"] != nil { return "maildir" }
            return nil
        }
    }

    /// `type: smtp`: nested `smtp:` (sending) and `imap:` (receiving) blocks, each key checked like a service's own.
    public static let smtpSchema = ServiceSchema(
        type: "smtp",
        family: "email",
        keys: ServiceSchema.commonKeys + HTTPAdapters.timeoutKeys + MailServerSettings.oauthKeys + [
            .init("smtp", .block(MailServerSettings.blockKeys)), .init("imap", .block(MailServerSettings.blockKeys)),
            .init("from"), .init("from_name"), .init("helo_name"),
        ],
        required: [["smtp"]]
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
            AdapterFactory(schema: smtpSchema) { configuration, environment in
                let settings = try MailServerSettings.smtp(configuration, http: http)
                var from = try sender(configuration)
                if from == nil, let username = settings.credentials?.username, AddressCheck.isAddrSpec(username) {
                    from = MailAddress(name: try configuration.string("from_name"), address: username)
                }
                return EmailIntegration(
                    kind: "smtp",
                    mail: SMTPMailer(
                        settings: settings,
                        imap: try MailServerSettings.imap(configuration, http: http),
                        from: from,
                        maximumConnections: environment.policy.maxConnections
                    )
                )
            },
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
