import Crypto
import Foundation
import Logging
import SwitchboardCore
import SwitchboardHTTP

/// Amazon S3 and compatible servers (SeaweedFS, MinIO, Ceph, R2), sent through the shared ``HTTPTransport``
/// and signed by ``SigV4Signer`` as its ``Authenticator``. Files stream between disk and network: uploads above
/// ``Settings/multipartThreshold`` go up in parts, a few at a time, each hashed from disk and then streamed from
/// disk; downloads stream into a temporary file that is renamed into place once its size and MD5 check out.
public final class S3Storage: ObjectStorage {
    /// Where and how to reach the bucket.
    public struct Settings: Sendable {
        /// The service's name, for messages.
        public var service = "s3"
        /// The bucket.
        public var bucket: String
        /// The signing region.
        public var region = "us-east-1"
        /// The server's base URL (`http://127.0.0.1:8333`); `nil` for AWS (`https://s3.<region>.amazonaws.com`).
        public var endpoint: String?
        /// Path-style (`endpoint/bucket/key`) rather than virtual-hosted (`bucket.endpoint/key`) addressing.
        /// Default: path-style for a custom endpoint, virtual-hosted for AWS.
        public var pathStyle: Bool?
        /// The access key, secret key and session token.
        public var credentials: SigV4Signer.Credentials
        /// Files larger than this go up in parts.
        public var multipartThreshold: Int64 = 16 << 20
        /// The size of one part (grown for files of more than 10,000 parts).
        public var partSize: Int64 = 8 << 20
        /// Parts (or download ranges) in flight at once.
        public var parallelParts = 4
        /// Longest wait for a connection.
        public var connectTimeout: Duration = .seconds(10)
        /// Longest wait for the next bytes of a response.
        public var readTimeout: Duration = .seconds(60)
        /// Whole-request limit for requests that move no file (list, head, delete, copy, multipart steps).
        public var requestTimeout: Duration = .seconds(60)
        /// Extra trust roots (a PEM file) for a self-hosted server.
        public var caFile: String?
        /// The `User-Agent`.
        public var userAgent = "switchboard/\(SwitchboardVersion.current)"

        /// Settings for `bucket`, signed with `credentials`.
        public init(bucket: String, credentials: SigV4Signer.Credentials) {
            self.bucket = bucket
            self.credentials = credentials
        }
    }

    let settings: Settings
    let transport: HTTPTransport
    /// Whether this store made its transport (and so shuts it down).
    let ownsTransport: Bool
    let http: HTTPServiceSettings
    let signer: SigV4Signer
    let authenticator: SigV4Authenticator
    let clock: any ResilienceClock
    let scheme: String
    let host: String
    let port: Int?
    let basePath: String
    let pathStyle: Bool

