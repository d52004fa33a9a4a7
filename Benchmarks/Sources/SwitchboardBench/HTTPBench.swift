import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardHTTP
import Synchronization

/// Throughput against a keep-alive HTTP server: raw AsyncHTTPClient against IntegrationManager.execute through the
/// `http` adapter, `concurrency` calls in flight, for `seconds` each.
func runHTTPBenchmark(url: String, seconds: Double, concurrency: Int) async throws {
    guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
        fatalError("usage: SwitchboardBench http http://127.0.0.1:PORT/path [seconds] [concurrency]")
    }
    let base = "http://\(host):\(port)"
    let path = components.path

    func measure(_ label: String, _ one: @escaping @Sendable () async throws -> Void) async throws -> Double {
        // Warm up the pool.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency { group.addTask { for _ in 0..<20 { try await one() } } }
            try await group.waitForAll()
        }
        let tally = Tally()
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int64(seconds * 1000))
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine = 0
                    var failed = 0
                    while clock.now < end {
                        do { try await one() } catch { failed += 1 }
                        mine += 1
                    }
                    let finished = mine
                    let lost = failed
                    tally.done.withLock { $0 += finished }
                    tally.failed.withLock { $0 += lost }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start
        let rate =
            Double(tally.done.withLock { $0 })
            / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print(
            String(
                format: "  %-52@ %9.0f requests/s (%d failed)",
                label as NSString,
                rate,
                tally.failed.withLock { $0 }
            )
        )
        return rate
    }

    print(
        "HTTP GET \(url), \(concurrency) in flight, \(seconds) s per run, 3 rounds (raw, ours with deadline, ours without), medians"
    )

    var configuration = HTTPClient.Configuration(
        redirectConfiguration: .disallow,
        timeout: .init(connect: .seconds(10), read: .seconds(30)),
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
    )
    configuration.httpVersion = .automatic
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let transport = HTTPTransport(maximumConnectionsPerHost: concurrency)
    let settings = try HTTPServiceSettings(service: "bench", baseURL: base)
    func manager(deadline: Duration?) throws -> IntegrationManager {
        var policy = ServicePolicy()
        policy.maxConnections = concurrency
        policy.deadline = deadline
        let manager = IntegrationManager()
        try manager.register(
            HTTPIntegration(settings: settings, transport: transport, authenticator: NoAuthenticator()),
            as: "bench",
            policy: policy
        )
        return manager
    }
    let withDeadline = try manager(deadline: .seconds(30))
    let noDeadline = try manager(deadline: nil)
    let input: JSONValue = ["method": "GET", "path": .string(path)]
    var raws: [Double] = []
    var withs: [Double] = []
    var withouts: [Double] = []
    var transports: [Double] = []
    let authenticator = NoAuthenticator()
    // BENCH_HTTP_ONLY=transport|ours: measure one path alone (for a profiler).
    if let only = ProcessInfo.processInfo.environment["BENCH_HTTP_ONLY"] {
        let rate = try await measure(only) {
            if only == "transport" {
                _ = try await transport.send(
                    TransportRequest(method: "GET", url: url, headers: [("Accept", "application/json")]),
                    settings: settings,
                    authenticator: authenticator
                )
            } else {
                _ = try await noDeadline.execute(service: "bench", operation: "request", input: input)
            }
        }
        print(String(format: "%@: %.0f requests/s", only, rate))
        try await client.shutdown()
        try await transport.shutdown()
        return
    }
    for _ in 0..<3 {
        transports.append(
            try await measure("HTTPTransport.send alone (no manager, no adapter)") {
                let response = try await transport.send(
                    TransportRequest(method: "GET", url: url, headers: [("Accept", "application/json")]),
                    settings: settings,
                    authenticator: authenticator
                )
                guard response.status == 200 else { throw BenchFailure(text: "transport status \(response.status)") }
            }
        )
        raws.append(
            try await measure("raw AsyncHTTPClient") {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "User-Agent", value: "bench")
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 10 << 20)
                guard response.status.code == 200 else {
                    throw BenchFailure(text: "raw status \(response.status.code)")
                }
            }
        )
        withs.append(
            try await measure("IntegrationManager.execute, http adapter, 30 s deadline") {
                let output = try await withDeadline.execute(service: "bench", operation: "request", input: input)
                guard output["status"] == 200 else { throw BenchFailure(text: "status \(output["status"] ?? .null)") }
            }
        )
        withouts.append(
            try await measure("IntegrationManager.execute, http adapter, no deadline") {
                let output = try await noDeadline.execute(service: "bench", operation: "request", input: input)
                guard output["status"] == 200 else { throw BenchFailure(text: "status \(output["status"] ?? .null)") }
            }
        )
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print(String(format: "median raw AsyncHTTPClient: %.0f requests/s", median(raws)))
    print(
        String(
            format: "median HTTPTransport.send:  %.0f requests/s, ratio %.3f",
            median(transports),
            median(transports) / median(raws)
        )
    )
    print(
        String(
            format: "median ours, 30 s deadline: %.0f requests/s, ratio %.3f",
            median(withs),
            median(withs) / median(raws)
        )
    )
    print(
        String(
            format: "median ours, no deadline:   %.0f requests/s, ratio %.3f",
            median(withouts),
            median(withouts) / median(raws)
        )
    )
    try await client.shutdown()
    try await transport.shutdown()
}

struct BenchFailure: Error { let text: String }

final class Tally: Sendable {
    let done = Mutex(0)
    let failed = Mutex(0)
}
