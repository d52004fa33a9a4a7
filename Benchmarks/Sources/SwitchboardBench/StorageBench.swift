import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardStorage
import Synchronization

/// S3 against the local SeaweedFS (`scripts/services up seaweedfs`: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
/// S3_BUCKET).
///
///   SwitchboardBench s3 small [count]      count objects of 4 KiB, put then get, 16 in flight, through the
///                                           manager; then raw AsyncHTTPClient doing the same signed requests
///   SwitchboardBench s3 large [MiB]        one file of MiB (default 512) uploaded, then downloaded; peak RSS
func runStorageBenchmark(_ arguments: [String]) async throws {
    let environment = ProcessInfo.processInfo.environment
    guard let endpoint = environment["S3_ENDPOINT"] else {
        fatalError("S3_ENDPOINT is not set: run `eval \"$(scripts/services up seaweedfs)\"` first")
    }
    let mode = arguments.first ?? "small"
    let directory = NSTemporaryDirectory() + "switchboard-s3bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let credentials = SigV4Signer.Credentials(
        accessKey: environment["S3_ACCESS_KEY"]!,
        secretKey: environment["S3_SECRET_KEY"]!
    )
    let bucket = environment["S3_BUCKET"] ?? "switchboard-test"
    var settings = S3Storage.Settings(bucket: bucket, credentials: credentials)
    settings.endpoint = endpoint
    let manager = IntegrationManager()
    var policy = ServicePolicy()
    policy.maxConnections = 32
    try manager.register(
        StorageIntegration(kind: "s3", storage: try S3Storage(settings: settings)),
        as: "files",
        policy: policy
    )


    if mode == "small" {
        let count = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
        let inFlight = 16
        var payload = [UInt8](repeating: 0, count: 4096)
        for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: i * 7) }
        let source = directory + "/small.bin"
        try Data(payload).write(to: URL(fileURLWithPath: source))
        try FileManager.default.createDirectory(atPath: directory + "/back", withIntermediateDirectories: true)
        let run = UUID().uuidString.prefix(8)
        func spread(_ one: @escaping @Sendable (Int) async throws -> Void) async throws {
            try await spreadCalls(count: count, inFlight: inFlight, one)
        }
        let put = try await seconds {
            try await spread { i in
                _ = try await manager.execute(
                    service: "files",
                    operation: "upload_file",
                    input: ["file_path": .string(source), "destination": .string("bench-\(run)/\(i).bin")]
                )
            }
        }
        let get = try await seconds {
            try await spread { i in
                _ = try await manager.execute(
                    service: "files",
                    operation: "download_file",
                    input: [
                        "file_id": .string("bench-\(run)/\(i).bin"),
                        "destination": .string(directory + "/back/\(i).bin"),
                    ]
                )
            }
        }
        print(
            String(
                format:
                    "switchboard: %d objects of 4 KiB, %d in flight: put %.0f/s, get %.0f/s, put+get %.0f objects/s",
                count,
                inFlight,
                Double(count) / put,
                Double(count) / get,
                Double(count) / (put + get)
            )
        )

        // Raw AsyncHTTPClient, the same signed requests with the body in memory: the server's ceiling here.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
            )
        )
        let url = URL(string: endpoint)!
        let host = "\(url.host!):\(url.port!)"
        let signer = SigV4Signer(
            credentials: credentials,
            region: "us-east-1",
            service: "s3",
            normalizePath: false,
            signsPayloadHeader: true
        )
        let bodyHash = SigV4Signer.payloadHash(payload)
        let body = payload
        @Sendable func request(_ method: String, _ key: String, body: [UInt8]?) -> HTTPClientRequest {
            let signed = signer.sign(
                .init(
                    method: method,
                    path: "/\(bucket)/\(key)",
                    headers: [("Host", host)],
                    payloadHash: body == nil ? SigV4Signer.emptyPayloadHash : bodyHash
                ),
                date: Date()
            )
            var request = HTTPClientRequest(url: "\(endpoint)\(signed.encodedPath)")
            request.method = method == "PUT" ? .PUT : .GET
            request.headers.add(name: "Host", value: host)
            for (name, value) in signed.added { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            return request
        }
        let rawPut = try await seconds {
            try await spread { i in
                let response = try await client.execute(
                    request("PUT", "raw-\(run)/\(i).bin", body: body),
                    timeout: .seconds(30)
                )
                precondition(response.status == .ok, "PUT \(response.status)")
                _ = try await response.body.collect(upTo: 1 << 20)
            }
        }
        let rawGet = try await seconds {
            try await spread { i in
                let response = try await client.execute(
                    request("GET", "raw-\(run)/\(i).bin", body: nil),
                    timeout: .seconds(30)
                )
                precondition(response.status == .ok, "GET \(response.status)")
                _ = try await response.body.collect(upTo: 1 << 20)
            }
        }
        try await client.shutdown()
        print(
            String(
                format:
                    "raw AsyncHTTPClient (signed, bodies in memory): put %.0f/s, get %.0f/s, put+get %.0f objects/s",
                Double(count) / rawPut,
                Double(count) / rawGet,
                Double(count) / (rawPut + rawGet)
            )
        )
        print(String(format: "ratio switchboard / raw: %.2f", (rawPut + rawGet) / (put + get)))
    } else {
        let mebibytes = arguments.count > 1 ? Int(arguments[1]) ?? 512 : 512
        let source = directory + "/large.bin"
        // Write the file in 8 MiB chunks so this process never holds it.
        let handle = FileHandle(
            forWritingAtPath: {
                FileManager.default.createFile(atPath: source, contents: nil); return source
            }()
        )!
        var chunk = [UInt8](repeating: 0, count: 8 << 20)
        for i in chunk.indices { chunk[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 11) }
        for n in 0..<(mebibytes / 8) {
            chunk[0] = UInt8(truncatingIfNeeded: n)
            handle.write(Data(chunk))
        }
        try handle.close()
        chunk = []
        let bytes = Double(mebibytes) * 1_048_576
        let key = "bench-large-\(UUID().uuidString.prefix(8)).bin"
        let before = peakRSS()
        let up = try await seconds {
            _ = try await manager.execute(
                service: "files",
                operation: "upload_file",
                input: ["file_path": .string(source), "destination": .string(key)]
            )
        }
        let down = try await seconds {
            _ = try await manager.execute(
                service: "files",
                operation: "download_file",
                input: ["file_id": .string(key), "destination": .string(directory + "/large.back")]
            )
        }
        let peak = peakRSS()
        let same = FileManager.default.contentsEqual(atPath: source, andPath: directory + "/large.back")
        print(
            String(
                format:
                    "switchboard: %d MiB up %.0f MB/s (%.1f s), down %.0f MB/s (%.1f s); peak RSS %.0f MiB (%.0f MiB before the transfers); content identical: %@",
                mebibytes,
                bytes / up / 1e6,
                up,
                bytes / down / 1e6,
                down,
                Double(peak) / 1024,
                Double(before) / 1024,
                same ? "yes" : "NO"
            )
        )
        _ = try await manager.execute(service: "files", operation: "delete_file", input: ["file_id": .string(key)])
    }
    try await manager.shutdown()
}

/// Peak resident set size of this process, in KiB (getrusage's ru_maxrss on Linux).
func peakRSS() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}
