import Crypto
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardHTTP
import SwitchboardTesting
import Synchronization
import Testing

@testable import SwitchboardStorage

/// One suite, run against the local directory and the real S3-compatible server (`scripts/services up
/// seaweedfs`; the test command exports S3_ENDPOINT, ... and these tests fail without them).
enum StorageBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case local
    case s3

    var testDescription: String { rawValue }

    /// A scratch directory, kept until the process ends (the harness removes its own).
    static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "switchboard-files-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func s3Environment() throws -> [String: String] {
        let environment = ProcessInfo.processInfo.environment
        guard environment["S3_ENDPOINT"] != nil else {
            throw IntegrationError(
                code: .invalidConfiguration,
                message: "S3_ENDPOINT is not set: run the tests with scripts/test (it starts SeaweedFS)"
            )
        }
        return environment
    }

    /// Runs `body` with the service `files` on this backend, configured as a user writes it.
    func withManager<Result>(
        prefix: String,
        extra: String = "",
        _ body: (IntegrationManager, String) async throws -> Result
    ) async throws -> Result {
        let environment = self == .s3 ? try Self.s3Environment() : ProcessInfo.processInfo.environment
        return try await ServiceHarness.withServices(
            [StorageAdapters.family()],
            yaml: { directory in
                switch self {
                case .local:
                    "files:\n  type: local\n  root: \(directory)/root\n"
                case .s3:
                    """
                    files:
                      type: s3
                      bucket: ${S3_BUCKET}
                      region: ${S3_REGION}
                      access_key: ${S3_ACCESS_KEY}
                      secret_key: ${S3_SECRET_KEY}
                      endpoint: ${S3_ENDPOINT}
                    \(extra)
                    """
                }
            },
            environment: environment,
            prefix: "files-\(prefix)",
            body
        )
    }
}

@Suite struct StorageConformanceTests {
    func call(_ manager: IntegrationManager, _ operation: String, _ input: JSONValue) async throws -> JSONValue {
        try await manager.execute(service: "files", operation: operation, input: input)
    }

    static func md5(_ data: Data) -> String { SigV4Signer.hex(Array(Insecure.MD5.hash(data: data))) }

