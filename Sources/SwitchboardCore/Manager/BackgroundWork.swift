import Synchronization

/// The adapters' background work (``Integration/run()``) for ``IntegrationManager/withBackgroundWork(_:)``: the
/// adapters that need it, started as child tasks when the work begins and as they register while it runs, and
/// cancelled together when it ends. Nested or concurrent calls run inside the outermost one's work.
final class BackgroundWork: Sendable {
    private struct State {
        var adapters: [any Integration] = []
        var continuation: AsyncStream<any Integration>.Continuation?
        var depth = 0
    }
    private let state = Mutex(State())
    private let active = Atomic<Int>(0)

    /// Whether background work is running: a cheap check on the call path.
    var isActive: Bool { active.load(ordering: .acquiring) > 0 }

    func add(_ adapter: any Integration) {
        guard adapter.needsBackgroundWork else { return }
        state.withLock { state in
            state.adapters.append(adapter)
            state.continuation?.yield(adapter)
        }
    }

    func whileRunning<Result>(_ body: () async throws -> Result) async throws -> Result {
        let (stream, continuation) = AsyncStream.makeStream(of: (any Integration).self)
        let adapters: [any Integration]? = state.withLock { state in
            state.depth += 1
            guard state.depth == 1 else { return nil }
            state.continuation = continuation
            return state.adapters
        }
        active.add(1, ordering: .releasing)
        defer {
            active.subtract(1, ordering: .releasing)
            state.withLock { state in
                state.depth -= 1
                if state.depth == 0 { state.continuation = nil }
            }
            continuation.finish()
        }
        guard let adapters else { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { work in
                    for adapter in adapters { work.addTask { await adapter.run() } }
                    // Ends when this task is cancelled: the work's children are cancelled with it.
                    for await adapter in stream { work.addTask { await adapter.run() } }
                }
            }
            let result = try await body()
            group.cancelAll()
            return result
        }
    }
}
