import Crypto
import Foundation

/// AWS Signature Version 4, written from the published specification and checked against AWS's test suite.
///
/// Signs a request either with an `Authorization` header (``sign(_:date:)``) or in the query string, for a
/// presigned URL (``presign(_:date:expires:)``). Every intermediate step (canonical request, string to sign) is
/// returned, so tests can compare each one with the reference vectors.
public struct SigV4Signer: Sendable {
    /// An access key, its secret, and an optional session token (`AWS_SESSION_TOKEN`).
    public struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        public var accessKey: String
        public var secretKey: String
        public var sessionToken: String?

        /// The access key id only: the secret and the token are never printed, whatever prints these.
        public var description: String {
            "Credentials(accessKey: \(accessKey), secretKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
        }
        public var debugDescription: String { description }

        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    /// A request to sign. `path` is the decoded path (`/my bucket/ሴ`); `query` holds decoded names and values.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(
            method: String,
            path: String,
            query: [(String, String)] = [],
            headers: [(String, String)],
            payloadHash: String = SigV4Signer.emptyPayloadHash
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The signing steps and their result.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// Headers to add to the request (`X-Amz-Date`, the token, `x-amz-content-sha256`, `Authorization`), or
        /// for a presigned URL, the query parameters to append.
        public var added: [(String, String)]
        /// The canonical (encoded, sorted) query string including any added parameters, as it must be sent.
        public var canonicalQuery: String
        /// The encoded path, exactly as signed and as it must be sent.
        public var encodedPath: String
    }

    /// Hex SHA-256 of a body, for ``Request/payloadHash``.
    public static func payloadHash(_ bytes: [UInt8]) -> String { hex(Array(SHA256.hash(data: bytes))) }

    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var credentials: Credentials
    public var region: String
    public var service: String
    /// Whether to remove `.`/`..` segments and repeated slashes from the path before signing. S3 does not.
    public var normalizePath: Bool
    /// Whether to send the payload hash in an `x-amz-content-sha256` header (S3 requires it).
    public var signsPayloadHeader: Bool
    /// Whether the session token is signed (`true`), or only added after signing.
    public var signsSessionToken: Bool = true

    public init(
        credentials: Credentials,
        region: String,
        service: String,
        normalizePath: Bool,
        signsPayloadHeader: Bool
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizePath = normalizePath
        self.signsPayloadHeader = signsPayloadHeader
    }

    // MARK: Signing

    /// Signs with an `Authorization` header.
    public func sign(_ request: Request, date: Date) -> Signature {
        sign(
            method: request.method,
            encodedPath: encodedPath(request.path),
            canonicalQuery: Self.canonicalQuery(request.query),
            headers: request.headers,
            payloadHash: request.payloadHash,
            date: date
        )
    }

    /// Signs a request whose path is already encoded and whose query is already canonical (as
    /// ``encodedPath(_:)`` and ``canonicalQuery(_:)`` make them, and as the request will be sent).
    public func sign(
        method: String,
        encodedPath path: String,
        canonicalQuery query: String,
        headers: [(String, String)],
        payloadHash: String,
        date: Date
    ) -> Signature {
        let (amzDate, day) = Self.stamps(date)
        var headers = headers
        headers.append(("X-Amz-Date", amzDate))
        if signsPayloadHeader { headers.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken, signsSessionToken { headers.append(("X-Amz-Security-Token", token)) }
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonical = [method, path, query, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let toSign = stringToSign(canonical, amzDate: amzDate, scope: scope)
        let signature = sign(toSign, day: day)
        var added = [("X-Amz-Date", amzDate)]
        if signsPayloadHeader { added.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            )
        )
        return Signature(
            canonicalRequest: canonical,
            stringToSign: toSign,
            signature: signature,
            added: added,
            canonicalQuery: query,
            encodedPath: path
        )
    }

    /// Signs in the query string, for a URL usable without credentials until `expires` has passed.
    public func presign(_ request: Request, date: Date, expires: Int) -> Signature {
        let (amzDate, day) = Self.stamps(date)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        var parameters: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKey)/\(scope)"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expires)),
        ]
        if let token = credentials.sessionToken, signsSessionToken {
            parameters.append(("X-Amz-Security-Token", token))
        }
        parameters.append(("X-Amz-SignedHeaders", signedHeaders))
        let path = encodedPath(request.path)
        let query = Self.canonicalQuery(request.query + parameters)
        let canonical = [request.method, path, query, canonicalHeaders, signedHeaders, request.payloadHash]
            .joined(separator: "\n")
        let toSign = stringToSign(canonical, amzDate: amzDate, scope: scope)
        let signature = sign(toSign, day: day)
        var added = parameters
        if let token = credentials.sessionToken, !signsSessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(("X-Amz-Signature", signature))
        return Signature(
            canonicalRequest: canonical,
            stringToSign: toSign,
            signature: signature,
            added: added,
            canonicalQuery: Self.canonicalQuery(request.query + added),
            encodedPath: path
        )
    }

    /// The signing key for `day` (`yyyyMMdd`): HMAC chain over the date, region, service and `aws4_request`.
    public func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    private func stringToSign(_ canonical: String, amzDate: String, scope: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Self.hex(SHA256.hash(data: Data(canonical.utf8))))"
    }

    private func sign(_ text: String, day: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: signingKey(day: day)))
    }

    // MARK: Canonical forms

    /// The path as signed and sent: each segment percent-encoded once (S3), after removing dot segments and
    /// repeated slashes when ``normalizePath`` is set.
    public func encodedPath(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if normalizePath { path = Self.normalize(path) }
        return Self.encode(path, keepSlash: true)
    }

    static func normalize(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                continue
            }
            output.append(segment)
        }
        var result = "/" + output.joined(separator: "/")
        if path.hasSuffix("/"), result != "/" { result += "/" }
        return result
    }

    /// Sorted, encoded `name=value` pairs joined by `&`.
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        var pairs: [(name: String, value: String)] = items.map { item in
            (encode(item.0, keepSlash: false), encode(item.1, keepSlash: false))
        }
        pairs.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return pairs.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// Lower-case names, sorted; values trimmed with inner runs of whitespace collapsed; repeated names joined
    /// with commas in their order.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(whereSeparator: { (c: Character) -> Bool in c.isWhitespace }).joined(
                separator: " "
            )
            merged[name.lowercased(), default: []].append(collapsed)
        }
        let names = merged.keys.sorted()
        let lines = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (lines, names.joined(separator: ";"))
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` when `keepSlash`).
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                bytes.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func stamps(_ date: Date) -> (amzDate: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    /// Lower-case hex of a digest or MAC.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ code: HashedAuthenticationCode<SHA256>) -> String { hex(Array(code)) }
    static func hex(_ digest: SHA256.Digest) -> String { hex(Array(digest)) }
}
