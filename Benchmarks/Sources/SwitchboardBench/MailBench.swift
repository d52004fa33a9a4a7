import Foundation
import Switchboard
import SwitchboardCore
import SwitchboardEmail

/// E-mail against the local Postfix and Dovecot (`scripts/services up mail`), through the runtime a user gets:
///   mail send PORT SECURITY COUNT SESSIONS   COUNT messages of 10 KiB to bob, SESSIONS pooled connections
///   mail fetch FOLDER                        receive_emails of a whole folder (bob's), MIME parse included
///   mail parse DIR                           ParsedEmail over every .eml in DIR, repeated
/// Prints one `RESULT key value` line per figure for scripts/bench-mail.
func runMailBenchmark(_ arguments: [String]) async throws {
    let environment = ProcessInfo.processInfo.environment
    let mode = arguments.first ?? ""
    if mode == "parse" {
        let directory = arguments.count > 1 ? arguments[1] : "."
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }
            .sorted()
        let messages = try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
        let bytes = messages.reduce(0) { $0 + $1.count }
        var parsed = 0
        var failed = 0
        let rounds = 200
        var times: [Double] = []
        for _ in 0..<7 {
            times.append(
                try await seconds {
                    for _ in 0..<rounds {
                        for message in messages {
                            if let email = try? ParsedEmail(parsing: message) {
                                parsed &+= email.attachments.count &+ 1
                            } else {
                                failed += 1
                            }
                        }
                    }
                }
            )
        }
        let time = median(times)
        print(
            String(
                format: "mime parse: %d messages (%d bytes) x %d rounds, median %.3f s, %d unreadable",
                messages.count,
                bytes,
                rounds,
                time,
                failed / 7 / rounds
            )
        )
        print(String(format: "RESULT parse_messages_per_s %.0f", Double(messages.count * rounds) / time))
        print(String(format: "RESULT parse_mb_per_s %.1f", Double(bytes * rounds) / time / 1e6))
        precondition(parsed > 0)
        return
    }

    guard let host = environment["SMTP_HOST"], let caFile = environment["MAIL_CA_FILE"] else {
        fatalError("SMTP_HOST is not set: run `eval \"$(scripts/services up mail)\"` first")
    }
    let directory = NSTemporaryDirectory() + "switchboard-mailbench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let user = environment["MAIL_SECOND_USER"] ?? "bob@switchboard.test"

    if mode == "send" {
        let port = arguments[1]
        let security = arguments[2]
        let count = Int(arguments[3]) ?? 1000
        let sessions = Int(arguments[4]) ?? 8
        let credentials = security == "none" ? "" : ", username: \(user), password: \"${MAIL_SECOND_PASSWORD}\""
        let yaml = """
            email:
              type: smtp
              from: \(user)
              smtp: {host: \(host), port: \(port), security: \(security), ca_file: \(caFile)\(credentials)}
            integrations:
              email: {max_connections: \(sessions), max_rate_limit: 1000000}
            """
        try yaml.write(toFile: directory + "/mail.yaml", atomically: true, encoding: .utf8)
        let configuration = try SwitchboardRuntime.loader(environment: environment).load(path: directory + "/mail.yaml")
        // The same 10 KiB body as the peers: 10,240 bytes of printable text in 80-column lines.
        var body = ""
        var index = 0
        while body.utf8.count < 10_240 {
            body += String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: 79) + "\n"
            index += 1
        }
        let text = String(body.prefix(10_240))
        try await SwitchboardRuntime.withRuntime(configuration: configuration, dataDirectory: directory) { runtime in
            let manager = runtime.manager
            let input: JSONValue = ["to": .string(user), "subject": "bench", "text": .string(text)]
            // Warm the pool: one message per session.
            try await spreadCalls(count: sessions, inFlight: sessions) { _ in
                _ = try await manager.execute(service: "email", operation: "send_email", input: input)
            }
            let time = try await seconds {
                try await spreadCalls(count: count, inFlight: sessions) { _ in
                    _ = try await manager.execute(service: "email", operation: "send_email", input: input)
                }
            }
            print(
                String(
                    format: "switchboard send: %d messages of 10 KiB over %d sessions (%@ on port %@): %.2f s",
                    count,
                    sessions,
                    security,
                    port,
                    time
                )
            )
            print(String(format: "RESULT send_%@_per_s %.1f", security, Double(count) / time))
        }
        return
    }

    if mode == "fetch" {
        let folder = arguments.count > 1 ? arguments[1] : "inbox"
        let yaml = """
            email:
              type: smtp
              smtp: {host: \(host), port: \(environment["SMTP_PORT"] ?? "587"), username: \(user), password: "${MAIL_SECOND_PASSWORD}", ca_file: \(caFile)}
              imap: {port: \(environment["IMAP_PORT"] ?? "143")}
            """
        try yaml.write(toFile: directory + "/mail.yaml", atomically: true, encoding: .utf8)
        let configuration = try SwitchboardRuntime.loader(environment: environment).load(path: directory + "/mail.yaml")
        try await SwitchboardRuntime.withRuntime(configuration: configuration, dataDirectory: directory) { runtime in
            var times: [Double] = []
            var count = 0
            for _ in 0..<5 {
                times.append(
                    try await seconds {
                        let output = try await runtime.manager.execute(
                            service: "email",
                            operation: "receive_emails",
                            input: ["folder": .string(folder)]
                        )
                        count = output["messages"]?.arrayValue?.count ?? 0
                    }
                )
            }
            print(
                String(
                    format:
                        "switchboard fetch: %d messages of %@, login to logout, MIME parsed: median %.3f s (runs %@)",
                    count,
                    folder,
                    median(times),
                    times.map { String(format: "%.3f", $0) }.joined(separator: ", ")
                )
            )
            print(String(format: "RESULT fetch_s %.4f", median(times)))
        }
        return
    }
    fatalError("usage: SwitchboardBench mail send PORT SECURITY COUNT SESSIONS | fetch FOLDER | parse DIR")
}
