import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardHTTP

/// AWS Signature Version 4 as an ``Authenticator``: the transport hands it each request just before sending, and
/// it signs the request as it will go out (method, the URL's encoded path and canonical query, the headers, the
/// payload hash), stamped with the clock's time. S3 sends through ``HTTPTransport`` with it.
///
/// The request's URL must carry the path encoded by ``SigV4Signer/encodedPath(_:)`` and the query made by
/// ``SigV4Signer/canonicalQuery(_:)``, and its `x-amz-content-sha256` header the payload's hash (or
/// `UNSIGNED-PAYLOAD`); without that header the payload is taken to be empty.
struct SigV4Authenticator: Authenticator {
    let signer: SigV4Signer
    let clock: any ResilienceClock

    /// Headers that the transport or a proxy may add or change on the way: signing them would break the signature.
    private static let unsigned: Set<String> = [
        "user-agent", "content-length", "expect", "connection", "transfer-encoding", "authorization",
        "x-amzn-trace-id", "accept-encoding", "x-amz-content-sha256",
    ]

    func authorize(_ request: inout HTTPClientRequest, deadline: Duration?) async throws -> String? {
        let (authority, path, query) = Self.split(request.url)
        let payloadHash = request.headers.first(name: "x-amz-content-sha256") ?? SigV4Signer.emptyPayloadHash
        var headers: [(String, String)] = [("Host", authority)]
        for header in request.headers where !Self.unsigned.contains(header.name.lowercased()) {
            if header.name.lowercased() == "host" { continue }
            headers.append((header.name, header.value))
        }
        let signature = signer.sign(
            method: request.method.rawValue,
            encodedPath: path,
            canonicalQuery: query,
            headers: headers,
            payloadHash: payloadHash,
            date: clock.wallTime
        )
        request.headers.replaceOrAdd(name: "Host", value: authority)
        for (name, value) in signature.added { request.headers.replaceOrAdd(name: name, value: value) }
        return nil
    }

    var sendsCredentials: Bool { true }

    var secretValues: [String] {
        [signer.credentials.secretKey] + (signer.credentials.sessionToken.map { [$0] } ?? [])
    }

    /// `scheme://authority/path?query` → (authority, path, query), as written.
    static func split(_ url: String) -> (authority: String, path: String, query: String) {
        var rest = url[...]
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let target = rest[slash...]
        if let mark = target.firstIndex(of: "?") {
            let path = target[..<mark]
            return (String(authority), path.isEmpty ? "/" : String(path), String(target[target.index(after: mark)...]))
        }
        return (String(authority), target.isEmpty ? "/" : String(target), "")
    }
}
