import Foundation
import SwitchboardCore

/// The SASL mechanisms both mail clients speak, as the bytes they send.
package enum SASLMechanism: String, Sendable, CaseIterable {
    case plain, login, xoauth2

    /// The name on the wire (`AUTH PLAIN`).
    package var wireName: String { rawValue.uppercased() }

    /// PLAIN (RFC 4616): `\0user\0password`, base64.
    package static func plainResponse(username: String, password: Secret) -> String {
        Data(([0] + Array(username.utf8) + [0] + Array(password.reveal().utf8))).base64EncodedString()
    }

    /// XOAUTH2 (Google's and Microsoft's): `user=U^Aauth=Bearer T^A^A`, base64.
    package static func xoauth2Response(username: String, token: String) -> String {
        Data("user=\(username)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8).base64EncodedString()
    }

    /// One base64 field (LOGIN's user name and password).
    package static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}

/// Where a mail client's credentials come from: a password, or OAuth 2.0 access tokens for XOAUTH2.
package struct MailCredentials: Sendable {
    package var username: String
    package var password: Secret?
    /// Fetches a current access token (XOAUTH2); the HTTP module's token manager refreshes it ahead of expiry.
    package var accessToken: (@Sendable () async throws -> String)?
    /// The mechanism the configuration asked for; `nil` picks PLAIN, else LOGIN, from what the server offers.
    package var mechanism: SASLMechanism?

    package init(
        username: String,
        password: Secret? = nil,
        mechanism: SASLMechanism? = nil,
        accessToken: (@Sendable () async throws -> String)? = nil
    ) {
        self.username = username
        self.password = password
        self.mechanism = mechanism
        self.accessToken = accessToken
    }

    /// The mechanism to use given the server's offer.
    /// - Throws: `unauthorized` when the server offers none this client can use.
    package func choose(offered: Set<String>, server: String) throws -> SASLMechanism {
        if let mechanism {
            guard offered.contains(mechanism.wireName) else {
                throw IntegrationError(
                    code: .unauthorized,
                    message:
                        "\(server) does not offer AUTH \(mechanism.wireName) (it offers: \(offered.sorted().joined(separator: " ")))",
                    hint: "set auth: to one of the mechanisms the server offers"
                )
            }
            return mechanism
        }
        if accessToken != nil, offered.contains("XOAUTH2") { return .xoauth2 }
        if password != nil, offered.contains("PLAIN") { return .plain }
        if password != nil, offered.contains("LOGIN") { return .login }
        throw IntegrationError(
            code: .unauthorized,
            message:
                "\(server) offers no authentication this client can use (it offers: \(offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")))",
            hint: "PLAIN, LOGIN and XOAUTH2 are supported"
        )
    }

    /// The strings that must never appear in output.
    package var secretValues: [String] {
        guard let password else { return [] }
        return [
            password.reveal(), SASLMechanism.plainResponse(username: username, password: password),
            SASLMechanism.base64(password.reveal()),
        ]
    }
}
