import ArgumentParser
import Foundation
import Switchboard
import Synchronization

struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Move files to and from a file-storage service (S3 or a local directory).",
        discussion: """
            The service is `file_storage` unless --service names another. With no configuration it is the \
            directory <data-dir>/files; configure `type: s3` (bucket, region, access_key, secret_key, and \
            endpoint for S3-compatible servers) to use S3. REMOTE is the object's full key; a folder is a key \
            prefix ending in /.

            Examples:
              switchboard files put ./report.pdf reports/2026/q3.pdf
              switchboard files ls reports/
              switchboard files get reports/2026/q3.pdf ./downloads/
              switchboard files presign reports/2026/q3.pdf --expires-in 3600
              switchboard files rm reports/2026/q3.pdf

            Transfers over a few MiB show a progress bar on a terminal (never with --json or when stderr is not \
            a terminal).
            """,
        subcommands: [Put.self, Get.self, List.self, Remove.self, Presign.self]
    )

    struct Common: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The file-storage service to use.", valueName: "name"))
        var service = "file_storage"

        @Flag(name: .long, help: "Print exactly one JSON document (the operation's output) on stdout.")
        var json = false

        @OptionGroup(title: "Global options")
        var globals: GlobalOptions
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Upload LOCAL as REMOTE.",
            discussion: "Example: switchboard files put ./report.pdf reports/q3.pdf --content-type application/pdf"
        )
        @Argument(help: "The local file.") var local: String
        @Argument(help: "The object key to write.") var remote: String
        @Option(name: .long, help: ArgumentHelp("Content-Type (default: from the file name).", valueName: "type"))
        var contentType: String?
        @OptionGroup var common: Common

        func run() async throws {
            var input: [String: JSONValue] = ["file_path": .string(local), "destination": .string(remote)]
            if let contentType { input["content_type"] = .string(contentType) }
            let output = try await FilesCommand.call(
                common,
                "upload_file",
                .object(input),
                transferSize: try? FileManager.default.attributesOfItem(atPath: local)[.size] as? Int
            )
            if !common.json {
                print(
                    "uploaded \(local) → \(remote) (\(FilesCommand.bytes(output["size"]?.intValue ?? 0)), etag \(output["etag"]?.stringValue ?? ""))"
                )
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Download REMOTE into LOCAL (a file path whose directory exists, or a directory).",
            discussion: "Example: switchboard files get reports/q3.pdf ./q3.pdf"
        )
        @Argument(help: "The object key to read.") var remote: String
        @Argument(help: "The local file or directory.") var local: String
        @OptionGroup var common: Common

        func run() async throws {
            let output = try await FilesCommand.call(
                common,
                "download_file",
                ["file_id": .string(remote), "destination": .string(local)],
                transferSize: 0
            )
            if !common.json {
                print(
                    "downloaded \(remote) → \(output["path"]?.stringValue ?? local) (\(FilesCommand.bytes(output["size"]?.intValue ?? 0)))"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "List the objects and sub-folders directly under PREFIX (default: the root).",
            discussion: "Example: switchboard files ls reports/"
        )
        @Argument(help: "The folder (`reports` means `reports/`).") var prefix = ""
        @OptionGroup var common: Common

        func run() async throws {
            let output = try await FilesCommand.call(
                common,
                "list_files",
                ["folder": .string(prefix)],
                transferSize: nil
            )
            guard !common.json else { return }
            for folder in output["folders"]?.arrayValue ?? [] {
                print(
                    String(repeating: " ", count: 10) + "  " + String(repeating: " ", count: 20) + "  "
                        + (folder.stringValue ?? "")
                )
            }
            for file in output["files"]?.arrayValue ?? [] {
                let size = FilesCommand.bytes(file["size"]?.intValue ?? 0)
                let modified = file["last_modified"]?.stringValue ?? ""
                print(
                    String(repeating: " ", count: max(0, 10 - size.count)) + size + "  "
                        + modified.padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                        + (file["file_id"]?.stringValue ?? "")
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete REMOTE (deleting a missing object is not an error).",
            discussion: "Example: switchboard files rm reports/old.pdf"
        )
        @Argument(help: "The object key to delete.") var remote: String
        @OptionGroup var common: Common

        func run() async throws {
            _ = try await FilesCommand.call(common, "delete_file", ["file_id": .string(remote)], transferSize: nil)
            if !common.json { print("deleted \(remote)") }
        }
    }

    struct Presign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "presign",
            abstract: "Print a URL that curl can use, without credentials, to GET (or PUT) REMOTE until it expires.",
            discussion: """
                Examples:
                  curl -o q3.pdf "$(switchboard files presign reports/q3.pdf)"
                  curl -T q3.pdf "$(switchboard files presign reports/q3.pdf --method PUT --expires-in 600)"
                """
        )
        @Argument(help: "The object key.") var remote: String
        @Option(name: .long, help: ArgumentHelp("GET or PUT.", valueName: "method")) var method = "GET"
        @Option(
            name: .long,
            help: ArgumentHelp("Seconds until the URL stops working (1 to 604800).", valueName: "seconds")
        )
        var expiresIn = 900
        @OptionGroup var common: Common

        func validate() throws {
            guard ["GET", "PUT"].contains(method.uppercased()) else {
                throw ValidationError("--method must be GET or PUT")
            }
            guard (1...604_800).contains(expiresIn) else {
                throw ValidationError("--expires-in must be between 1 and 604800 seconds")
            }
        }

        func run() async throws {
            let output = try await FilesCommand.call(
                common,
                "presign",
                ["file_id": .string(remote), "method": .string(method.uppercased()), "expires_in": .int(expiresIn)],
                transferSize: nil
            )
            if !common.json { print(output["url"]?.stringValue ?? "") }
        }
    }

    /// Runs one operation of the storage service, with a progress bar for transfers on a terminal.
    static func call(_ common: Common, _ operation: String, _ input: JSONValue, transferSize: Int?) async throws
        -> JSONValue
    {
        let bar = (transferSize != nil && !common.json && isatty(STDERR_FILENO) == 1) ? ProgressBar() : nil
        defer { bar?.finish() }
        var handler: ProgressHandler?
        if let bar { handler = { done, total in bar.update(done, total) } }
        let options = IntegrationManager.Options(progress: handler)
        let output = try await common.globals.withRuntime { runtime in
            try await runtime.manager.execute(
                service: common.service,
                operation: operation,
                input: input,
                options: options
            )
        }
        if common.json { print(output.jsonString(pretty: false)) }
        return output
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second, shown only past 4 MiB.
final class ProgressBar: Sendable {
    private let state = Mutex<(lastDraw: UInt64, drawn: Bool)>((0, false))
    private let start = DispatchTime.now().uptimeNanoseconds

    func update(_ done: Int64, _ total: Int64) {
        guard total >= 4 << 20 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let draw = state.withLock { state -> Bool in
            guard now - state.lastDraw >= 100_000_000 || done == total else { return false }
            state.lastDraw = now
            state.drawn = true
            return true
        }
        guard draw else { return }
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let line = String(
            format: "\r[%@%@] %3.0f%%  %@ / %@  %@/s ",
            String(repeating: "#", count: filled),
            String(repeating: " ", count: width - filled),
            fraction * 100,
            FilesCommand.bytes(Int(done)),
            FilesCommand.bytes(Int(total)),
            FilesCommand.bytes(Int(rate))
        )
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
