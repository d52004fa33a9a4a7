import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardTesting
import Testing

/// `switchboard auth login` against the real authorization server (NanoIDP from `scripts/services up oauth`),
/// with the browser's part played by this test: it opens the printed URL, submits the login form, and follows
/// the redirect to the CLI's loopback listener.
@Suite struct AuthCLITests {
    func freePort() async throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The browser: GET the authorization page, POST the login form with the session cookie, follow the redirect.
    func actAsBrowser(url: String, user: String, password: String) async throws {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow)
        )
        defer { _ = client.shutdown() }
        let page = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let cookie = page.headers["Set-Cookie"].first.map { String($0.split(separator: ";")[0]) } ?? ""
        let html = String(buffer: try await page.body.collect(upTo: 1 << 20))
        let marker = try #require(html.range(of: #"name="transaction_id" value=""#))
        let transaction = html[marker.upperBound...].prefix { $0 != "\"" }
        var form = HTTPClientRequest(url: url)
        form.method = .POST
        form.headers.add(name: "Cookie", value: cookie)
        form.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        form.body = .bytes(ByteBuffer(string: "transaction_id=\(transaction)&username=\(user)&password=\(password)"))
        let answer = try await client.execute(form, timeout: .seconds(10))
        #expect(answer.status == .found)
        let location = try #require(answer.headers["Location"].first)
        let landing = try await client.execute(HTTPClientRequest(url: location), timeout: .seconds(10))
        #expect(landing.status == .ok)
    }

    @Test func loginStatusAndCallThroughTheRealAuthorizationServer() async throws {
        let issuer = try #require(
            ProcessInfo.processInfo.environment["OAUTH_ISSUER"],
            "run the tests with scripts/test (it starts the OAuth2 server)"
        )
        let api = try await TestHTTPServer { request in
            let bearer = request.header("Authorization") ?? ""
            return bearer.hasPrefix("Bearer ey") ? .json(200, #"{"hello":"world"}"#) : .json(401, "{}")
        }
        let scratch = Scratch()
        let port = try await freePort()
        scratch.write(
            "switchboard.yaml",
            """
            api:
              type: http
              base_url: \(api.baseURL)
              auth_type: oauth2
              client_id: demo-client
              client_secret: ${OAUTH_CLIENT_SECRET:-demo-secret}
              auth_uri: \(issuer)/authorize
              token_uri: \(issuer)/token
              redirect_uri: http://127.0.0.1:\(port)/callback
              scopes: [openid, offline_access]
            """
        )
        let dataDir = scratch.path + "/data"
        let common = ["--config", scratch.path + "/switchboard.yaml", "--data-dir", dataDir]

        let before = try await CLI.call(["auth", "status"] + common)
        #expect(before.stdout.contains("not logged in: run `switchboard auth login api`"))

        // Start the login; read the URL it prints; do the browser's part.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["auth", "login", "api", "--timeout", "60"] + common
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let firstLine = await Task.detached {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            return String(decoding: data, as: UTF8.self)
        }.value
        let url = try #require(firstLine.split(separator: "\n").first.map(String.init))
        #expect(url.hasPrefix(issuer + "/authorize?"))
        #expect(url.contains("code_challenge_method=S256"))
        try await actAsBrowser(url: url, user: "testuser", password: "test123")
        process.waitUntilExit()
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(
            process.terminationStatus == 0,
            "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))"
        )
        #expect(rest.contains("logged in to api"))

        let status = try await CLI.call(["auth", "status", "--json"] + common)
        #expect(status.status == 0)
        #expect(status.stdout.contains(#""state":"token valid""#))
        #expect(status.stdout.contains("offline_access"))
        #expect(!status.stdout.contains("eyJ"), "no token is shown")
        let stored = try String(contentsOfFile: dataDir + "/tokens/api.json.enc", encoding: .utf8)
        #expect(!stored.contains("eyJ"))

        let call = try await CLI.call(
            ["call", "api", "request", "--input", #"{"path": "/hello"}"#, "--json", "--log-level", "trace"] + common
        )
        #expect(call.status == 0, "\(call.stderr)")
        #expect(
            call.stdout
                == #"{"body":{"hello":"world"},"headers":{"content-length":"17","content-type":"application/json"},"status":200}"#
                + "\n"
        )
        #expect(!call.stderr.contains("eyJ"), "trace logs carry no token")
        #expect(call.stderr.contains("http request"))
        try await api.shutdown()
    }

    @Test func callReachesALocalRESTServiceAndMapsFailuresToExitOne() async throws {
        let api = try await TestHTTPServer { request in
            request.header("X-API-Key") == "k-123" ? .json(200, #"{"ok":true}"#) : .json(403, #"{"error":"forbidden"}"#)
        }
        let scratch = Scratch()
        scratch.write(
            "api.yaml",
            "api:\n  type: http\n  base_url: \(api.baseURL)\n  auth_type: api_key\n  api_key: ${API_KEY}\n  api_key_header: X-API-Key\n"
        )
        let ok = try await CLI.call(
            ["call", "api", "request", "--config", scratch.path, "--json"],
            environment: ["API_KEY": "k-123"]
        )
        #expect(ok.status == 0)
        #expect(ok.stdout.contains(#""ok":true"#))
        let denied = try await CLI.call(
            ["call", "api", "request", "--config", scratch.path, "--json"],
            environment: ["API_KEY": "wrong-key-456"]
        )
        #expect(denied.status == 1)
        #expect(denied.stdout.isEmpty)
        #expect(denied.stderr.contains("HTTP 403"))
        #expect(!denied.stderr.contains("wrong-key-456"))
        try await api.shutdown()
    }
}
