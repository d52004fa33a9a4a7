import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchboardCore
import SwitchboardHTTP
import Synchronization

/// Amazon S3 and compatible servers (SeaweedFS, MinIO, Ceph, R2) over AsyncHTTPClient, signed with our own
/// ``SigV4Signer``. Files stream between disk and network: uploads above ``Settings/multipartThreshold`` go up in
/// parts, a few at a time, each hashed from disk and then streamed from disk; downloads stream into a temporary
/// file that is renamed into place once its size and MD5 check out.
public final class S3Storage: ObjectStorage {
    /// Where and how to reach the bucket.
    public struct Settings: Sendable {
        public var bucket: String
        public var region = "us-east-1"
        /// The server's base URL (`http://127.0.0.1:8333`); `nil` for AWS (`https://s3.<region>.amazonaws.com`).
        public var endpoint: String?
        /// Path-style (`endpoint/bucket/key`) rather than virtual-hosted (`bucket.endpoint/key`) addressing.
        /// Default: path-style for a custom endpoint, virtual-hosted for AWS.
        public var pathStyle: Bool?
        public var credentials: SigV4Signer.Credentials
        public var multipartThreshold: Int64 = 16 << 20
        public var partSize: Int64 = 8 << 20
        public var parallelParts = 4
        public var connectTimeout: Duration = .seconds(10)
        /// Longest wait for the next bytes of a response.
        public var readTimeout: Duration = .seconds(60)
        /// Whole-request limit for requests that move no file (list, head, delete, copy, multipart steps).
        public var requestTimeout: Duration = .seconds(60)
        public var caFile: String?
        public var userAgent = "switchboard/\(SwitchboardVersion.current)"
        /// Connections kept per host.
        public var maximumConnections = 64

        public init(bucket: String, credentials: SigV4Signer.Credentials) {
            self.bucket = bucket
            self.credentials = credentials
        }
    }

    let settings: Settings
    let client: HTTPClient
    let signer: SigV4Signer
    let clock: any ResilienceClock
    let scheme: String
    let host: String
    let port: Int?
    let basePath: String
    let pathStyle: Bool
    let tls: TLSConfiguration?

