import AsyncHTTPClient
import Crypto
import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardTesting
import Testing

@testable import SwitchboardStorage

/// AWS's SigV4 signing test suite (aws-c-auth's v4 set: header and presigned forms) and the S3 worked examples,
/// copied into Fixtures/sigv4 (see Fixtures/sigv4/PROVENANCE.md).
@Suite struct SigV4Tests {
    static let suite: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/sigv4/suite")

    static var caseNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: suite.path)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
    }

    struct ParsedRequest {
        var method: String
        var path: String
        var query: [(String, String)]
        var headers: [(String, String)]
        var body: Data
    }

    /// Reads a raw request: request line, `Name:value` headers (indented lines continue the previous value), a
    /// blank line, then the body.
    static func parse(_ text: String) -> ParsedRequest {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix(while: { $0 != " " }))
        var target = String(requestLine.dropFirst(method.count + 1))
        if target.hasSuffix(" HTTP/1.1") { target.removeLast(" HTTP/1.1".count) }
        var path = target
        var query: [(String, String)] = []
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                query.append((name, value))
            }
        }
        var headers: [(String, String)] = []
        var bodyLines: [String] = []
        var inBody = false
        for line in lines {
            if inBody {
                bodyLines.append(line)
            } else if line.isEmpty {
                inBody = true
            } else if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].1 += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        return ParsedRequest(
            method: method,
            path: path.removingPercentEncoding ?? path,
            query: query,
            headers: headers,
            body: Data(bodyLines.joined(separator: "\n").utf8)
        )
    }

    static func read(_ name: String, _ file: String) throws -> String {
        var text = try String(
            contentsOf: suite.appendingPathComponent(name).appendingPathComponent(file),
            encoding: .utf8
        )
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var expiration_in_seconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    static func signer(_ context: Context) -> SigV4Signer {
        var signer = SigV4Signer(
            credentials: .init(
                accessKey: context.credentials.access_key_id,
                secretKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token
            ),
            region: context.region,
            service: context.service,
            normalizePath: context.normalize,
            signsPayloadHeader: context.sign_body
        )
        signer.signsSessionToken = !(context.omit_session_token ?? false)
        return signer
    }

    @Test(arguments: caseNames)
    func headerSigningMatchesTheSuite(_ name: String) throws {
        let context = try JSONDecoder().decode(Context.self, from: Data(try Self.read(name, "context.json").utf8))
        let request = Self.parse(try Self.read(name, "request.txt"))
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        let hash =
            context.sign_body ? SigV4Signer.hex(Array(SHA256.hash(data: request.body))) : SigV4Signer.emptyPayloadHash
        let signed = Self.signer(context).sign(
            .init(
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                payloadHash: hash
            ),
            date: date
        )
        #expect(signed.canonicalRequest == (try Self.read(name, "header-canonical-request.txt")))
        #expect(signed.stringToSign == (try Self.read(name, "header-string-to-sign.txt")))
        #expect(signed.signature == (try Self.read(name, "header-signature.txt")))
        let authorization = try #require(signed.added.first { $0.0 == "Authorization" }?.1)
        #expect((try Self.read(name, "header-signed-request.txt")).contains("Authorization:" + authorization))
    }

    @Test(arguments: caseNames)
    func presigningMatchesTheSuite(_ name: String) throws {
        let context = try JSONDecoder().decode(Context.self, from: Data(try Self.read(name, "context.json").utf8))
        let request = Self.parse(try Self.read(name, "request.txt"))
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        let hash =
            context.sign_body ? SigV4Signer.hex(Array(SHA256.hash(data: request.body))) : SigV4Signer.emptyPayloadHash
        var signer = Self.signer(context)
        signer.signsPayloadHeader = false
        let signed = signer.presign(
            .init(
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                payloadHash: hash
            ),
            date: date,
            expires: context.expiration_in_seconds
        )
        #expect(signed.canonicalRequest == (try Self.read(name, "query-canonical-request.txt")))
        #expect(signed.stringToSign == (try Self.read(name, "query-string-to-sign.txt")))
        #expect(signed.signature == (try Self.read(name, "query-signature.txt")))
    }

    @Test func theSuiteIsThere() {
        #expect(Self.caseNames.count == 38)
    }

    // MARK: The S3 worked examples

    struct S3Examples: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
        }
        struct Example: Decodable {
            var name: String
            var method: String
            var canonical_uri: String
            var canonical_query: String
            var signed_headers_in_request: [String: String]
            var payload_sha256: String
            var canonical_request: String
            var string_to_sign: String
            var signature: String
            var expires_seconds: Int?
            var presigned_url: String?
        }
        var credentials: Credentials
        var region: String
        var service: String
        var timestamp: String
        var header_auth_examples: [Example]
        var presigned_url_example: Example
    }

    static func s3Examples() throws -> S3Examples {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/sigv4/s3-sigv4-doc-examples.json")
        return try JSONDecoder().decode(S3Examples.self, from: Data(contentsOf: url))
    }

    /// The S3 worked examples, their signing time, and a signer with their credentials, region and service.
    static func s3ExampleSigner() throws -> (S3Examples, Date, SigV4Signer) {
        let examples = try s3Examples()
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let date = try #require(formatter.date(from: examples.timestamp))
        let signer = SigV4Signer(
            credentials: .init(
                accessKey: examples.credentials.access_key_id,
                secretKey: examples.credentials.secret_access_key
            ),
            region: examples.region,
            service: examples.service,
            normalizePath: false,
            signsPayloadHeader: true
        )
        return (examples, date, signer)
    }

    static func query(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (
                String(parts[0]).removingPercentEncoding!,
                parts.count > 1 ? String(parts[1]).removingPercentEncoding! : ""
            )
        }
    }

    @Test func theS3HeaderExamplesSign() throws {
        let (examples, date, signer) = try Self.s3ExampleSigner()
        for example in examples.header_auth_examples {
            let headers = example.signed_headers_in_request.filter {
                $0.key != "x-amz-date" && $0.key != "x-amz-content-sha256"
            }
            let signed = signer.sign(
                .init(
                    method: example.method,
                    path: example.canonical_uri.removingPercentEncoding!,
                    query: Self.query(example.canonical_query),
                    headers: headers.map { ($0.key, $0.value) },
                    payloadHash: example.payload_sha256
                ),
                date: date
            )
            #expect(signed.canonicalRequest == example.canonical_request, "\(example.name)")
            #expect(signed.signature == example.signature, "\(example.name)")
        }
        let presigned = examples.presigned_url_example
        let signed = signer.presign(
            .init(
                method: "GET",
                path: presigned.canonical_uri,
                headers: [("host", "examplebucket.s3.amazonaws.com")],
                payloadHash: SigV4Signer.unsignedPayload
            ),
            date: date,
            expires: presigned.expires_seconds ?? 0
        )
        #expect(signed.stringToSign == presigned.string_to_sign)
        #expect(signed.signature == presigned.signature)
        #expect(presigned.presigned_url?.contains("X-Amz-Signature=" + signed.signature) == true)
    }

    /// S3 signs through the transport's authenticator hook: the request as it goes out (its URL's encoded path
    /// and query, its headers, the payload hash header) must sign to the published signatures, and headers the
    /// transport adds (User-Agent, Content-Length) must stay out of the signature.
    @Test func theAuthenticatorSignsTheS3ExamplesAsSent() async throws {
        let (examples, date, signer) = try Self.s3ExampleSigner()
        let authenticator = SigV4Authenticator(signer: signer, clock: TestClock(wallOrigin: date))
        for example in examples.header_auth_examples {
            let host = try #require(example.signed_headers_in_request["host"])
            let query = example.canonical_query.isEmpty ? "" : "?" + example.canonical_query
            var request = HTTPClientRequest(url: "https://\(host)\(example.canonical_uri)\(query)")
            request.method = HTTPMethod(rawValue: example.method)
            request.headers.add(name: "User-Agent", value: "switchboard/test")
            request.headers.add(name: "Content-Length", value: "0")
            for (name, value) in example.signed_headers_in_request where name != "host" && name != "x-amz-date" {
                request.headers.add(name: name, value: value)
            }
            if request.headers.first(name: "x-amz-content-sha256") == nil {
                request.headers.add(name: "x-amz-content-sha256", value: example.payload_sha256)
            }
            _ = try await authenticator.authorize(&request, deadline: nil)
            let authorization = try #require(request.headers.first(name: "Authorization"), "\(example.name)")
            #expect(authorization.hasSuffix("Signature=" + example.signature), "\(example.name): \(authorization)")
            #expect(!authorization.contains("user-agent") && !authorization.contains("content-length"))
            #expect(request.headers.first(name: "Host") == host)
            #expect(request.headers.first(name: "X-Amz-Date") == examples.timestamp)
        }
        #expect(SigV4Authenticator.split("http://127.0.0.1:8333") == ("127.0.0.1:8333", "/", ""))
        #expect(SigV4Authenticator.split("http://h/b/k%20x?a=1&b=") == ("h", "/b/k%20x", "a=1&b="))
        #expect(authenticator.secretValues == [examples.credentials.secret_access_key])
    }

    @Test func keysAreEncodedOnceAndSlashesKept() {
        #expect(SigV4Signer.encode("/a b/ሴ+c~d.txt", keepSlash: true) == "/a%20b/%E1%88%B4%2Bc~d.txt")
        #expect(SigV4Signer.encode("a/b", keepSlash: false) == "a%2Fb")
    }
}

