import SwitchboardCore
import SwitchboardHTTP

/// The family whose adapters have not landed yet (e-mail): its schemas, so that the seed's
/// configuration files load as written and `config check` validates them today, and its embedded name, so
/// its policies load. Its services are listed as "no adapter yet". Each moves into its own module, with its
/// factories, when the module arrives (docs/ADAPTERS.md).
public enum PlannedFamilies {
    /// E-mail: `smtp` (with IMAP for reading), `http_api`, `maildir`.
    public static let email = AdapterFamily(
        name: "email",
        factories: [
            AdapterFactory(
                schema: ServiceSchema(
                    type: "smtp",
                    family: "email",
                    keys: ServiceSchema.commonKeys + HTTPAdapters.timeoutKeys + [
                        .init("host"), .init("port", .integer, minimum: 1), .init("username"),
                        .init("password", secret: true),
                        .init("tls", .oneOf(["starttls", "tls", "none"])), .init("from"), .init("from_name"),
                        .init("helo_name"),
                        .init("ca_file"), .init("imap_host"), .init("imap_port", .integer, minimum: 1),
                        .init("imap_tls", .oneOf(["starttls", "tls", "none"])), .init("imap_username"),
                        .init("imap_password", secret: true),
                        .init("auth_type", .oneOf(["none", "basic", "plain", "login"])),
                    ],
                    required: [["host"]]
                ),
                make: nil
            ),
            AdapterFactory(
                schema: ServiceSchema(
                    type: "http_api",
                    family: "email",
                    keys: HTTPAdapters.serviceKeys + [
                        .init("provider"), .init("from"), .init("from_name"), .init("send_path"),
                        .init("messages_path"),
                    ],
                    required: [["base_url"]]
                ),
                make: nil
            ),
            AdapterFactory(
                schema: ServiceSchema(
                    type: "maildir",
                    family: "email",
                    keys: ServiceSchema.commonKeys + [.init("path"), .init("from")]
                ),
                make: nil
            ),
        ],
        embedded: [EmbeddedService(name: "email", type: "maildir", make: nil)]
    ) { service, block in
        // The seed's email_config.yaml has no type: a mail service with base_url is the HTTP e-mail API.
        guard service.contains("email") || service.contains("mail") else { return nil }
        if block["base_url"] != nil { return "http_api" }
        if block["host"] != nil { return "smtp" }
        if block["path"] != nil { return "maildir" }
        return nil
    }
}
