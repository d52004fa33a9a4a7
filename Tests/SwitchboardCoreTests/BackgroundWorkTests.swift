import Foundation
import Logging
import ServiceLifecycle
import Switchboard
import SwitchboardCore
import SwitchboardTesting
import Synchronization
import Testing

/// An adapter whose calls need its background loop, as a connection pool's do.
final class LoopingIntegration: Integration {
    let kind = "looping"
    let operations = [
        OperationDescriptor(name: "ping", summary: "Answers while the loop runs.", idempotency: .idempotent)
    ]
    let loop = BackgroundLoop()
    let runs = Atomic<Int>(0)
    let running = Atomic<Bool>(false)

    var needsBackgroundWork: Bool { true }
    var isRunning: Bool { running.load(ordering: .relaxed) }

    func run() async {
        await loop.run { [self] in
            runs.add(1, ordering: .relaxed)
            running.store(true, ordering: .relaxed)
            // A pool's loop: runs until cancelled.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(60)) }
            running.store(false, ordering: .relaxed)
        }
    }

    func shutdown() async throws { await loop.stop() }

    func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        ["running": .bool(running.load(ordering: .relaxed))]
    }
}

@Suite struct BackgroundWorkTests {
    @Test func callsNeedTheBackgroundWorkAndItEndsWithTheScope() async throws {
        let manager = IntegrationManager()
        let adapter = LoopingIntegration()
        try manager.register(adapter, as: "pool")
        let outside = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "pool", operation: "ping", input: [:])
        }
        #expect(outside?.code == .internalError)
        try await manager.withBackgroundWork {
            // The loop starts as a child task; calls are accepted at once and the loop is soon running.
            _ = try await manager.execute(service: "pool", operation: "ping", input: [:])
            while !adapter.isRunning { await Task.yield() }
            // An adapter registered while the work runs gets its loop too.
            let late = LoopingIntegration()
            try manager.register(late, as: "late")
            while !late.isRunning { await Task.yield() }
            // Removing a service stops its loop (its shutdown waits for the loop to end).
            try await manager.remove("late")
            #expect(!late.isRunning)
        }
        // The scope's end cancelled and awaited the loop.
        #expect(!adapter.isRunning)
        let runs = adapter.runs.load(ordering: .relaxed)
        #expect(runs == 1)
        try await manager.shutdown()
    }

    @Test func aLoopStoppedBeforeItStartsNeverRuns() async {
        let loop = BackgroundLoop()
        await loop.stop()
        let ran = Atomic<Bool>(false)
        await loop.run { ran.store(true, ordering: .relaxed) }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    /// `switchboard serve` runs the runtime as one service of its group: calls work while it runs, and a
    /// graceful shutdown of the group ends the background work and shuts every adapter down.
    @Test func theRuntimeIsAServiceOfAServiceGroup() async throws {
        let directory = TemporaryDirectory(prefix: "runtime")
        let runtime = try SwitchboardRuntime(
            configuration: try SwitchboardRuntime.loader(environment: [:]).load(path: nil),
            dataDirectory: directory.path,
            environment: [:]
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: runtime)], logger: Logger(label: "test"))
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let output = try await runtime.manager.execute(
                service: "database",
                operation: "execute_query",
                input: ["query": "SELECT 1 AS one"]
            )
            #expect(output["row_count"] == 1)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(runtime.manager.serviceNames.isEmpty, "the runtime shut its services down")
    }
}
