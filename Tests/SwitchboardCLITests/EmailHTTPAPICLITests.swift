import Foundation
import SwitchboardTesting
import Synchronization
import Testing

/// `switchboard email send` through the HTTP e-mail API adapter (the seed's email_config.yaml keys), against a
/// local server that accepts only SendGrid v3's documented request: POST /v3/mail/send, a bearer key, a JSON body
/// with `personalizations[].to`, `from`, `subject`, `content` (text/plain before text/html), attachments with
/// base64 `content` and `filename`, and no field it does not know.
@Suite struct EmailHTTPAPICLITests {
    static let key = "SG.test-key-123"

    /// Why the API would refuse `request`, or nil.
    static func problem(_ request: TestHTTPServer.Request) -> String? {
        guard request.method == "POST", request.path == "/v3/mail/send" else {
            return "no \(request.method) \(request.path)"
        }
        guard request.header("Authorization") == "Bearer \(key)" else { return "not authorised" }
        guard request.header("Content-Type")?.hasPrefix("application/json") == true else { return "not JSON" }
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
            return "bad JSON"
        }
        let known: Set = [
            "personalizations", "from", "reply_to", "reply_to_list", "subject", "content", "attachments", "template_id",
            "headers", "categories", "custom_args", "send_at", "batch_id", "asm", "ip_pool_name", "mail_settings",
            "tracking_settings",
        ]
        if let unknown = body.keys.first(where: { !known.contains($0) }) { return "unknown field \(unknown)" }
        guard let personalizations = body["personalizations"] as? [[String: Any]], !personalizations.isEmpty,
            let to = personalizations[0]["to"] as? [[String: Any]], !to.isEmpty,
            to.allSatisfy({ ($0["email"] as? String)?.contains("@") == true })
        else { return "personalizations[0].to is required" }
        guard let from = body["from"] as? [String: Any], from["email"] is String else {
            return "from.email is required"
        }
        guard body["subject"] is String else { return "subject is required" }
        guard let content = body["content"] as? [[String: Any]], !content.isEmpty,
            content.allSatisfy({ $0["type"] is String && $0["value"] is String })
        else { return "content is required" }
        if content.count > 1, content[0]["type"] as? String != "text/plain" { return "text/plain must come first" }
        for attachment in body["attachments"] as? [[String: Any]] ?? [] {
            guard let encoded = attachment["content"] as? String, Data(base64Encoded: encoded) != nil,
                attachment["filename"] is String
            else { return "attachments need base64 content and filename" }
        }
        return nil
    }

    @Test func sendGoesThroughTheHTTPAPI() async throws {
        let received = Received()
        let server = try await TestHTTPServer { request in
            if let problem = Self.problem(request) {
                return .json(400, #"{"errors":[{"message":"\#(problem)"}]}"#)
            }
            received.add(request.body)
            return .respond(status: 202, headers: [("X-Message-Id", "sg-msg-42")], body: Data())
        }
        let scratch = Scratch()
        let config = scratch.write(
            "email_config.yaml",
            """
            email:
              service_name: "email"
              base_url: "\(server.baseURL)/v3"
              auth_type: "api_key"
              api_key: ${SENDGRID_KEY}
              from: "Reports <reports@example.com>"
            """
        )
        let attachment = scratch.write("Übersicht.csv", "a,b\n1,2\n")
        let result = try await CLI.call(
            [
                "email", "send", "--to", "Ann <ann@example.com>", "--bcc", "audit@example.com", "--subject",
                "Zahlen für Q3", "--text", "Anbei.", "--html", "<p>Anbei.</p>", "--attach", attachment, "--json",
                "--config", config, "--data-dir", scratch.path + "/data",
            ],
            environment: ["SENDGRID_KEY": Self.key]
        )
        try await server.shutdown()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#""message_id":"sg-msg-42""#), "\(result.stdout)")
        let bodies = received.bodies
        #expect(bodies.count == 1)
        let body = try #require(try JSONSerialization.jsonObject(with: bodies[0]) as? [String: Any])
        #expect((body["from"] as? [String: Any])?["email"] as? String == "reports@example.com")
        #expect(body["subject"] as? String == "Zahlen für Q3")
        let personalization = (body["personalizations"] as? [[String: Any]])?.first
        #expect((personalization?["bcc"] as? [[String: Any]])?.first?["email"] as? String == "audit@example.com")
        let attachments = body["attachments"] as? [[String: Any]]
        #expect(attachments?.first?["filename"] as? String == "Übersicht.csv")
        #expect(attachments?.first?["content"] as? String == Data("a,b\n1,2\n".utf8).base64EncodedString())
        #expect(!result.stdout.contains(Self.key) && !result.stderr.contains(Self.key))
    }
}

final class Received: Sendable {
    private let store = Mutex<[Data]>([])
    func add(_ body: Data) { store.withLock { $0.append(body) } }
    var bodies: [Data] { store.withLock { $0 } }
}
