import Foundation

/// Removes credentials from text that may be shown: known secret values, token-like JSON members, bearer tokens.
public struct Redactor: Sendable {
    /// The values to hide wherever they appear.
    public var secrets: [String]

    /// Creates a redactor.
    public init(secrets: [String]) { self.secrets = secrets.filter { $0.count >= 4 } }

    /// `text` with every secret hidden.
    public func redact(_ text: String) -> String {
        var text = text
        for secret in secrets { text = text.replacingOccurrences(of: secret, with: "***") }
        let patterns = [
            #"("(?:access_token|refresh_token|id_token|client_secret|password|api_key|apikey|token|secret|assertion)"\s*:\s*")[^"]*(")"#,
            #"((?:access_token|refresh_token|client_secret|password|api_key|token|code)=)[^&\s"]+()"#,
            #"((?i:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+()"#,
        ]
        for pattern in patterns {
            text = text.replacingOccurrences(of: pattern, with: "$1***$2", options: .regularExpression)
        }
        return text
    }

    /// The start of a body as one redacted line, at most `limit` characters.
    public func snippet(of body: Data, limit: Int = 300) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        let oneLine = redact(text).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        return oneLine.count > limit ? String(oneLine.prefix(limit)) + "…" : oneLine
    }
}