    /// A store for `settings`.
    ///
    /// - Parameters:
    ///   - transport: The process's shared transport (the runtime's); `nil` makes one that ``shutdown()`` closes.
    ///   - clock: The signing time and the pause between retries of a part.
    public init(
        settings: Settings,
        transport: HTTPTransport? = nil,
        clock: any ResilienceClock = SystemClock()
    ) throws {
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
        let pathStyle = settings.pathStyle ?? (settings.endpoint != nil || settings.bucket.contains("."))
        self.pathStyle = pathStyle
        self.signer = SigV4Signer(
            credentials: settings.credentials,
            region: settings.region,
            service: "s3",
            normalizePath: false,
            signsPayloadHeader: true
        )
        self.authenticator = SigV4Authenticator(signer: signer, clock: clock)
        let authority = Self.authority(
            host: pathStyle ? host : "\(settings.bucket).\(host)",
            scheme: scheme,
            port: url.port
        )
        var http = try HTTPServiceSettings(service: settings.service, baseURL: "\(scheme)://\(authority)")
        http.userAgent = settings.userAgent
        http.connectTimeout = settings.connectTimeout
        http.readTimeout = settings.readTimeout
        http.requestTimeout = settings.requestTimeout
        http.caFile = settings.caFile
        // S3 answers a redirect only for a bucket in another region: that is a configuration error to report.
        http.followRedirects = false
        // A listing page of 1,000 keys with long names stays well under this.
        http.maximumBodySize = 32 << 20
        self.http = http
        if let caFile = settings.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw IntegrationError(code: .invalidConfiguration, message: "cannot read the CA file \(caFile)")
        }
        self.transport = transport ?? HTTPTransport()
        self.ownsTransport = transport == nil
    }

    /// Closes the connections when this store made its own transport; a shared one is closed by its owner.
    public func shutdown() async throws {
        if ownsTransport { try await transport.shutdown() }
    }

    // MARK: Requests

    static func authority(host: String, scheme: String, port: Int?) -> String {
        if let port, !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) {
            return "\(host):\(port)"
        }
        return host
    }

    var hostHeader: String {
        Self.authority(host: pathStyle ? host : "\(settings.bucket).\(host)", scheme: scheme, port: port)
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

    /// The request as it is sent: the path encoded and the query canonical, as the signer signs them.
    func request(
        _ method: String,
        key: String?,
        query: [(String, String)],
        headers: [(String, String)],
        body: TransportBody?,
        payloadHash: String
    ) -> TransportRequest {
        var headers = headers
        headers.append(("x-amz-content-sha256", payloadHash))
        if body == nil && (method == "PUT" || method == "POST") { headers.append(("Content-Length", "0")) }
        return TransportRequest(
            method: method,
            url: url(encodedPath: signer.encodedPath(path(key)), query: SigV4Signer.canonicalQuery(query)),
            headers: headers,
            body: body
        )
    }

    func settings(timeout: Duration?) -> HTTPServiceSettings {
        guard let timeout else { return http }
        var settings = http
        settings.requestTimeout = timeout
        return settings
    }

    /// S3's error codes decide the error of a status ≥ 400.
    func statusError(key: String?) -> @Sendable (TransportResponse) -> IntegrationError {
        let bucket = settings.bucket
        return { response in
            Self.error(
                status: response.status,
                body: String(decoding: response.body, as: UTF8.self),
                key: key,
                bucket: bucket,
                retryAfter: response.header("Retry-After")
            )
        }
    }

    /// Signs and sends one request and reads its answer; a status of 300 or more becomes a typed error.
    func send(
        _ method: String,
        key: String?,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: TransportBody? = nil,
        payloadHash: String = SigV4Signer.emptyPayloadHash,
        timeout: Duration? = nil
    ) async throws -> TransportResponse {
        let response = try await transport.send(
            request(method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash),
            settings: settings(timeout: timeout),
            authenticator: authenticator,
            statusError: statusError(key: key)
        )
        if response.status >= 300 { throw statusError(key: key)(response) }
        return response
    }

    /// Signs and sends one request and hands the answer's unread body to `handle`; a status of 300 or more
    /// becomes a typed error.
    func stream<Result>(
        _ method: String,
        key: String?,
        headers: [(String, String)] = [],
        timeout: Duration? = nil,
        _ handle: (TransportStreamingResponse) async throws -> Result
    ) async throws -> Result {
        try await transport.stream(
            request(
                method,
                key: key,
                query: [],
                headers: headers,
                body: nil,
                payloadHash: SigV4Signer.emptyPayloadHash
            ),
            settings: settings(timeout: timeout),
            authenticator: authenticator,
            statusError: statusError(key: key)
        ) { response in
            if response.status >= 300 {
                throw statusError(key: key)(
                    TransportResponse(status: response.status, headers: response.headers, body: Data())
                )
            }
            return try await handle(response)
        }
    }

    /// S3's error codes as typed errors: missing keys and buckets are not found, signature and key problems are
    /// authentication errors (never retried), SlowDown and 5xx are retried.
    static func error(status: Int, body: String, key: String?, bucket: String, retryAfter: String?) -> IntegrationError
    {
        let xml = XMLTree.parse(body)
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

    /// The `ETag` header's value without its quotes.
    static func etag(_ header: String?) -> String {
        var etag = header ?? ""
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
            let text = String(decoding: response.body, as: UTF8.self)
            guard let xml = XMLTree.parse(text), xml.name == "ListBucketResult" else {
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
        for (name, value) in response.headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return ObjectInfo(
            key: key,
            size: response.header("Content-Length").flatMap { Int64($0) } ?? 0,
            etag: Self.etag(response.header("ETag")),
            contentType: response.header("Content-Type"),
            lastModified: response.header("Last-Modified"),
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
            timeout: .seconds(3_600)
        )
        let reply = String(decoding: response.body, as: UTF8.self)
        let xml = XMLTree.parse(reply)
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
