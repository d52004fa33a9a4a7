import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchboardCore
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
        public var connectTimeout: TimeAmount = .seconds(10)
        /// Longest wait for the next bytes of a response.
        public var readTimeout: TimeAmount = .seconds(60)
        /// Whole-request limit for requests that move no file (list, head, delete, copy, multipart steps).
        public var requestTimeout: TimeAmount = .seconds(60)
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
    private let client: HTTPClient
    private let signer: SigV4Signer
    private let clock: any ResilienceClock
    private let scheme: String
    private let host: String
    private let port: Int?
    private let basePath: String
    private let pathStyle: Bool
    private let tls: TLSConfiguration?

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
            timeout: .init(connect: settings.connectTimeout, read: settings.readTimeout),
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
            response = try await client.execute(request, timeout: timeout ?? settings.requestTimeout)
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

    // MARK: Upload

    public func upload(
        file source: String,
        to key: String,
        contentType: String?,
        metadata: [String: String],
        progress: ProgressHandler?
    ) async throws -> StoredObject {
        let size = try FileTransfer.regularFileSize(source)
        let fd = try FileTransfer.openForReading(source)
        defer { close(fd) }
        var headers: [(String, String)] = [("Content-Type", contentType ?? ContentType.guess(source))]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        if size <= settings.multipartThreshold {
            // Small enough to hold: one read, both hashes, one PUT with Content-MD5, ETag checked.
            let bytes = try await FileTransfer.blocking(bytes: size) {
                try FileTransfer.read(fd, offset: 0, count: Int(size))
            }
            guard bytes.count == size else {
                throw IntegrationError(code: .invalidInput, message: "\(source) changed size while being read")
            }
            let md5 = Insecure.MD5.hash(data: bytes)
            let sha = SHA256.hash(data: bytes)
            headers.append(("Content-MD5", Data(md5).base64EncodedString()))
            let response = try await send(
                "PUT",
                key: key,
                headers: headers,
                body: .bytes(bytes),
                payloadHash: SigV4Signer.hex(Array(sha)),
                timeout: .hours(24)
            )
            let etag = Self.etag(response)
            let expected = SigV4Signer.hex(Array(md5))
            if Self.isMD5(etag), etag.lowercased() != expected {
                throw IntegrationError(
                    code: .serverError,
                    message: "the stored object's ETag \(etag) does not match the file's MD5 \(expected)",
                    transience: .always
                )
            }
            progress?(size, size)
            return StoredObject(key: key, size: size, etag: etag)
        }
        return try await multipartUpload(fd: fd, size: size, key: key, headers: headers, progress: progress)
    }

    private func multipartUpload(
        fd: Int32,
        size: Int64,
        key: String,
        headers: [(String, String)],
        progress: ProgressHandler?
    ) async throws -> StoredObject {
        // S3 allows at most 10,000 parts: grow the part size for huge files.
        let partSize = max(settings.partSize, (size + 9_999) / 10_000)
        let partCount = Int((size + partSize - 1) / partSize)
        let initiated = try await send("POST", key: key, query: [("uploads", "")], headers: headers)
        let initiateBody = String(buffer: try await initiated.body.collect(upTo: 1 << 20))
        guard let uploadID = XMLElement.parse(initiateBody)?.value("UploadId"), !uploadID.isEmpty else {
            throw IntegrationError(
                code: .serviceError,
                message: "S3 did not return an UploadId for the multipart upload"
            )
        }
        let sent = progress.map { ByteCounter(total: size, handler: $0) }
        do {
            let etags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var etags = [String](repeating: "", count: partCount)
                var next = 0
                func start() {
                    let number = next + 1
                    let offset = Int64(next) * partSize
                    let length = min(partSize, size - offset)
                    next += 1
                    group.addTask {
                        (
                            number,
                            try await self.uploadPart(
                                fd: fd,
                                offset: offset,
                                length: length,
                                number: number,
                                key: key,
                                uploadID: uploadID,
                                sent: sent
                            )
                        )
                    }
                }
                while next < min(settings.parallelParts, partCount) { start() }
                while let (number, etag) = try await group.next() {
                    etags[number - 1] = etag
                    if next < partCount { start() }
                }
                return etags
            }
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (index, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\"\(XMLElement.escape(etag))\"</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let body = Array(xml.utf8)
            let completed = try await send(
                "POST",
                key: key,
                query: [("uploadId", uploadID)],
                headers: [("Content-Type", "application/xml")],
                body: .bytes(body),
                payloadHash: SigV4Signer.hex(Array(SHA256.hash(data: body))),
                timeout: .hours(1)
            )
            // S3 may answer 200 and still report an error in the body.
            let reply = String(buffer: try await completed.body.collect(upTo: 1 << 20))
            let parsed = XMLElement.parse(reply)
            if let parsed, parsed.name == "Error" {
                throw Self.error(status: 500, body: reply, key: key, bucket: settings.bucket, retryAfter: nil)
            }
            var etag = parsed?.value("ETag") ?? ""
            if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 {
                etag = String(etag.dropFirst().dropLast())
            }
            return StoredObject(key: key, size: size, etag: etag)
        } catch {
            // Leave no orphaned parts: abort, even when this task was cancelled.
            let abort = Task {
                _ = try? await self.send("DELETE", key: key, query: [("uploadId", uploadID)], timeout: .seconds(30))
            }
            await abort.value
            throw error
        }
    }

    /// One part: hashed from disk, then streamed from disk with its MD5; retried up to three times
    /// on a transient failure.
    private func uploadPart(
        fd: Int32,
        offset: Int64,
        length: Int64,
        number: Int,
        key: String,
        uploadID: String,
        sent: ByteCounter?
    ) async throws -> String {
        // Parts are signed with UNSIGNED-PAYLOAD and carry a signed Content-MD5: the server checks the bytes
        // against it, and one hash pass over the part costs half of two.
        let md5 = try await FileTransfer.blocking { try FileTransfer.md5(fd, offset: offset, length: length) }
        let expected = SigV4Signer.hex(Array(md5))
        var attempt = 0
        while true {
            attempt += 1
            let mark = sent?.mark()
            do {
                let response = try await send(
                    "PUT",
                    key: key,
                    query: [("partNumber", String(number)), ("uploadId", uploadID)],
                    headers: [("Content-MD5", Data(md5).base64EncodedString())],
                    body: .file(fd: fd, offset: offset, length: length, sent: sent),
                    payloadHash: SigV4Signer.unsignedPayload,
                    timeout: .hours(1)
                )
                let etag = Self.etag(response)
                if Self.isMD5(etag), etag.lowercased() != expected {
                    throw IntegrationError(
                        code: .serverError,
                        message: "part \(number): ETag \(etag) does not match its MD5 \(expected)",
                        transience: .always
                    )
                }
                return etag.isEmpty ? expected : etag
            } catch let error as IntegrationError where error.transience == .always && attempt < 3 {
                if let mark { sent?.reset(to: mark) }
                try await clock.sleep(until: clock.now + .milliseconds(200 * attempt))
            }
        }
    }

    // MARK: Download

    /// Downloads in one request when the object is small, or when its ETag is a plain MD5 (the content is then
    /// checked against it as it streams); otherwise the first response gives the first `part_size` bytes and
    /// the rest comes in ranges, `parallel_parts` at a time, each written at its offset and pinned to the first
    /// response's ETag with If-Match.
    public func download(_ key: String, to destination: String, progress: ProgressHandler?) async throws
        -> DownloadedFile
    {
        let target = try FileTransfer.downloadPath(destination, key: key)
        let partSize = settings.partSize
        let first = try await send("GET", key: key, timeout: .hours(24))
        let etag = Self.etag(first)
        let total = first.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let (temporary, fd) = try FileTransfer.createTemporary(besides: target)
        let counter = progress.map { ByteCounter(total: total ?? 0, handler: $0) }
        do {
            var md5: Insecure.MD5? = Self.isMD5(etag) ? Insecure.MD5() : nil
            // A large object whose ETag cannot check its content comes faster in parallel ranges: keep the first
            // part of this response and fetch the rest by range.
            let parallel = md5 == nil && (total ?? 0) > 2 * partSize && settings.parallelParts > 1
            var written = try await receive(
                first,
                into: fd,
                at: 0,
                expected: parallel ? partSize : total,
                limit: parallel ? partSize : nil,
                md5: &md5,
                counter: counter,
                target: target
            )
            if parallel, let total {
                written += try await downloadRanges(
                    key: key,
                    etag: etag,
                    from: written,
                    total: total,
                    fd: fd,
                    counter: counter,
                    target: target
                )
            }
            if let total, written != total {
                throw IntegrationError(
                    code: .connectionFailed,
                    message: "the download of \(key) ended after \(written) of \(total) bytes",
                    transience: .always
                )
            }
            if let md5 {
                let actual = SigV4Signer.hex(Array(md5.finalize()))
                if actual != etag.lowercased() {
                    throw IntegrationError(
                        code: .serverError,
                        message: "the downloaded data's MD5 \(actual) does not match the ETag \(etag)",
                        transience: .always
                    )
                }
            }
            try await FileTransfer.blocking(bytes: written) {
                try FileTransfer.commit(fd, temporary: temporary, to: target, durable: false)
            }
            progress?(written, written)
            return DownloadedFile(path: target, size: written)
        } catch {
            FileTransfer.discard(fd, temporary: temporary)
            if let error = error as? IntegrationError, error.message.hasSuffix("the partial file was removed") {
                throw error
            }
            if var error = error as? IntegrationError {
                error.message += "; the partial file was removed"
                throw error
            }
            throw Self.transportError(error, host: hostHeader)
        }
    }

    /// The ranges after `start`, `parallel_parts` at a time; returns the bytes written.
    private func downloadRanges(
        key: String,
        etag: String,
        from start: Int64,
        total: Int64,
        fd: Int32,
        counter: ByteCounter?,
        target: String
    ) async throws -> Int64 {
        let partSize = settings.partSize
        var ranges: [(Int64, Int64)] = []
        var offset = start
        while offset < total {
            ranges.append((offset, min(partSize, total - offset)))
            offset += partSize
        }
        return try await withThrowingTaskGroup(of: Int64.self) { group in
            var next = 0
            var written: Int64 = 0
            func start() {
                let (offset, length) = ranges[next]
                next += 1
                group.addTask {
                    var headers = [("Range", "bytes=\(offset)-\(offset + length - 1)")]
                    if !etag.isEmpty { headers.append(("If-Match", "\"\(etag)\"")) }
                    let response = try await self.send("GET", key: key, headers: headers, timeout: .hours(1))
                    var none: Insecure.MD5? = nil
                    return try await self.receive(
                        response,
                        into: fd,
                        at: offset,
                        expected: length,
                        md5: &none,
                        counter: counter,
                        target: target
                    )
                }
            }
            while next < min(settings.parallelParts, ranges.count) { start() }
            while let count = try await group.next() {
                written += count
                if next < ranges.count { start() }
            }
            return written
        }
    }

    /// Streams a response body into `fd` from `offset` in 1 MiB writes; returns the bytes written.
    private func receive(
        _ response: HTTPClientResponse,
        into fd: Int32,
        at offset: Int64,
        expected: Int64?,
        limit: Int64? = nil,
        md5: inout Insecure.MD5?,
        counter: ByteCounter?,
        target: String
    ) async throws -> Int64 {
        var written: Int64 = 0
        let batch = FileTransfer.chunkSize
        var pending: [UInt8] = []
        pending.reserveCapacity(Int(min(expected ?? Int64(batch), Int64(batch))))
        func flush() async throws {
            guard !pending.isEmpty else { return }
            var chunk: [UInt8] = []
            chunk.reserveCapacity(batch)
            swap(&chunk, &pending)
            let position = offset + written - Int64(chunk.count)
            let full = chunk
            try await FileTransfer.blocking(bytes: Int64(full.count)) {
                try full.withUnsafeBytes { try FileTransfer.write(fd, $0, offset: position, destination: target) }
            }
            counter?.add(full.count)
        }
        for try await buffer in response.body {
            var buffer = buffer
            if let limit, written + Int64(buffer.readableBytes) > limit {
                // Past the limit the rest of this response is dropped (its connection closes).
                buffer = buffer.getSlice(at: buffer.readerIndex, length: Int(limit - written)) ?? ByteBuffer()
            }
            buffer.withUnsafeReadableBytes { raw in
                md5?.update(bufferPointer: raw)
                pending.append(contentsOf: raw)
            }
            written += Int64(buffer.readableBytes)
            if pending.count >= batch { try await flush() }
            if let limit, written >= limit { break }
        }
        try await flush()
        if let expected, written != expected {
            throw IntegrationError(
                code: .connectionFailed,
                message: "a response ended after \(written) of \(expected) bytes",
                transience: .always
            )
        }
        return written
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

/// Bytes sent so far across the parts of one upload, reported to a progress handler.
final class ByteCounter: Sendable {
    private let value = Atomic<Int64>(0)
    let total: Int64
    let handler: ProgressHandler

    init(total: Int64, handler: @escaping ProgressHandler) {
        self.total = total
        self.handler = handler
    }

    func add(_ count: Int) {
        let now = value.add(Int64(count), ordering: .relaxed).newValue
        handler(min(now, total), total)
    }

    func mark() -> Int64 { value.load(ordering: .relaxed) }
    func reset(to mark: Int64) { value.store(mark, ordering: .relaxed) }
}

/// A region of an open file as an async sequence of 1 MiB buffers, read on the thread pool as the HTTP client
/// asks for them: memory holds a chunk or two, never the region.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let fd: Int32
    let offset: Int64
    let length: Int64
    let sent: ByteCounter?

    struct AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        var position: Int64
        let end: Int64
        let sent: ByteCounter?

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let count = Int(Swift.min(Int64(FileTransfer.chunkSize), end - position))
            let (fd, position) = (self.fd, self.position)
            let bytes = try await FileTransfer.blocking { try FileTransfer.read(fd, offset: position, count: count) }
            guard !bytes.isEmpty else {
                throw IntegrationError(code: .invalidInput, message: "the file shrank while being uploaded")
            }
            self.position += Int64(bytes.count)
            sent?.add(bytes.count)
            return ByteBuffer(bytes: bytes)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(fd: fd, position: offset, end: offset + length, sent: sent)
    }
}
