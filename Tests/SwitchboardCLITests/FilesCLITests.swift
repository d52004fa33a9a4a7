import Foundation
import SwitchboardTesting
import Testing

/// `switchboard files` against the embedded local directory and the real SeaweedFS, with the seed's
/// file_storage_config.yaml keys.
@Suite struct FilesCLITests {
    func roundTrip(_ common: [String], environment: [String: String], scratch: Scratch) async throws {
        let folder = "cli-\(UUID().uuidString.prefix(8))"
        var bytes = [UInt8](repeating: 0, count: 3 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 >> 3) }
        let local = scratch.path + "/data.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: local))
        let key = "\(folder)/Q3 report + ünï ሴ.bin"
        let put = try await CLI.call(["files", "put", local, key] + common, environment: environment)
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stdout.contains("uploaded"))
        #expect(put.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        let list = try await CLI.call(["files", "ls", folder, "--json"] + common, environment: environment)
        #expect(list.stdout.contains(#""file_id":"\#(key)""#), "\(list.stdout) \(list.stderr)")
        let get = try await CLI.call(
            ["files", "get", key, scratch.path + "/back.bin"] + common,
            environment: environment
        )
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/back.bin")) == Data(bytes))
        let presign = try await CLI.call(["files", "presign", key] + common, environment: environment)
        #expect(presign.status == 0)
        #expect(presign.stdout.hasPrefix("http") || presign.stdout.hasPrefix("file://"))
        let missingDirectory = try await CLI.call(
            ["files", "get", key, scratch.path + "/nope/back.bin"] + common,
            environment: environment
        )
        #expect(missingDirectory.status == 2)
        #expect(missingDirectory.stderr.contains(scratch.path + "/nope"))
        let missingLocal = try await CLI.call(
            ["files", "put", scratch.path + "/absent.txt", "x.txt"] + common,
            environment: environment
        )
        #expect(missingLocal.status != 0)
        #expect(missingLocal.stderr.contains(scratch.path + "/absent.txt"))
        // A disk that fills during a download: the partial file is removed and the error says so.
        let full = try await CLI.shell(
            "ulimit -f 1024; trap '' XFSZ; exec \"$0\" \"$@\"",
            ["files", "get", key, scratch.path + "/full.bin"] + common,
            environment: environment
        )
        #expect(full.status != 0)
        #expect(full.stderr.contains("partial file was removed"), "\(full.stderr)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains("full.bin") }.isEmpty
        )
        let remove = try await CLI.call(["files", "rm", key] + common, environment: environment)
        #expect(remove.status == 0)
        let after = try await CLI.call(
            ["files", "get", key, scratch.path + "/gone.bin"] + common,
            environment: environment
        )
        #expect(after.status == 1)
        #expect(after.stderr.contains("no object"))
    }

    @Test func filesWorkOnTheEmbeddedDirectoryWithNoConfiguration() async throws {
        let scratch = Scratch()
        try await roundTrip(["--data-dir", scratch.path + "/data"], environment: [:], scratch: scratch)
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/data/files"))
    }

    @Test func filesWorkOnTheRealS3WithTheSeedKeys() async throws {
        let environment = ProcessInfo.processInfo.environment
        let endpoint = try #require(environment["S3_ENDPOINT"], "run the tests with scripts/test (it starts SeaweedFS)")
        let scratch = Scratch()
        scratch.write(
            "file_storage_config.yaml",
            """
            file_storage:
              service_name: "file_storage"
              type: "s3"
              bucket: "\(environment["S3_BUCKET"] ?? "")"
              region: "us-east-1"
              access_key: "${S3_ACCESS_KEY}"
              secret_key: "${S3_SECRET_KEY}"
              endpoint: "\(endpoint)"
            """
        )
        let keys = [
            "S3_ACCESS_KEY": environment["S3_ACCESS_KEY"] ?? "", "S3_SECRET_KEY": environment["S3_SECRET_KEY"] ?? "",
        ]
        try await roundTrip(
            ["--config", scratch.path + "/file_storage_config.yaml"],
            environment: keys,
            scratch: scratch
        )
        var wrong = keys
        wrong["S3_SECRET_KEY"] = "definitely-wrong-secret"
        let refused = try await CLI.call(
            ["files", "ls", "--config", scratch.path + "/file_storage_config.yaml"],
            environment: wrong
        )
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("SignatureDoesNotMatch"))
        #expect(!refused.stderr.contains("definitely-wrong-secret"))
    }
}

extension CLI {
    /// Runs the binary through `bash -c script`, with the binary as `$0` and `arguments` as `$@`.
    static func runShell(_ script: String, _ arguments: [String], environment: [String: String]) throws -> Result {
        try CLIRunner.run(
            ["-c", script, binary] + arguments,
            executable: "/bin/bash",
            environment: ["SWITCHBOARD_DATA_DIR": dataDirectory].merging(environment) { $1 }
        )
    }
}
