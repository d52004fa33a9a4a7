import Synchronization

/// An adapter's background loop (a connection pool's `run()`), run by ``Integration/run()``: it ends when its
/// task is cancelled or when ``stop()`` is called, and ``stop()`` returns once it has ended, so an adapter's
/// `shutdown()` can close its connections whether or not the loop ever ran. It runs at most once.
package final class BackgroundLoop: Sendable {
    private enum Phase {
        case idle, running, finished
    }
    private struct State {
        var phase = Phase.idle
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation

    package init() {
        (stopSignal, stopContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Whether the loop has ended (or was stopped before it began): it will not run again.
    package var hasEnded: Bool { state.withLock { $0.phase == .finished } }

    /// Runs `loop` until this task is cancelled or ``stop()`` is called; at once returns when it ran before or
    /// was stopped.
    package func run(_ loop: @escaping @Sendable () async -> Void) async {
        let start = state.withLock { state in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard start else { return }
        let stopSignal = self.stopSignal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await loop() }
            group.addTask { for await _ in stopSignal {} }
            await group.next()
            group.cancelAll()
        }
        let waiters = state.withLock { state in
            state.phase = .finished
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Ends the loop and waits until it has ended; a loop that never started never will.
    package func stop() async {
        stopContinuation.finish()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                switch state.phase {
                case .running:
                    state.waiters.append(waiter)
                    return false
                case .idle, .finished:
                    state.phase = .finished
                    return true
                }
            }
            if now { waiter.resume() }
        }
    }
}
