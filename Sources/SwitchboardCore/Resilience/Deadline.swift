/// Runs `body`, failing with `timeoutError()` if it has not finished by `deadline` on `clock`.
///
/// The body runs in a child task that is cancelled when the deadline passes; a body that honours cancellation
/// stops there. Cancelling the calling task cancels the body too.
public func withDeadline<T: Sendable>(
    _ deadline: Duration,
    clock: any ResilienceClock,
    timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    if clock.now >= deadline { throw timeoutError() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await clock.sleep(until: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else { throw timeoutError() }
        return value
    }
}