    @Test(arguments: StorageBackend.allCases)
    func everyOperationRoundTripsOddKeysExactly(_ backend: StorageBackend) async throws {
        try await backend.withManager(prefix: "rt") { manager, directory in
            let folder = "conformance-\(UUID().uuidString.prefix(8))"
            let content = Data("Quarterly numbers: 42\n".utf8)
            try content.write(to: URL(fileURLWithPath: directory + "/report.txt"))
            try Data().write(to: URL(fileURLWithPath: directory + "/empty.txt"))
            let odd = "\(folder)/sub dir/Q3 plan + ünïcødé ሴ (final).txt"

            let stored = try await call(
                manager,
                "upload_file",
                ["file_path": .string(directory + "/report.txt"), "destination": .string(odd)]
            )
            #expect(stored["file_id"]?.stringValue == odd)
            #expect(stored["size"]?.intValue == content.count)
            #expect(stored["etag"]?.stringValue == Self.md5(content))
            let empty = try await call(
                manager,
                "upload_file",
                ["file_path": .string(directory + "/empty.txt"), "destination": .string("\(folder)/empty.txt")]
            )
            #expect(empty["size"]?.intValue == 0)

            // The folder lists the file directly in it and the sub-folder; `folder` without a slash is a folder.
            let top = try await call(manager, "list_files", ["folder": .string(folder)])
            #expect(top["files"]?.arrayValue?.compactMap { $0["file_id"]?.stringValue } == ["\(folder)/empty.txt"])
            #expect(top["folders"]?.arrayValue?.compactMap(\.stringValue) == ["\(folder)/sub dir/"])
            let sub = try await call(manager, "list_files", ["folder": .string("\(folder)/sub dir/")])
            #expect(sub["files"]?.arrayValue?.first?["file_id"]?.stringValue == odd)
            #expect(sub["files"]?.arrayValue?.first?["size"]?.intValue == content.count)
            let root = try await call(manager, "list_files", [:])
            #expect(root["folders"]?.arrayValue?.contains(.string(folder + "/")) == true)

            let head = try await call(manager, "head", ["file_id": .string(odd)])
            #expect(head["size"]?.intValue == content.count)
            #expect(head["etag"]?.stringValue == Self.md5(content))
            #expect(head["content_type"]?.stringValue?.hasPrefix("text/plain") == true)

            let downloaded = try await call(
                manager,
                "download_file",
                ["file_id": .string(odd), "destination": .string(directory + "/back.txt")]
            )
            #expect(downloaded["size"]?.intValue == content.count)
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/back.txt")) == content)
            _ = try await call(
                manager,
                "download_file",
                ["file_id": .string("\(folder)/empty.txt"), "destination": .string(directory + "/empty-back.txt")]
            )
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/empty-back.txt")).isEmpty)
            // Nothing temporary is left beside a download.
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".part") }.isEmpty
            )

            let copied = try await call(
                manager,
                "copy",
                ["file_id": .string(odd), "destination": .string("\(folder)/copy.txt")]
            )
            #expect(copied["size"]?.intValue == content.count)
            _ = try await call(manager, "delete_file", ["file_id": .string("\(folder)/copy.txt")])
            let gone = await #expect(throws: IntegrationError.self) {
                try await self.call(manager, "head", ["file_id": .string("\(folder)/copy.txt")])
            }
            #expect(gone?.code == .notFound)
            let missing = await #expect(throws: IntegrationError.self) {
                try await self.call(
                    manager,
                    "download_file",
                    ["file_id": .string("\(folder)/nope.txt"), "destination": .string(directory + "/nope.txt")]
                )
            }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("nope.txt") == true)
            #expect(!FileManager.default.fileExists(atPath: directory + "/nope.txt"))
            // Deleting what is not there is not an error, as in S3.
            _ = try await call(manager, "delete_file", ["file_id": .string("\(folder)/copy.txt")])
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func badLocalPathsNameThePath(_ backend: StorageBackend) async throws {
        try await backend.withManager(prefix: "bad") { manager, directory in
            let missing = await #expect(throws: IntegrationError.self) {
                try await self.call(
                    manager,
                    "upload_file",
                    ["file_path": .string(directory + "/no-such.txt"), "destination": "x.txt"]
                )
            }
            #expect(missing?.message.contains(directory + "/no-such.txt") == true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/x.txt"))
            _ = try await call(
                manager,
                "upload_file",
                ["file_path": .string(directory + "/x.txt"), "destination": "bad-paths/x.txt"]
            )
            let noDirectory = await #expect(throws: IntegrationError.self) {
                try await self.call(
                    manager,
                    "download_file",
                    ["file_id": "bad-paths/x.txt", "destination": .string(directory + "/no/such/dir/x.txt")]
                )
            }
            #expect(noDirectory?.message.contains(directory + "/no/such/dir") == true)
            #expect(noDirectory?.code == .invalidInput)
            // A directory as destination receives the object under its own name.
            let intoDirectory = try await call(
                manager,
                "download_file",
                ["file_id": "bad-paths/x.txt", "destination": .string(directory + "/")]
            )
            #expect(intoDirectory["path"]?.stringValue?.hasSuffix("/x.txt") == true)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func presignedURLsWorkWithoutCredentials(_ backend: StorageBackend) async throws {
        try await backend.withManager(prefix: "presign") { manager, directory in
            try Data("shared".utf8).write(to: URL(fileURLWithPath: directory + "/s.txt"))
            let key = "presign/\(UUID().uuidString.prefix(8)) s+t.txt"
            _ = try await call(
                manager,
                "upload_file",
                ["file_path": .string(directory + "/s.txt"), "destination": .string(key)]
            )
            let get = try await call(manager, "presign", ["file_id": .string(key)])
            let url = try #require(get["url"]?.stringValue)
            #expect(get["expires_at"]?.stringValue != nil)
            #expect(try Self.curl([url]) == "shared")
            let put = try await call(
                manager,
                "presign",
                ["file_id": .string(key + ".put"), "method": "PUT", "expires_in": 60]
            )
            try Data("uploaded by curl".utf8).write(to: URL(fileURLWithPath: directory + "/u.txt"))
            _ = try Self.curl(["-T", directory + "/u.txt", try #require(put["url"]?.stringValue)])
            _ = try await call(
                manager,
                "download_file",
                ["file_id": .string(key + ".put"), "destination": .string(directory + "/u2.txt")]
            )
            #expect(try String(contentsOfFile: directory + "/u2.txt", encoding: .utf8) == "uploaded by curl")
        }
    }

    static func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--fail"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw IntegrationError(code: .serviceError, message: "curl exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite struct S3Tests {
    func storage(threshold: Int64 = 5 << 20, part: Int64 = 5 << 20, secret: String? = nil, bucket: String? = nil) throws
        -> S3Storage
    {
        let environment = try StorageBackend.s3Environment()
        var settings = S3Storage.Settings(
            bucket: bucket ?? environment["S3_BUCKET"]!,
            credentials: .init(
                accessKey: environment["S3_ACCESS_KEY"]!,
                secretKey: secret ?? environment["S3_SECRET_KEY"]!
            )
        )
        settings.endpoint = environment["S3_ENDPOINT"]
        settings.multipartThreshold = threshold
        settings.partSize = part
        return try S3Storage(settings: settings)
    }

    @Test func largeFilesGoUpInVerifiedPartsAndComeBackWhole() async throws {
        let s3 = try storage()
        defer { Task { try? await s3.shutdown() } }
        let directory = try StorageBackend.scratch()
        var bytes = [UInt8](repeating: 0, count: 12 << 20 + 123)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let data = Data(bytes)
        try data.write(to: URL(fileURLWithPath: directory + "/big.bin"))
        let key = "multipart/\(UUID().uuidString.prefix(8)).bin"
        let reported = ProgressLog()
        let stored = try await s3.upload(
            file: directory + "/big.bin",
            to: key,
            contentType: nil,
            metadata: ["owner": "tests"],
            progress: { done, total in reported.add(done, total) }
        )
        #expect(stored.etag.hasSuffix("-3"), "three parts of 5 MiB, 5 MiB and the rest")
        #expect(stored.size == Int64(data.count))
        #expect(reported.last?.0 == Int64(data.count))
        #expect(reported.last?.1 == Int64(data.count))
        let info = try await s3.head(key)
        #expect(info.size == Int64(data.count))
        #expect(info.metadata["owner"] == "tests")
        let file = try await s3.download(key, to: directory + "/back.bin")
        #expect(file.size == Int64(data.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/back.bin")) == data)
        try await s3.delete(key)
    }

    @Test func aFailedMultipartUploadLeavesNoParts() async throws {
        let s3 = try storage()
        defer { Task { try? await s3.shutdown() } }
        let directory = try StorageBackend.scratch()
        try Data(count: 16 << 20).write(to: URL(fileURLWithPath: directory + "/big.bin"))
        let key = "aborted/\(UUID().uuidString.prefix(8)).bin"
        // Cancel once the first part is on its way.
        let started = AsyncStream<Void>.makeStream()
        let upload = Task {
            try await s3.upload(
                file: directory + "/big.bin",
                to: key,
                contentType: nil,
                metadata: [:],
                progress: { _, _ in started.continuation.yield() }
            )
        }
        for await _ in started.stream { break }
        upload.cancel()
        _ = await upload.result
        let response = try await s3.send("GET", key: nil, query: [("uploads", ""), ("prefix", key)])
        let listing = try XMLTree.parse(response.body)
        #expect(listing.name == "ListMultipartUploadsResult")
        #expect(listing.all("Upload").isEmpty, "the upload was aborted")
        await #expect(throws: IntegrationError.self) { try await s3.head(key) }
    }

    @Test func aWrongSecretIsAnAuthenticationErrorAndIsNotRetried() async throws {
        let manager = IntegrationManager()
        try manager.register(
            StorageIntegration(kind: "s3", storage: try storage(secret: "not-the-secret")),
            as: "files"
        )
        defer { Task { try? await manager.shutdown() } }
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "files", operation: "list_files", input: [:])
        }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("SignatureDoesNotMatch") == true)
        #expect(error?.attempts == 1)
    }

    @Test func aMissingBucketSaysSo() async throws {
        let s3 = try storage(bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")
        defer { Task { try? await s3.shutdown() } }
        let error = await #expect(throws: IntegrationError.self) { try await s3.list(folder: "") }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("NoSuchBucket") == true)
    }

    @Test func s3ErrorCodesMapToTypedErrors() {
        func error(_ code: String, _ status: Int) -> IntegrationError {
            S3Storage.error(
                status: status,
                body: "<Error><Code>\(code)</Code><Message>m</Message></Error>",
                key: "k",
                bucket: "b",
                retryAfter: nil
            )
        }
        #expect(error("NoSuchKey", 404).code == .notFound)
        #expect(error("AccessDenied", 403).code == .forbidden)
        #expect(error("SignatureDoesNotMatch", 403).code == .unauthorized)
        #expect(error("SignatureDoesNotMatch", 403).transience == .never)
        #expect(error("RequestTimeTooSkewed", 403).message.contains("clock"))
        #expect(error("SlowDown", 503).code == .rateLimited)
        #expect(error("SlowDown", 503).transience == .always)
        #expect(error("InternalError", 500).transience == .always)
        #expect(S3Storage.error(status: 502, body: "", key: nil, bucket: "b", retryAfter: nil).transience == .always)
    }
}

