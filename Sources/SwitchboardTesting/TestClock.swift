import Foundation
import SwitchboardCore
import Synchronization

/// A virtual clock for tests: time moves only when the test calls ``advance(by:)``, so tests never sleep.
public final class TestClock: ResilienceClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let wallOrigin: Date

    /// Creates a clock at time zero; wall time starts at `wallOrigin`.
    public init(wallOrigin: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.wallOrigin = wallOrigin
    }

    public var now: Duration { state.withLock { $0.now } }

    public var wallTime: Date { wallOrigin.addingTimeInterval(now.seconds) }

    /// The number of tasks sleeping on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The deadlines tasks sleep until, sorted.
    public var sleeperDeadlines: [Duration] { state.withLock { $0.sleepers.map(\.deadline).sorted() } }

    /// The earliest deadline a task sleeps until, if any.
    public var nextDeadline: Duration? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    public func sleep(until deadline: Duration) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline is reached, earliest first.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to `instant` (never backwards).
    public func advance(to instant: Duration) {
        let delta = instant - now
        if delta > .zero { advance(by: delta) }
    }

    /// Waits (yielding, never sleeping) until at least `count` tasks sleep on this clock.
    public func waitForSleepers(_ count: Int = 1, maxYields: Int = 100_000) async {
        var yields = 0
        while sleeperCount < count && yields < maxYields {
            await Task.yield()
            yields += 1
        }
    }

    /// Runs the clock forward, sleeper by sleeper, until `condition` holds or no sleeper is left after yielding.
    public func runUntilIdle(maxSteps: Int = 10_000) async {
        for _ in 0..<maxSteps {
            for _ in 0..<200 { await Task.yield() }
            guard let next = nextDeadline else { return }
            advance(to: next)
        }
    }
}