@Suite struct S3AddressingTests {
    @Test func credentialsNeverPrintTheSecretOrToken() {
        let credentials = SigV4Signer.Credentials(
            accessKey: "AKID",
            secretKey: "very-secret-key",
            sessionToken: "session-token-value"
        )
        var settings = S3Storage.Settings(bucket: "b", credentials: credentials)
        settings.endpoint = "http://127.0.0.1:9000"
        for text in [
            String(describing: credentials), String(reflecting: credentials), String(describing: settings),
            String(reflecting: settings),
        ] {
            #expect(!text.contains("very-secret-key"))
            #expect(!text.contains("session-token-value"))
        }
    }

    /// The presigned URL of `key` under `settings`, with the client shut down afterwards.
    func presigned(_ settings: S3Storage.Settings, _ key: String = "x", method: PresignMethod = .get) async throws
        -> String
    {
        let s3 = try S3Storage(settings: settings)
        let url = Result { try s3.presign(key, method: method, expiresIn: 60).url }
        try await s3.shutdown()
        return try url.get()
    }

    @Test func virtualHostedAndPathStyleURLs() async throws {
        let credentials = SigV4Signer.Credentials(accessKey: "AKID", secretKey: "secret")
        // AWS with no endpoint: virtual-hosted, the bucket in the host name.
        let url = try await presigned(S3Storage.Settings(bucket: "reports", credentials: credentials), "q3/a b+c.pdf")
        #expect(url.hasPrefix("https://reports.s3.us-east-1.amazonaws.com/q3/a%20b%2Bc.pdf?"), "\(url)")
        // A bucket with dots falls back to path-style; a custom endpoint is path-style unless told otherwise.
        #expect(
            try await presigned(S3Storage.Settings(bucket: "my.reports", credentials: credentials)).hasPrefix(
                "https://s3.us-east-1.amazonaws.com/my.reports/x?"
            )
        )
        var custom = S3Storage.Settings(bucket: "reports", credentials: credentials)
        custom.endpoint = "http://127.0.0.1:8333"
        #expect(try await presigned(custom, method: .put).hasPrefix("http://127.0.0.1:8333/reports/x?"))
        custom.pathStyle = false
        custom.endpoint = "https://storage.example.com"
        #expect(try await presigned(custom).hasPrefix("https://reports.storage.example.com/x?"))
        var badEndpoint = S3Storage.Settings(bucket: "reports", credentials: credentials)
        badEndpoint.endpoint = "ftp://example.com"
        #expect(throws: IntegrationError.self) { _ = try S3Storage(settings: badEndpoint) }
        let aws = try S3Storage(settings: S3Storage.Settings(bucket: "reports", credentials: credentials))
        #expect(throws: IntegrationError.self) { try aws.presign("x", method: .get, expiresIn: 0) }
        try await aws.shutdown()
    }
}