@Suite struct LocalStorageTests {
    @Test func keysCannotLeaveTheRoot() async throws {
        let directory = try StorageBackend.scratch()
        let storage = LocalStorage(root: directory + "/root")
        try FileManager.default.createDirectory(atPath: directory + "/root", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/outside", withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: directory + "/outside/secret.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/root/escape",
            withDestinationPath: directory + "/outside"
        )
        for key in ["../outside/secret.txt", "/etc/passwd", "a/../../x", "a//b", "./x"] {
            await #expect(throws: IntegrationError.self, "\(key)") { try await storage.head(key) }
        }
        let viaLink = await #expect(throws: IntegrationError.self) {
            try await storage.download("escape/secret.txt", to: directory + "/got.txt")
        }
        #expect(viaLink?.message.contains("symbolic link") == true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/x.txt"))
        await #expect(throws: IntegrationError.self) {
            try await storage.upload(
                file: directory + "/x.txt",
                to: "escape/planted.txt",
                contentType: nil,
                metadata: [:]
            )
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/outside/planted.txt"))
    }

    @Test func theEmbeddedServiceIsADirectoryInTheDataDirectory() async throws {
        let directory = try StorageBackend.scratch()
        let manager = IntegrationManager()
        try manager.bootstrap(
            configuration: Configuration(),
            factories: StorageAdapters.factories(),
            embedded: [StorageAdapters.embedded],
            environment: AdapterEnvironment(dataDirectory: directory)
        )
        try Data("hi".utf8).write(to: URL(fileURLWithPath: directory + "/hi.txt"))
        _ = try await manager.execute(
            service: "file_storage",
            operation: "upload_file",
            input: ["file_path": .string(directory + "/hi.txt"), "destination": "notes/hi.txt"]
        )
        #expect(FileManager.default.fileExists(atPath: directory + "/files/notes/hi.txt"))
    }
}

final class ProgressLog: Sendable {
    private let state = Mutex<(Int64, Int64)?>(nil)
    func add(_ done: Int64, _ total: Int64) { state.withLock { $0 = (done, total) } }
    var last: (Int64, Int64)? { state.withLock { $0 } }
}
