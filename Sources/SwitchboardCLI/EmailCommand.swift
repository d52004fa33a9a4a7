import ArgumentParser
import Foundation
import Switchboard

struct EmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "email",
        abstract: "Read e-mail messages (.eml files).",
        subcommands: [Parse.self]
    )

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
