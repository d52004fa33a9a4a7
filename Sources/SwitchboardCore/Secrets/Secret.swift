/// A secret value (a password, an API key, a token) whose every rendering is redacted.
///
/// `description`, `debugDescription`, string interpolation, `dump`, log metadata and `Codable` encoding all show
/// `<redacted>`. Only ``reveal()`` gives the value, and only adapters should call it, at the moment of use.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, Encodable
{
    private let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    /// The secret itself. Call it only where the value is sent, never to print or log.
    public func reveal() -> String { value }

    /// `true` when the secret is empty.
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("<redacted>")
    }
}
