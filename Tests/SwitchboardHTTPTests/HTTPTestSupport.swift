import Foundation
import Logging
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Synchronization

/// Builds a manager whose services come from YAML, as the CLI does.
struct Harness {
    let manager: IntegrationManager
    let transport: HTTPTransport
    let store: any TokenStore
    let clock: any ResilienceClock

    init(
        yaml: String,
        clock: any ResilienceClock = SystemClock(),
        store: any TokenStore = InMemoryTokenStore(),
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        environment: [String: String] = [:]
    ) throws {
        let directory = NSTemporaryDirectory() + "switchboard-http-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/switchboard.yaml"
        _ = FileManager.default.createFile(
            atPath: file,
            contents: Data(yaml.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        transport = HTTPTransport(logger: logger)
        self.store = store
        self.clock = clock
        manager = IntegrationManager(clock: clock, logger: logger, random: { 0.5 })
        let adapters = HTTPAdapters(transport: transport, tokenStore: store, clock: clock)
        let configuration = try ConfigurationLoader(
            registry: SchemaRegistry(families: [adapters.family]),
            environment: environment
        )
        .load(path: file)
        try manager.bootstrap(
            configuration: configuration,
            factories: adapters.factories,
            embedded: [],
            environment: AdapterEnvironment(dataDirectory: directory, logger: logger)
        )
    }

    func call(_ input: JSONValue, service: String = "api", key: String? = nil) async throws -> JSONValue {
        try await manager.execute(
            service: service,
            operation: "request",
            input: input,
            options: .init(idempotencyKey: key)
        )
    }

    func shutdown() async {
        try? await manager.shutdown()
        try? await transport.shutdown()
    }
}

/// A counter shared with a server handler.
final class Counter: Sendable {
    private let value = MutexCounter()
    func next() -> Int { value.next() }
    var current: Int { value.current }
}

final class MutexCounter: Sendable {
    private let state = Mutex(0)
    func next() -> Int {
        state.withLock {
            $0 += 1; return $0
        }
    }
    var current: Int { state.withLock { $0 } }
}

/// Echoes what arrived, as JSON.
let echo: @Sendable (TestHTTPServer.Request) async -> TestHTTPServer.Action = { request in
    var headers: [String: JSONValue] = [:]
    for (name, value) in request.headers { headers[name.lowercased()] = .string(value) }
    let body: JSONValue = [
        "method": .string(request.method), "uri": .string(request.uri), "headers": .object(headers),
        "body": .string(String(decoding: request.body, as: UTF8.self)),
    ]
    return .json(200, body.jsonString())
}

func env(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
