import Foundation
import SwitchboardCore
import SwitchboardHTTP

/// WebDAV requests to one CalDAV server through the shared transport: hrefs to URLs, XML bodies in and out.
package struct CalDAVClient: Sendable {
    let settings: HTTPServiceSettings
    let transport: HTTPTransport
    let authenticator: any Authenticator

    /// The absolute URL of `href` (a path on the server, or already a URL).
    func url(_ href: String) -> String {
        if href.hasPrefix("http://") || href.hasPrefix("https://") { return href }
        return settings.origin + (href.hasPrefix("/") ? href : "/" + href)
    }

    /// The path of `href`, whether it is a path or a full URL.
    static func path(of href: String) -> String {
        let trimmed = href.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"),
            let components = URLComponents(string: trimmed)
        else { return trimmed }
        return components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
    }

    /// Sends one request; a status ≥ 400 is thrown as the transport classifies it (404 `not_found`, 409 and 412
    /// `conflict`, 5xx retryable when safe).
    func send(
        _ method: String,
        _ url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil
    ) async throws -> TransportResponse {
        var headers = headers
        if let contentType { headers.append(("Content-Type", contentType)) }
        return try await transport.send(
            TransportRequest(method: method, url: url, headers: headers, body: body.map { TransportBody(bytes: $0) }),
            settings: settings,
            authenticator: authenticator
        )
    }

    /// A PROPFIND or REPORT and its 207 multistatus, parsed.
    func xml(_ method: String, _ url: String, depth: String, body: String) async throws -> XMLTree {
        let response = try await send(
            method,
            url,
            headers: [("Depth", depth)],
            body: Array(body.utf8),
            contentType: "application/xml; charset=utf-8"
        )
        guard response.status == 207 else {
            throw IntegrationError(
                code: .serviceError,
                message: "\(method) \(url) answered \(response.status), not 207 Multi-Status; is this a CalDAV server?",
                transience: .never
            )
        }
        return try XMLTree.parse(response.body)
    }
}
