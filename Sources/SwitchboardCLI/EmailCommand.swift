import ArgumentParser
import Foundation
import Switchboard

struct EmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "email",
        abstract: "Send and read e-mail (the embedded service is a Maildir in the data directory).",
        discussion: """
            The service is `email` unless --service names another. With no configuration it is the Maildir \
            <data-dir>/mail: sent messages land in mail/outbox/new/ as .eml files, received ones are read from \
            mail/inbox/.

            A real mailbox is a `type: smtp` service: SMTP submission to send and, with an imap: block, IMAP to \
            read (the imap: block takes the smtp: block's host, username, password and ca_file unless it names \
            its own):

              email:
                type: smtp
                from: alice@example.com
                smtp: {host: mail.example.com, username: alice@example.com, password: "${MAIL_PASSWORD}"}
                imap: {}

            security is starttls (port 587 / 143, the default), tls (465 / 993) or none (credentials then need \
            allow_insecure: true); auth is plain, login or xoauth2. `switchboard config check` names a wrong key.

            Examples:
              switchboard email send --to alice@example.com --subject "Q3 report" --text "Attached." --attach q3.pdf
              switchboard email list --unseen --json
              switchboard email parse message.eml --json
            """,
        subcommands: [Send.self, List.self, Parse.self]
    )

    struct Common: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The e-mail service to use.", valueName: "name"))
        var service = "email"

        @Flag(name: .long, help: "Print exactly one JSON document (the operation's output) on stdout.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions
    }

    static func call(_ common: Common, _ operation: String, _ input: JSONValue, key: String? = nil) async throws
        -> JSONValue
    {
        try await ServiceCall.run(
            common.globals,
            service: common.service,
            json: common.json,
            operation,
            input,
            key: key
        )
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Send one message.",
            discussion: """
                Every address is checked before anything is sent; an invalid one refuses the whole message \
                (exit 2). --html and --text take TEXT or @FILE.
                Example: switchboard email send --to bob@example.com --cc carol@example.com --subject Hi --text @body.txt
                """
        )
        @Option(name: .long, help: ArgumentHelp("A recipient (repeatable).", valueName: "addr")) var to: [String] = []
        @Option(name: .long, help: ArgumentHelp("A copy recipient (repeatable).", valueName: "addr")) var cc: [String] =
            []
        @Option(name: .long, help: ArgumentHelp("A hidden recipient (repeatable).", valueName: "addr")) var bcc:
            [String] = []
        @Option(name: .long, help: ArgumentHelp("The sender (default: the service's from).", valueName: "addr"))
        var from: String?
        @Option(name: .long, help: "The subject.") var subject: String
        @Option(name: .long, help: ArgumentHelp("The plain text body, or @FILE.", valueName: "text")) var text: String?
        @Option(name: .long, help: ArgumentHelp("An HTML body, or @FILE.", valueName: "html")) var html: String?
        @Option(name: .customLong("attach"), help: ArgumentHelp("A file to attach (repeatable).", valueName: "file"))
        var attachments: [String] = []
        @OptionGroup var common: Common

        func validate() throws {
            if to.isEmpty { throw ValidationError("give at least one --to") }
            if text == nil && html == nil { throw ValidationError("give --text or --html") }
        }

        static func body(_ value: String?) throws -> JSONValue? {
            guard let value else { return nil }
            guard value.hasPrefix("@") else { return .string(value) }
            do {
                let data = try FileIO.readAll(String(value.dropFirst()), limit: 16 << 20, what: "the body")
                return .string(String(decoding: data, as: UTF8.self))
            } catch let error as IntegrationError {
                throw CLIError.usage(error.message)
            }
        }

        func run() async throws {
            var input: [String: JSONValue] = [
                "to": .array(to.map { .string($0) }), "subject": .string(subject),
            ]
            if !cc.isEmpty { input["cc"] = .array(cc.map { .string($0) }) }
            if !bcc.isEmpty { input["bcc"] = .array(bcc.map { .string($0) }) }
            if let from { input["from"] = .string(from) }
            input["text"] = try Self.body(text)
            input["html"] = try Self.body(html)
            if !attachments.isEmpty { input["attachments"] = .array(attachments.map { .string($0) }) }
            let output = try await EmailCommand.call(common, "send_email", .object(input))
            guard !common.json else { return }
            let accepted = output["accepted"]?.arrayValue?.compactMap(\.stringValue) ?? []
            print("sent \(output["message_id"]?.stringValue ?? "") to \(accepted.joined(separator: ", "))")
            for rejection in output["rejected"]?.arrayValue ?? [] {
                printError(
                    "rejected: \(rejection["address"]?.stringValue ?? "") \(rejection["message"]?.stringValue ?? "")"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "The messages of a folder (default inbox), without marking them read.",
            discussion: """
                Each line is: uid, date, sender, subject. The uid is what mark_read, move and get_attachment take \
                (switchboard call email mark_read --input '{"uids": ["12"]}').

                Examples:
                  switchboard email list --unseen --limit 20
                  switchboard email list --folder Archive --since 2026-11-01 --json
                  switchboard email list --from alice@example.com --subject "Q3"
                """
        )
        @Option(name: .long, help: "The folder.") var folder = "inbox"
        @Flag(name: .long, help: "Only messages not yet read.") var unseen = false
        @Option(name: .long, help: "Only messages dated on or after this day (YYYY-MM-DD).") var since: String?
        @Option(name: .long, help: "Only messages with this in a sender's address or name.") var from: String?
        @Option(name: .long, help: "Only messages with this in the subject.") var subject: String?
        @Option(name: .long, help: "At most this many (the newest).") var limit: Int?
        @OptionGroup var common: Common

        func run() async throws {
            var input: [String: JSONValue] = ["folder": .string(folder), "unseen_only": .bool(unseen)]
            if let limit { input["limit"] = .int(limit) }
            if let since { input["since"] = .string(since) }
            if let from { input["from"] = .string(from) }
            if let subject { input["subject"] = .string(subject) }
            let output = try await EmailCommand.call(common, "receive_emails", .object(input))
            guard !common.json else { return }
            let messages = output["messages"]?.arrayValue ?? []
            if messages.isEmpty { print("no messages in \(folder)") }
            for message in messages {
                let uid = message["uid"]?.stringValue ?? "?"
                if let error = message["error"]?.stringValue {
                    print("\(uid)  \(error)")
                    continue
                }
                let from = message["from"]?.arrayValue?.first?["address"]?.stringValue ?? "?"
                let date = message["date"]?.stringValue ?? "(no date)"
                print("\(uid)  \(date)  \(from)  \(message["subject"]?.stringValue ?? "(no subject)")")
            }
        }
    }

    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Read one message: its headers, text, HTML and attachments.",
            discussion: """
                Reads any RFC 5322 / MIME message: nested multiparts, quoted-printable and base64, encoded words \
                and the charsets real mail uses (UTF-8, ISO-8859-x, Windows-125x, KOI8-R, ISO-2022-JP, Shift_JIS, \
                EUC-JP, GBK, Big5). A malformed part is reported beside the result and the rest is still read.

                --json prints {subject, from, to, cc, date, message_id, text, html, attachments: [{filename, \
                content_type, size, sha256}]}, with "problems" when a part could not be read.

                Examples:
                  switchboard email parse message.eml
                  switchboard email parse message.eml --json
                  cat message.eml | switchboard email parse - --json
                """
        )
        @Argument(help: "The .eml file (- for standard input).") var file: String
        @Flag(name: .long, help: "Print the parsed message as one JSON document.") var json = false

        func run() async throws {
            let data: Data
            let email: ParsedEmail
            do {
                data = try FileIO.readAll(file, limit: 256 << 20, what: "the message")
                email = try ParsedEmail(parsing: [UInt8](data))
            } catch let error as IntegrationError {
                throw CLIError.usage("\(file): \(error.message)")
            }
            if json {
                print(email.json.jsonString(pretty: false))
                return
            }
            func list(_ addresses: [MailAddress]) -> String {
                addresses.map { a in a.name.map { "\($0) <\(a.address)>" } ?? a.address }.joined(separator: ", ")
            }
            print("From:    \(list(email.from))")
            if !email.to.isEmpty { print("To:      \(list(email.to))") }
            if !email.cc.isEmpty { print("Cc:      \(list(email.cc))") }
            print("Date:    \(email.date?.text ?? "(none)")")
            print("Subject: \(email.subject ?? "(none)")")
            for attachment in email.attachments {
                print(
                    "Attached: \(attachment.filename ?? "(no name)") (\(attachment.contentType), \(attachment.bytes.count) bytes)"
                )
            }
            print("")
            print(email.text ?? (email.html.map { "(HTML only, \($0.utf8.count) bytes)" } ?? "(no text)"))
            for problem in email.problems { printError("warning: \(problem)") }
        }
    }
}
