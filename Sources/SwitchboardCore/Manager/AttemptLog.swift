import Synchronization

/// The attempts and last error of a call, read when its deadline passes.
final class AttemptLog: Sendable {
    private let state = Mutex<(Int, (any Error & Sendable)?)>((0, nil))

    func record(attempt: Int, error: any Error) {
        let sendable: any Error & Sendable =
            (error as? IntegrationError).map { $0 as any Error & Sendable } ?? SendableErrorBox(error)
        state.withLock { $0 = (attempt, sendable) }
    }

    var snapshot: (Int, (any Error & Sendable)?) { state.withLock { $0 } }
}