    public init(settings: Settings, clock: any ResilienceClock = SystemClock()) throws {
        self.settings = settings
        self.clock = clock
        let endpoint = settings.endpoint ?? "https://s3.\(settings.region).amazonaws.com"
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "endpoint \(endpoint) is not an http(s) URL",
                hint: "write it as http://127.0.0.1:8333 or https://s3.example.com"
            )
        }
        self.scheme = scheme
        self.host = host
        self.port = url.port
        var base = url.path
        while base.hasSuffix("/") { base.removeLast() }
        self.basePath = base
        // Bucket names with dots break virtual-hosted TLS; custom endpoints are usually path-style.
        self.pathStyle = settings.pathStyle ?? (settings.endpoint != nil || settings.bucket.contains("."))
        self.signer = SigV4Signer(
            credentials: settings.credentials,
            region: settings.region,
            service: "s3",
            normalizePath: false,
            signsPayloadHeader: true
        )
        if let caFile = settings.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))]
            } catch {
                throw IntegrationError(code: .invalidConfiguration, message: "cannot read the CA file \(caFile) as PEM")
            }
            self.tls = tls
        } else {
            self.tls = nil
        }
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(settings.connectTimeout), read: TimeAmount(settings.readTimeout)),
            connectionPool: .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maximumConnections
            )
        )
        configuration.httpVersion = .automatic
        configuration.connectionPool.retryConnectionEstablishment = false
        if let tls { configuration.tlsConfiguration = tls }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    // MARK: Requests

    enum Body {
        case empty
        case bytes([UInt8])
        /// `length` bytes of the open file `fd` from `offset`, read as they are sent.
        case file(fd: Int32, offset: Int64, length: Int64, sent: ByteCounter?)
    }

    var hostHeader: String {
        let bucketHost = pathStyle ? host : "\(settings.bucket).\(host)"
        if let port, !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) {
            return "\(bucketHost):\(port)"
        }
        return bucketHost
    }

    /// The decoded path of `key` (or of the bucket when `key` is nil).
    func path(_ key: String?) -> String {
        let bucketPart = pathStyle ? "/\(settings.bucket)" : ""
        guard let key else { return basePath + (bucketPart.isEmpty ? "/" : bucketPart) }
        return basePath + bucketPart + "/" + key
    }

    func url(encodedPath: String, query: String) -> String {
        "\(scheme)://\(hostHeader)\(encodedPath)\(query.isEmpty ? "" : "?" + query)"
    }

    /// Signs and sends one request; a status of 300 or more becomes a typed error.
    func send(
        _ method: String,
        key: String?,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: Body = .empty,
        payloadHash: String = SigV4Signer.emptyPayloadHash,
        timeout: TimeAmount? = nil
    ) async throws -> HTTPClientResponse {
        var headers = headers
        headers.append(("Host", hostHeader))
        let signed = signer.sign(
            .init(method: method, path: path(key), query: query, headers: headers, payloadHash: payloadHash),
            date: clock.wallTime
        )
        var request = HTTPClientRequest(url: url(encodedPath: signed.encodedPath, query: signed.canonicalQuery))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers + signed.added { request.headers.replaceOrAdd(name: name, value: value) }
        request.headers.replaceOrAdd(name: "User-Agent", value: settings.userAgent)
        switch body {
        case .empty:
            if method == "PUT" || method == "POST" { request.headers.replaceOrAdd(name: "Content-Length", value: "0") }
        case .bytes(let bytes):
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case .file(let fd, let offset, let length, let sent):
            request.body = .stream(
                FileChunks(fd: fd, offset: offset, length: length, sent: sent),
                length: .known(length)
            )
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout ?? TimeAmount(settings.requestTimeout))
        } catch {
            throw Self.transportError(error, host: hostHeader)
        }
        if response.status.code >= 300 {
            let text = try? await response.body.collect(upTo: 64 << 10)
            throw Self.error(
                status: Int(response.status.code),
                body: text.map { String(buffer: $0) } ?? "",
                key: key,
                bucket: settings.bucket,
                retryAfter: response.headers.first(name: "Retry-After")
            )
        }
        return response
    }

    static func transportError(_ error: any Error, host: String) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout:
                return IntegrationError.connectionFailed("cannot connect to \(host): connection timed out", sent: false)
            case .readTimeout, .deadlineExceeded:
                return IntegrationError(code: .timeout, message: "\(host) did not answer in time", transience: .always)
            case .cancelled:
                return CancellationError()
            default:
                break
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") {
            return IntegrationError.connectionFailed("cannot connect to \(host): connection refused", sent: false)
        }
        return IntegrationError.connectionFailed("S3 request to \(host) failed: \(text.prefix(200))")
    }

    /// S3's error codes as typed errors: missing keys and buckets are not found, signature and key problems are
    /// authentication errors (never retried), SlowDown and 5xx are retried.
    static func error(status: Int, body: String, key: String?, bucket: String, retryAfter: String?) -> IntegrationError
    {
        let xml = XMLElement.parse(body)
        let code = xml?.value("Code") ?? ""
        let message = xml?.value("Message") ?? ""
        let detail = message.isEmpty ? "" : ": \(message)"
        switch code {
        case "NoSuchKey":
            return IntegrationError(
                code: .notFound,
                message: "no object \(key ?? "") in bucket \(bucket)",
                status: status
            )
        case "NoSuchBucket":
            return IntegrationError(
                code: .notFound,
                message: "bucket \(bucket) does not exist (NoSuchBucket)",
                status: status,
                hint: "check `bucket` in the service's configuration"
            )
        case "NoSuchUpload":
            return IntegrationError(
                code: .notFound,
                message: "the multipart upload no longer exists (NoSuchUpload)",
                status: status
            )
        case "SignatureDoesNotMatch":
            return IntegrationError(
                code: .unauthorized,
                message: "S3 rejected the request signature (SignatureDoesNotMatch)",
                status: status,
                hint: "check secret_key (or AWS_SECRET_ACCESS_KEY) and region"
            )
        case "InvalidAccessKeyId":
            return IntegrationError(
                code: .unauthorized,
                message: "S3 does not know the access key (InvalidAccessKeyId)",
                status: status,
                hint: "check access_key (or AWS_ACCESS_KEY_ID)"
            )
        case "ExpiredToken", "InvalidToken":
            return IntegrationError(
                code: .unauthorized,
                message: "the session token was refused (\(code))",
                status: status,
                hint: "renew AWS_SESSION_TOKEN"
            )
        case "RequestTimeTooSkewed":
            return IntegrationError(
                code: .unauthorized,
                message: "this machine's clock is too far from the server's (RequestTimeTooSkewed)",
                status: status,
                hint: "synchronise the system clock (NTP)"
            )
        case "AccessDenied", "AllAccessDisabled":
            return IntegrationError(
                code: .forbidden,
                message: "access denied to \(key.map { "\($0) in " } ?? "")bucket \(bucket) (\(code))\(detail)",
                status: status
            )
        case "SlowDown", "RequestLimitExceeded", "TooManyRequests":
            var error = IntegrationError(
                code: .rateLimited,
                message: "S3 asks to slow down (\(code))",
                transience: .always,
                status: status
            )
            error.retryAfter = retryAfter.flatMap { RetryAfter.parse($0, now: Date()) } ?? .seconds(1)
            return error
        case "InternalError", "ServiceUnavailable":
            return IntegrationError(
                code: .serverError,
                message: "S3 server error (\(code))\(detail)",
                transience: .always,
                status: status
            )
        case "BadDigest", "InvalidDigest":
            return IntegrationError(
                code: .serverError,
                message: "the data was damaged on the way (\(code))",
                transience: .always,
                status: status
            )
        case "EntityTooSmall", "EntityTooLarge", "InvalidPart", "InvalidPartOrder", "InvalidArgument", "InvalidRequest",
            "KeyTooLongError", "InvalidBucketName":
            return IntegrationError(
                code: .invalidInput,
                message: "S3 refused the request (\(code))\(detail)",
                status: status
            )
        default:
            break
        }
        // No body (HEAD) or an unknown code: the status decides.
        switch status {
        case 404:
            return IntegrationError(
                code: .notFound,
                message: key.map { "no object \($0) in bucket \(bucket)" } ?? "bucket \(bucket) not found",
                status: status
            )
        case 403:
            return IntegrationError(
                code: .forbidden,
                message: "S3 refused access\(code.isEmpty ? "" : " (\(code))")\(detail)",
                status: status,
                hint: "check access_key, secret_key and the bucket's permissions"
            )
        case 503:
            return IntegrationError(
                code: .rateLimited,
                message: "S3 is unavailable or throttling (503)\(detail)",
                transience: .always,
                status: status
            )
        case 500...599:
            return IntegrationError(
                code: .serverError,
                message: "S3 server error \(status)\(code.isEmpty ? "" : " (\(code))")\(detail)",
                transience: .always,
                status: status
            )
        default:
            return IntegrationError(
                code: .serviceError,
                message: "S3 answered \(status)\(code.isEmpty ? "" : " (\(code))")\(detail)",
                status: status
            )
        }
    }

    static func etag(_ response: HTTPClientResponse) -> String {
        var etag = response.headers.first(name: "ETag") ?? ""
        if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 { etag = String(etag.dropFirst().dropLast()) }
        return etag
    }

    /// Whether `etag` is a plain MD5 (a single-part upload), so content can be checked against it.
    static func isMD5(_ etag: String) -> Bool {
        etag.count == 32 && etag.allSatisfy { $0.isHexDigit }
    }

    // MARK: Listing and the rest

    public func list(folder: String) async throws -> Listing {
        let prefix = ObjectKey.folderPrefix(folder)
        var listing = Listing()
        var token: String?
        repeat {
            var query: [(String, String)] = [("list-type", "2"), ("delimiter", "/"), ("max-keys", "1000")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: nil, query: query)
            let text = String(buffer: try await response.body.collect(upTo: 32 << 20))
            guard let xml = XMLElement.parse(text), xml.name == "ListBucketResult" else {
                throw IntegrationError(
                    code: .serviceError,
                    message: "S3 answered the listing with something other than ListBucketResult"
                )
            }
            for item in xml.all("Contents") {
                guard let key = item.value("Key") else { continue }
                var etag = item.value("ETag") ?? ""
                if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 {
                    etag = String(etag.dropFirst().dropLast())
                }
                listing.files.append(
                    ListedObject(
                        key: key,
                        size: Int64(item.value("Size") ?? "") ?? 0,
                        lastModified: item.value("LastModified") ?? "",
                        etag: etag
                    )
                )
            }
            for common in xml.all("CommonPrefixes") {
                if let folder = common.value("Prefix") { listing.folders.append(folder) }
            }
            token = xml.value("IsTruncated") == "true" ? xml.value("NextContinuationToken") : nil
        } while token != nil
        return listing
    }

    public func delete(_ key: String) async throws {
        _ = try await send("DELETE", key: key)
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        let response = try await send("HEAD", key: key)
        var metadata: [String: String] = [:]
        for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
        }
        return ObjectInfo(
            key: key,
            size: response.headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0,
            etag: Self.etag(response),
            contentType: response.headers.first(name: "Content-Type"),
            lastModified: response.headers.first(name: "Last-Modified"),
            metadata: metadata
        )
    }

    public func copy(_ source: String, to destination: String) async throws -> StoredObject {
        let info = try await head(source)
        let copySource = "/" + settings.bucket + "/" + SigV4Signer.encode(source, keepSlash: true)
        let response = try await send(
            "PUT",
            key: destination,
            headers: [("x-amz-copy-source", copySource)],
            timeout: .hours(1)
        )
        let reply = String(buffer: try await response.body.collect(upTo: 1 << 20))
        let xml = XMLElement.parse(reply)
        if let xml, xml.name == "Error" {
            throw Self.error(status: 500, body: reply, key: destination, bucket: settings.bucket, retryAfter: nil)
        }
        var etag = xml?.value("ETag") ?? info.etag
        if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 { etag = String(etag.dropFirst().dropLast()) }
        return StoredObject(key: destination, size: info.size, etag: etag)
    }

    public func presign(_ key: String, method: PresignMethod, expiresIn seconds: Int) throws -> PresignedURL {
        guard (1...604_800).contains(seconds) else {
            throw IntegrationError.invalidInput("expires_in must be between 1 and 604800 seconds (7 days)")
        }
        let now = clock.wallTime
        var presigner = signer
        presigner.signsPayloadHeader = false
        let signed = presigner.presign(
            .init(
                method: method.rawValue,
                path: path(key),
                headers: [("host", hostHeader)],
                payloadHash: SigV4Signer.unsignedPayload
            ),
            date: now,
            expires: seconds
        )
        return PresignedURL(
            url: url(encodedPath: signed.encodedPath, query: signed.canonicalQuery),
            expiresAt: now.addingTimeInterval(TimeInterval(seconds))
        )
    }
}

extension TimeAmount {
    /// `duration` in NIO's unit, for AsyncHTTPClient's timeouts.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
