import SwitchboardCore

/// What may go into a request header: names are RFC 9110 tokens, values hold no CR, LF or NUL (they would split
/// the request), and a call's input may not set the headers that belong to the connection or the transport.
/// Values are never shown in errors: they are often credentials.
package enum HeaderRules {
    /// Headers the transport owns: the host the credentials are meant for, hop-by-hop headers and framing.
    package static let reserved: Set<String> = [
        "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "expect", ":authority", ":method", ":path",
        ":scheme",
    ]

    /// Checks one header of a call's input.
    /// - Throws: ``IntegrationError`` `invalidInput` naming the header.
    package static func checkInput(name: String, value: String) throws {
        guard isToken(name) else {
            throw IntegrationError.invalidInput(
                "headers: \(shown(name)) is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)"
            )
        }
        guard !reserved.contains(name.lowercased()) else {
            throw IntegrationError.invalidInput(
                "headers.\(name) cannot be set by a call: the transport sets it (the host, the connection and the body's framing)"
            )
        }
        try checkValue(value, field: "headers.\(name)")
    }

    /// Checks a value that will be sent in a header.
    /// - Throws: ``IntegrationError`` `invalidInput` naming `field`, never the value.
    package static func checkValue(_ value: String, field: String) throws {
        if let problem = problem(in: value) { throw IntegrationError.invalidInput("\(field) \(problem)") }
    }

    /// Why `value` cannot be a header value, or `nil`.
    package static func problem(in value: String) -> String? {
        guard value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return nil }
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            return "holds a line break (CR or LF), which would split the request; remove it"
                + (value.hasSuffix("\n") || value.hasSuffix("\r")
                    ? " (a value read from a file or ${VAR} kept its trailing newline?)" : "")
        }
        return "holds a control character, which a header cannot carry; remove it"
    }

    /// RFC 9110 token characters.
    package static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
    }

    private static func shown(_ name: String) -> String {
        let short = name.count > 40 ? String(name.prefix(40)) + "…" : name
        return "'"
            + short.unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }.joined() + "'"
    }
}
