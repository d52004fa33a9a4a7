import Synchronization

/// Caps the calls in flight for one service; callers beyond the cap wait in FIFO order.
///
/// Waiting ends when a slot frees up, or when the waiting task is cancelled (the manager's deadline cancels it).
public final class Bulkhead: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var inFlight = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    /// The most calls allowed in flight at once.
    public let maximum: Int
    private let state = Mutex(State())

    /// Creates a bulkhead allowing `maximum` calls in flight.
    public init(maximum: Int) {
        precondition(maximum > 0, "maximum must be positive")
        self.maximum = maximum
    }

    /// Calls in flight now.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Callers waiting now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes a slot, waiting for one if all are taken.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire() async throws {
        if tryAcquire() { return }
        try await acquireSlow()
    }

    /// Takes a slot if one is free now, without waiting.
    public func tryAcquire() -> Bool {
        state.withLock { state -> Bool in
            if state.inFlight < maximum && state.waiters.isEmpty {
                state.inFlight += 1
                return true
            }
            return false
        }
    }

    private func acquireSlow() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.inFlight < maximum && state.waiters.isEmpty {
                        state.inFlight += 1
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a slot; hands it straight to the first waiter, if any.
    public func release() {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.inFlight -= 1
                return nil
            }
            return state.waiters.removeFirst()  // the slot passes to the waiter; inFlight is unchanged
        }
        waiter?.continuation.resume()
    }
}
