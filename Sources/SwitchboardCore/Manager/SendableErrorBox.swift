/// Carries a non-`Sendable` error's text across isolation boundaries.
struct SendableErrorBox: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = String(describing: error) }
}
