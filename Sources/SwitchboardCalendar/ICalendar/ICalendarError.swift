import SwitchboardCore

/// A malformed iCalendar document or value, with the line it is on (1-based, in the unfolded source's
/// numbering: the line the property starts on).
public struct ICalendarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line of the source, when the problem has one.
    public var line: Int?
    /// What is wrong, naming the property or rule part.
    public var message: String

    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }

    /// As the call path's error: invalid input, never retried.
    package func integrationError(in what: String) -> IntegrationError {
        IntegrationError(code: .invalidInput, message: "\(what): \(description)", transience: .never)
    }
}
