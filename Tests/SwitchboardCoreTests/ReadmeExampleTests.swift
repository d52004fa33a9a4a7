import Foundation
import Switchboard
import SwitchboardTesting
import Testing

/// The README's library example, as written there.
@Suite struct ReadmeExampleTests {
    @Test func theLibraryExampleRuns() async throws {
        let dataDirectory = NSTemporaryDirectory() + "switchboard-readme-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let configuration = try SwitchboardRuntime.loader().load(path: nil)
        let output = try await SwitchboardRuntime.withRuntime(
            configuration: configuration,
            dataDirectory: dataDirectory
        ) {
            runtime in
            try await runtime.manager.execute(
                service: "database",
                operation: "execute_query",
                input: ["query": "SELECT 6 * 7 AS answer"],
                options: .init(deadline: .seconds(10), idempotencyKey: "task-42")
            )
        }
        #expect(output == ["rows": [["answer": 42]], "row_count": 1])
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("README.md"),
            encoding: .utf8
        )
        #expect(
            readme.contains(
                "SwitchboardRuntime.withRuntime(configuration: configuration, dataDirectory: dataDirectory)"
            )
        )
    }
}
