import Foundation
import SwitchboardTesting
import Testing

/// What a careless or hostile user tries (issue 11), each through the CLI as a user would meet it.
@Suite struct HardeningCLITests {
    // MARK: Files

    @Test func aDownloadNeverReplacesADeviceAFIFOOrASocket() async throws {
        let scratch = Scratch()
        let data = ["--data-dir", scratch.path + "/data"]
        let local = scratch.write("a.txt", "hello")
        #expect(try await CLI.call(["files", "put", local, "ok/a.txt"] + data).status == 0)
        let fifo = scratch.path + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        var targets = [(fifo, "FIFO")]
        // A character device of our own (root can make one; it is /dev/null's numbers, in the scratch folder).
        let device = scratch.path + "/null"
        if mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 { targets.append((device, "character device")) }
        for (target, kind) in targets {
            let result = try await CLI.call(["files", "get", "ok/a.txt", target] + data)
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains(target) && result.stderr.contains(kind), "\(result.stderr)")
            var info = stat()
            #expect(lstat(target, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG, "\(target) is untouched")
        }
        // A directory with a FIFO under the object's name is refused too; a regular file is replaced.
        let folder = scratch.path + "/in"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(mkfifo(folder + "/a.txt", 0o600) == 0)
        #expect(try await CLI.call(["files", "get", "ok/a.txt", folder] + data).status == 2)
        scratch.write("old.txt", "old")
        #expect(try await CLI.call(["files", "get", "ok/a.txt", scratch.path + "/old.txt"] + data).status == 0)
        #expect(scratch.read("old.txt") == "hello")
    }

    @Test func anInterruptedPutLeavesNoPartialFile() async throws {
        let scratch = Scratch()
        let store = scratch.path + "/data/files"
        let big = scratch.path + "/big.bin"
        // 2 GiB, sparse: reading it is quick, writing its copy takes long enough to be interrupted.
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, 2 << 30) == 0)
        for signal in [SIGTERM, SIGINT] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["files", "put", big, "big/copy.bin", "--data-dir", scratch.path + "/data"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var sawPartial = false
            for _ in 0..<20_000 where process.isRunning {
                if partials(in: store + "/big").count > 0 {
                    sawPartial = true
                    break
                }
                usleep(500)
            }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(sawPartial, "the copy was under way when the signal came")
            // Killed by the same signal, or (should it stay blocked) exited with 128 + the signal's number.
            #expect(
                (process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
                    || process.terminationStatus == 128 + signal,
                "\(process.terminationReason) \(process.terminationStatus)"
            )
            #expect(partials(in: store + "/big").isEmpty, "signal \(signal) removed the partial file")
        }
    }

    @Test func partialFilesOfDeadOrOldWritersAreSweptWhenTheStoreOpens() async throws {
        let scratch = Scratch()
        let folder = scratch.path + "/data/files/reports"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A writer that is gone: a process that has exited.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = folder + "/.q3.pdf.\(gone.processIdentifier).deadbeef.part"
        let old = folder + "/.q4.pdf.ab12cd34.part"  // an older name without a process id, two days old
        let live = folder + "/.q5.pdf.\(getpid()).feedface.part"  // this test process is alive and writing
        for path in [dead, old, live] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        }
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-2 * 86_400)],
            ofItemAtPath: old
        )
        let list = try await CLI.call(["files", "ls", "reports", "--data-dir", scratch.path + "/data"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    @Test func aKeyEndingInASlashIsCalledAFolder() async throws {
        let scratch = Scratch()
        let local = scratch.write("a.txt", "hello")
        let result = try await CLI.call(["files", "put", local, "reports/", "--data-dir", scratch.path + "/data"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("ends with /") && !result.stderr.contains("//"), "\(result.stderr)")
    }

    // MARK: Configuration

    @Test func nestedAliasesAreRefusedBeforeTheyTakeTheMemory() async throws {
        let scratch = Scratch()
        var lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var previous = "a"
        for name in names {
            lines.append(
                "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]"
            )
            previous = name
        }
        let file = scratch.write("bomb.yaml", lines.joined(separator: "\n") + "\n")
        let result = try await CLI.call(["config", "check", "--config", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bomb.yaml:") && result.stderr.contains("aliases"), "\(result.stderr)")
        // An alias used as a key is refused as well (hashing it would cost as much as expanding it).
        let keyed = scratch.write("keyed.yaml", "a: &a [x, x]\nb:\n  *a : 1\n")
        let refused = try await CLI.call(["config", "check", "--config", keyed])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("keyed.yaml:3"), "\(refused.stderr)")
        // An ordinary anchor still loads.
        let fine = scratch.write(
            "fine.yaml",
            "crm: &crm\n  type: http\n  base_url: https://api.example.com\ncrm2: *crm\n"
        )
        #expect(try await CLI.call(["config", "check", "--config", fine]).status == 0)
    }

    @Test func urlsAreCheckedWhenTheConfigurationLoads() async throws {
        let scratch = Scratch()
        for (value, expected) in [
            ("not a url", "http or https URL"), ("file:///etc/passwd", "scheme file"), ("https://", "with a host"),
        ] {
            let file = scratch.write("crm.yaml", "crm:\n  type: http\n  base_url: \"\(value)\"\n")
            let result = try await CLI.call(["config", "check", "--config", file])
            #expect(result.status == 2, "\(value)")
            #expect(result.stderr.contains("crm.base_url") && result.stderr.contains(expected), "\(result.stderr)")
        }
        let withCredentials = scratch.write(
            "cred.yaml",
            "crm:\n  type: http\n  base_url: \"ftp://user:s3cr3tpw@example.com\"\n"
        )
        let hidden = try await CLI.call(["config", "check", "--config", withCredentials])
        #expect(hidden.status == 2 && hidden.stderr.contains("crm.base_url"), "\(hidden.stderr)")
        #expect(!hidden.stderr.contains("s3cr3tpw"), "\(hidden.stderr)")
        let endpoint = scratch.write("s3.yaml", "files:\n  type: s3\n  bucket: b\n  endpoint: ftp://127.0.0.1\n")
        #expect(try await CLI.call(["config", "check", "--config", endpoint]).stderr.contains("files.endpoint"))
    }

    @Test func everyEmbeddedServiceTakesAPolicy() async throws {
        // The CLI registers `text`; the loader knows it from the same family, so its policy loads.
        let scratch = Scratch()
        let file = scratch.write(
            "p.yaml",
            "integrations:\n  text: {retry_attempts: 1}\n  database: {max_connections: 2}\n  file_storage: {enabled: true}\n"
        )
        let result = try await CLI.call(["config", "check", "--config", file])
        #expect(result.status == 0, "\(result.stderr)")
        let unknown = scratch.write("u.yaml", "integrations:\n  txet: {retry_attempts: 1}\n")
        let refused = try await CLI.call(["config", "check", "--config", unknown])
        #expect(refused.status == 2 && refused.stderr.contains("did you mean text"), "\(refused.stderr)")
    }

    @Test func aDuplicateKeyPointsAtItsRepeat() async throws {
        let scratch = Scratch()
        let file = scratch.write("dup.yaml", "crm:\n  type: http\n  base_url: https://a.example.com\n  type: http\n")
        let result = try await CLI.call(["config", "check", "--config", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("dup.yaml:4:3") && result.stderr.contains("first at line 2"), "\(result.stderr)")
    }

    // MARK: Secrets and headers

    @Test func aSecretWithALineBreakIsRefusedAtOnceAndNeverShown() async throws {
        let api = try await TestHTTPServer { _ in .json(200, "{}") }
        defer { Task { try? await api.shutdown() } }
        let scratch = Scratch()
        let file = scratch.write(
            "crm.yaml",
            "crm:\n  type: http\n  base_url: \(api.baseURL)\n  auth_type: api_key\n  api_key: ${CRM_KEY}\n"
        )
        let secret = "Sup3rSecretValue"
        let environment = ["CRM_KEY": secret + "\n"]
        let check = try await CLI.call(["config", "check", "--config", file], environment: environment)
        #expect(check.status == 2)
        #expect(check.stderr.contains("crm.api_key") && check.stderr.contains("line break"), "\(check.stderr)")
        let call = try await CLI.call(
            ["call", "crm", "request", "--config", file, "--input", #"{"method": "GET", "path": "/x"}"#],
            environment: environment
        )
        #expect(call.status == 2)
        for output in [check.stderr, call.stderr, call.stdout] { #expect(!output.contains("Sup3r"), "\(output)") }
        #expect(api.requests.isEmpty, "nothing was sent, nothing retried")
        // A configured header (often a token) likewise.
        let headers = scratch.write(
            "h.yaml",
            "crm:\n  type: http\n  base_url: \(api.baseURL)\n  headers:\n    X-Token: ${CRM_KEY}\n"
        )
        let refused = try await CLI.call(["config", "check", "--config", headers], environment: environment)
        #expect(refused.status == 2 && refused.stderr.contains("headers.X-Token"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Sup3r"))
    }

    @Test func inputHeadersAndIdempotencyKeysCannotSplitOrRedirectARequest() async throws {
        let api = try await TestHTTPServer { _ in .json(200, "{}") }
        defer { Task { try? await api.shutdown() } }
        let scratch = Scratch()
        let file = scratch.write(
            "crm.yaml",
            "crm:\n  type: http\n  base_url: \(api.baseURL)\n  auth_type: bearer\n  token: tok-12345\n"
        )
        let common = ["call", "crm", "request", "--config", file]
        let split = try await CLI.call(
            common + ["--input", #"{"method": "GET", "path": "/x", "headers": {"X-A": "a\r\nX-Injected: 1"}}"#]
        )
        #expect(split.status == 2 && split.stderr.contains("headers.X-A"), "\(split.stderr)")
        for name in ["Host", "host", "Transfer-Encoding", "Content-Length", "Connection"] {
            let result = try await CLI.call(
                common + ["--input", #"{"method": "GET", "path": "/x", "headers": {"\#(name)": "evil.example.com"}}"#]
            )
            #expect(result.status == 2, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("headers.\(name)"), "\(result.stderr)")
        }
        let key = try await CLI.call(
            common + ["--input", #"{"method": "POST", "path": "/x"}"#, "--idempotency-key", "k1\nX-Injected: 1"]
        )
        #expect(key.status == 2 && key.stderr.contains("idempotency key"), "\(key.stderr)")
        #expect(api.requests.isEmpty)
    }

    @Test func configuredHeaderValuesAreRedactedInErrors() async throws {
        // The server echoes what it was sent, as many error pages do.
        let api = try await TestHTTPServer { request in
            .text(400, "bad request; you sent " + request.headers.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        }
        defer { Task { try? await api.shutdown() } }
        let scratch = Scratch()
        let file = scratch.write(
            "crm.yaml",
            "crm:\n  type: http\n  base_url: \(api.baseURL)\n  headers:\n    X-Private-Token: pt-9f8e7d6c5b\n"
        )
        let result = try await CLI.call([
            "call", "crm", "request", "--config", file, "--input", #"{"method": "GET", "path": "/x"}"#,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("HTTP 400") && result.stderr.contains("X-Private-Token=***"), "\(result.stderr)")
        #expect(!result.stderr.contains("pt-9f8e7d6c5b"))
    }

    // MARK: Input

    @Test func inputIsReadFromAnyReadablePath() async throws {
        let json = #"{"text": "one two three"}"#
        let fromStdin = try await CLI.call(["call", "text", "stats", "--json", "--input", "@/dev/stdin"], stdin: json)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(fromStdin.stdout.contains(#""words":3"#), "\(fromStdin.stdout)")
        let substituted = try await CLI.shell(
            #"exec "$0" "$@" --input @<(printf '%s' '{"text": "a b"}')"#,
            ["call", "text", "stats", "--json"],
            environment: [:]
        )
        #expect(substituted.status == 0, "\(substituted.stderr)")
        #expect(substituted.stdout.contains(#""words":2"#))
        let missing = try await CLI.call(["call", "text", "stats", "--input", "@/nonexistent/input.json"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/input.json"))
        let directory = try await CLI.call(["call", "text", "stats", "--input", "@/tmp"])
        #expect(directory.status == 2 && directory.stderr.contains("directory"))
    }

    @Test func aYearIsReadAsWrittenOrRefused() async throws {
        let now = ["--now", "2026-03-04T10:00:00Z", "--timezone", "UTC"]
        let far = try await CLI.call(["parse", "March 3 9999 at 3pm"] + now)
        #expect(far.stdout.contains(#""start":"9999-03-03T15:00:00+00:00""#), "\(far.stdout)")
        for text in ["March 3 10000 at 3pm", "March 3 1530", "3/3/20266"] {
            let result = try await CLI.call(["parse", text] + now)
            #expect(
                result.stdout.contains(#""start":null"#) && result.stdout.contains("invalid_date"),
                "\(text): \(result.stdout)"
            )
        }
    }
}

/// The partial files (`.NAME...part`) in `directory`.
func partials(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
        $0.hasPrefix(".") && $0.hasSuffix(".part")
    }
}
