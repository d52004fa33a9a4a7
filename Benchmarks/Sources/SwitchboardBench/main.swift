import Foundation
import MallocInterposerSwift
import SwitchboardCore

/// An adapter that does nothing: what is measured is the manager's pipeline alone.
struct NoOpIntegration: Integration {
    let kind = "noop"
    let operations = [OperationDescriptor(name: "ping", summary: "Nothing.", idempotency: .idempotent)]
    func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue { .null }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Runs off the main actor: top-level code is main-actor isolated, and every call from it to the
/// (nonisolated) manager would hop threads twice, which is what a caller off the main actor never pays.
func runBenchmarks() async throws {
    let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]
    let batches = Int(ProcessInfo.processInfo.environment["BENCH_BATCHES"] ?? "") ?? 2_000
    let batchSize = 1_000

    // MARK: 1. IntegrationManager.execute, whole pipeline on

    var policy = ServicePolicy()
    policy.rateLimit = RateLimiter.Configuration(limit: 1_000_000_000, window: .seconds(1))
    policy.maxConnections = 10
    policy.deadline = nil
    let manager = IntegrationManager()
    try manager.register(NoOpIntegration(), as: "noop", policy: policy)
    let input: JSONValue = .null

    // Warm up.
    for _ in 0..<50_000 { _ = try await manager.execute(service: "noop", operation: "ping", input: input) }

    var perCall: [Double] = []
    perCall.reserveCapacity(batches)
    let clock = ContinuousClock()
    for _ in 0..<batches {
        let start = clock.now
        for _ in 0..<batchSize { _ = try await manager.execute(service: "noop", operation: "ping", input: input) }
        let elapsed = clock.now - start
        perCall.append(
            Double(elapsed.components.attoseconds) / 1e9 / Double(batchSize) + Double(elapsed.components.seconds) * 1e9
                / Double(batchSize)
        )
    }

    let allocationCalls = 100_000
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    for _ in 0..<allocationCalls { _ = try await manager.execute(service: "noop", operation: "ping", input: input) }
    MallocInterposerSwift.unhook()
    let stats = MallocInterposerSwift.getStatistics()
    // Control: the interposer must see an allocation the optimizer cannot remove.
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    var sink = 0
    for i in 0..<1_000 {
        let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 64 + i % 7)
        buffer[0] = i
        sink &+= buffer[0]
        buffer.deallocate()
    }
    MallocInterposerSwift.unhook()
    let control = MallocInterposerSwift.getStatistics().mallocCount
    precondition(sink > 0)
    let allocationsPerCall = Double(stats.mallocCount) / Double(allocationCalls)

    print("IntegrationManager.execute (limiter + breaker + bulkhead + retry policy, no deadline, no-op adapter)")
    print(
        String(
            format: "  median %.0f ns/call, p90 %.0f ns, p99 %.0f ns over %d batches of %d",
            median(perCall),
            percentile(perCall, 0.9),
            percentile(perCall, 0.99),
            batches,
            batchSize
        )
    )
    print(
        String(
            format: "  %.3f allocations/call (%d mallocs, %d bytes over %d calls)%@",
            allocationsPerCall,
            stats.mallocCount,
            stats.mallocBytesCount,
            allocationCalls,
            control < 1_000
                ? "  [interposer inactive (control saw \(control) of 1000): run scripts/bench]"
                : "  [control: \(control) of 1000 seen]"
        )
    )

    if only == "pipeline" { return }

    // MARK: 2. Same, with the default 30 s deadline

    var deadlinePolicy = policy
    deadlinePolicy.deadline = .seconds(30)
    try manager.register(NoOpIntegration(), as: "noop-deadline", policy: deadlinePolicy)
    for _ in 0..<10_000 { _ = try await manager.execute(service: "noop-deadline", operation: "ping", input: input) }
    var withDeadline: [Double] = []
    for _ in 0..<(batches / 10) {
        let start = clock.now
        for _ in 0..<batchSize {
            _ = try await manager.execute(service: "noop-deadline", operation: "ping", input: input)
        }
        let elapsed = clock.now - start
        withDeadline.append(
            (Double(elapsed.components.seconds) * 1e18 + Double(elapsed.components.attoseconds)) / 1e9
                / Double(batchSize)
        )
    }
    print("IntegrationManager.execute with a 30 s deadline (one child task per call, one shared sleeper)")
    print(String(format: "  median %.0f ns/call", median(withDeadline)))

    // MARK: 3. Rate limiter permits per second, one core

    let limiter = RateLimiter(configuration: .init(limit: 1_000_000_000, window: .seconds(1)), clock: SystemClock())
    var rates: [Double] = []
    for _ in 0..<5 {
        let permits = 5_000_000
        let start = clock.now
        for _ in 0..<permits {
            if case .rejected = limiter.reserve(maximumWait: .zero) { fatalError("rejected under the limit") }
        }
        let elapsed = clock.now - start
        rates.append(
            Double(permits) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        )
    }
    print("RateLimiter.reserve, one thread")
    print(
        String(
            format: "  median %.2f million permits/s (runs: %@)",
            median(rates) / 1e6,
            rates.map { String(format: "%.2f", $0 / 1e6) }.joined(separator: ", ")
        )
    )

}

let commandLine = CommandLine.arguments
if commandLine.count > 1 && commandLine[1] == "db" {
    try await Task.detached { try await runDatabaseBenchmark() }.value
} else if commandLine.count > 1 && commandLine[1] == "parse" {
    runParseBenchmark(Array(commandLine.dropFirst(2)))
} else if commandLine.count > 1 && commandLine[1] == "ical" {
    try runCalendarBenchmark(Array(commandLine.dropFirst(2)))
} else if commandLine.count > 1 && commandLine[1] == "mail" {
    try await Task.detached { try await runMailBenchmark(Array(commandLine.dropFirst(2))) }.value
} else if commandLine.count > 1 && commandLine[1] == "s3" {
    try await Task.detached { try await runStorageBenchmark(Array(commandLine.dropFirst(2))) }.value
} else if commandLine.count > 2 && commandLine[1] == "http" {
    let seconds = commandLine.count > 3 ? Double(commandLine[3]) ?? 10 : 10
    let concurrency = commandLine.count > 4 ? Int(commandLine[4]) ?? 32 : 32
    try await Task.detached {
        try await runHTTPBenchmark(url: commandLine[2], seconds: seconds, concurrency: concurrency)
    }.value
} else {
    try await Task.detached { try await runBenchmarks() }.value
}
