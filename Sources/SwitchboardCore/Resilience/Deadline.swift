import Synchronization

/// Runs `body`, failing with `timeoutError()` if it has not finished by `deadline` on `clock`.
///
/// A one-off ``DeadlineWatch``: for many calls on one clock, keep a watch and use
/// ``withDeadline(_:watch:timeoutError:_:)``, which shares one sleeper between them.
public func withDeadline<T: Sendable>(
    _ deadline: Duration,
    clock: any ResilienceClock,
    timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let watch = DeadlineWatch(clock: clock)
    defer { withExtendedLifetime(watch) {} }
    return try await withDeadline(deadline, watch: watch, timeoutError: timeoutError, body)
}

/// Runs `body`, failing with `timeoutError()` if it has not finished by `deadline` on the watch's clock.
///
/// The deadline is kept by a shared ``DeadlineWatch`` rather than a timer per call: the body runs in one task,
/// and when the deadline passes the watch's single sleeper
/// cancels it and the caller gets `timeoutError()` at once, even if the body is slow to stop. Cancelling the
/// calling task cancels the body too.
package func withDeadline<T: Sendable>(
    _ deadline: Duration,
    watch: DeadlineWatch,
    timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    if watch.clock.now >= deadline { throw timeoutError() }
    let race = DeadlineWatch.Race<T>()
    let task = Task {
        do {
            race.finish(.success(try await body()))
        } catch {
            race.finish(.failure(error))
        }
    }
    let ticket = watch.add(deadline) {
        // The caller gets its answer at the deadline even if the body is slow to notice the cancellation.
        if race.finish(.failure(timeoutError())) { task.cancel() }
    }
    defer { watch.remove(ticket) }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in race.install(continuation) }
    } onCancel: {
        task.cancel()
    }
}

/// Keeps many deadlines with one sleeper: each call registers what to do when its deadline passes and removes
/// it when done; a single task sleeps on the clock until the earliest pending deadline.
///
/// One watch serves every call of an ``IntegrationManager``; the per-call cost is a lock and a heap push, where a
/// timer per call costs two child tasks and a timer.
package final class DeadlineWatch: Sendable {
    /// Identifies one registration, for ``remove(_:)``.
    package struct Ticket: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    /// The first of the body's result and the deadline's timeout, handed to the waiting caller once.
    final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var outcome: Result<T, any Error>?
            var delivered = false
        }
        private let state = Mutex(State())

        /// Records an outcome; `false` when another one came first.
        @discardableResult
        func finish(_ outcome: Result<T, any Error>) -> Bool {
            let (won, continuation) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
                guard state.outcome == nil else { return (false, nil) }
                state.outcome = outcome
                guard let continuation = state.continuation, !state.delivered else { return (true, nil) }
                state.delivered = true
                state.continuation = nil
                return (true, continuation)
            }
            continuation?.resume(with: outcome)
            return won
        }

        func install(_ continuation: CheckedContinuation<T, any Error>) {
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let outcome = state.outcome, !state.delivered {
                    state.delivered = true
                    return outcome
                }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private struct Pending: Comparable {
        let deadline: Duration
        let id: UInt64
        static func < (a: Pending, b: Pending) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
    }

    private struct State {
        var nextID: UInt64 = 0
        var actions: [UInt64: @Sendable () -> Void] = [:]
        /// A min-heap of deadlines; entries whose id left `actions` are stale and skipped.
        var heap: [Pending] = []
        /// The deadline the sleeper is waiting for, if one is running.
        var armed: Duration?
        var sleeper: Task<Void, Never>?
        var generation: UInt64 = 0

        mutating func push(_ item: Pending) {
            heap.append(item)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if heap[child] < heap[parent] {
                    heap.swapAt(child, parent)
                    child = parent
                } else {
                    break
                }
            }
        }

        mutating func popMin() -> Pending? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let min = heap.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left] < heap[smallest] { smallest = left }
                if right < heap.count, heap[right] < heap[smallest] { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
            return min
        }

        /// The earliest deadline still registered, dropping stale heap entries on the way.
        mutating func earliest() -> Duration? {
            while let top = heap.first {
                if actions[top.id] != nil { return top.deadline }
                _ = popMin()
            }
            return nil
        }

        /// Rebuilds the heap when stale entries outnumber live ones, so memory follows the calls in flight.
        mutating func compactIfNeeded() {
            guard heap.count > 64, heap.count > 2 * actions.count else { return }
            heap = heap.filter { actions[$0.id] != nil }.sorted()
        }
    }

    let clock: any ResilienceClock
    private let state = Mutex(State())

    /// Creates a watch on `clock`.
    package init(clock: any ResilienceClock) {
        self.clock = clock
    }

    deinit {
        state.withLock { $0.sleeper?.cancel() }
    }

    /// Registers `action` to run once when `deadline` passes, unless removed first.
    package func add(_ deadline: Duration, action: @escaping @Sendable () -> Void) -> Ticket {
        let (ticket, start) = state.withLock { state -> (Ticket, UInt64?) in
            let id = state.nextID
            state.nextID &+= 1
            state.actions[id] = action
            state.push(Pending(deadline: deadline, id: id))
            if let armed = state.armed, armed <= deadline { return (Ticket(id: id), nil) }
            // No sleeper, or it wakes too late: replace it.
            state.sleeper?.cancel()
            state.armed = deadline
            state.generation &+= 1
            return (Ticket(id: id), state.generation)
        }
        if let start { startSleeper(until: deadline, generation: start) }
        return ticket
    }

    /// Removes a registration; after it returns, its action will not run.
    package func remove(_ ticket: Ticket) {
        state.withLock { state in
            state.actions[ticket.id] = nil
            if state.actions.isEmpty {
                // Nothing left to watch: stop sleeping, so an idle process holds no timer.
                state.sleeper?.cancel()
                state.sleeper = nil
                state.armed = nil
                state.heap.removeAll(keepingCapacity: true)
                state.generation &+= 1
            } else {
                state.compactIfNeeded()
            }
        }
    }

    private func startSleeper(until deadline: Duration, generation: UInt64) {
        let task = Task { [weak self, clock] in
            var target = deadline
            while true {
                do {
                    try await clock.sleep(until: target)
                } catch {
                    return  // replaced by a sleeper for an earlier deadline
                }
                guard let self else { return }
                guard let next = self.fireExpired(generation: generation) else { return }
                target = next
            }
        }
        state.withLock { state in
            if state.generation == generation { state.sleeper = task }
        }
    }

    /// Runs the actions whose deadline has passed; returns the next deadline to sleep until, or `nil` when this
    /// sleeper should stop (nothing pending, or it was replaced).
    private func fireExpired(generation: UInt64) -> Duration? {
        let now = clock.now
        var due: [@Sendable () -> Void] = []
        let next = state.withLock { state -> Duration? in
            guard state.generation == generation else { return nil }
            while let top = state.heap.first, top.deadline <= now {
                _ = state.popMin()
                if let action = state.actions.removeValue(forKey: top.id) { due.append(action) }
            }
            let next = state.earliest()
            state.armed = next
            if next == nil { state.sleeper = nil }
            return next
        }
        for action in due { action() }
        return next
    }
}
