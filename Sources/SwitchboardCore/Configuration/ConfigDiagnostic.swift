/// One finding of configuration loading: an error or a warning, with where and what.
public struct ConfigDiagnostic: Sendable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable {
        /// The configuration cannot be used.
        case error
        /// The configuration loads, but something looks wrong.
        case warning
    }

    /// How bad it is.
    public var severity: Severity
    /// Where.
    public var location: SourceLocation
    /// The key path (`integrations.email.retry_attempts`), when the finding is about a key.
    public var keyPath: String?
    /// What is wrong, for a person: what was expected and what was found.
    public var message: String

    /// Creates a diagnostic.
    public init(_ severity: Severity, at location: SourceLocation, keyPath: String? = nil, _ message: String) {
        self.severity = severity
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:col: key.path: message`.
    public var description: String {
        var text = location.description + ": "
        if let keyPath, !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}

/// A configuration that cannot be used, with every error found.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The errors, in file order.
    public var diagnostics: [ConfigDiagnostic]

    /// Creates an error from diagnostics (at least one).
    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    /// Creates an error from one finding.
    public init(at location: SourceLocation, keyPath: String? = nil, _ message: String) {
        diagnostics = [ConfigDiagnostic(.error, at: location, keyPath: keyPath, message)]
    }

    /// The first error on one line, with a count of the rest.
    public var description: String {
        guard let first = diagnostics.first else { return "invalid configuration" }
        let more = diagnostics.count - 1
        return first.description + (more > 0 ? " (and \(more) more error\(more == 1 ? "" : "s"))" : "")
    }
}
