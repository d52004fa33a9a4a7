import Foundation

/// Runs the built `switchboard` executable as a user would, for the CLI tests of every test target.
public enum CLIRunner {
    /// What a run printed and how it ended.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The executable: `SWITCHBOARD_BIN` (CI points it at the release build), or the one built beside the tests.
    public static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["SWITCHBOARD_BIN"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test bundle sits in the build products directory (inside a .xctest bundle on some platforms).
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("switchboard").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return ".build/debug/switchboard"
    }()

    /// Runs `executable` (the CLI by default) with `arguments`, the test process's environment without
    /// `SWITCHBOARD_*` and `CONFIG_ENCRYPTION*` plus `environment`, and `stdin` on standard input; blocks.
    public static func run(
        _ arguments: [String],
        executable: String = binary,
        stdin: String? = nil,
        environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("SWITCHBOARD_") && !$0.key.hasPrefix("CONFIG_ENCRYPTION")
        }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }

    /// ``run(_:executable:stdin:environment:)`` on a thread of its own, for async tests whose in-process server
    /// answers on Swift's cooperative pool: a blocking wait there could starve the server on a 2-core machine.
    public static func call(
        _ arguments: [String],
        executable: String = binary,
        stdin: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try run(arguments, executable: executable, stdin: stdin, environment: environment)
                    }
                )
            }
        }
    }
}
