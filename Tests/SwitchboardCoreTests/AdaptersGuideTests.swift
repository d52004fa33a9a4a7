import Foundation
import SwitchboardCore
import SwitchboardExamples
import SwitchboardTesting
import Testing

/// `docs/ADAPTERS.md` shows `TextIntegration` in full; this keeps the page and the compiled code identical, and
/// runs the example the way the page does.
@Suite struct AdaptersGuideTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theGuideShowsTheCompiledAdapterVerbatim() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/ADAPTERS.md"), encoding: .utf8)
        let source = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/SwitchboardExamples/TextIntegration.swift"),
            encoding: .utf8
        )
        #expect(guide.contains("```swift\n" + source + "```"))
    }

    @Test func theExampleRunsThroughTheManager() async throws {
        let manager = IntegrationManager(clock: TestClock())
        try manager.register(TextIntegration(), as: "text")
        let stats = try await manager.execute(service: "text", operation: "stats", input: ["text": "One. Two."])
        #expect(stats == ["characters": 9, "words": 2, "lines": 1, "sentences": 2])
        let slug = try await manager.execute(
            service: "text",
            operation: "transform",
            input: ["text": "Quarterly Report: Q3", "to": "slug"]
        )
        #expect(slug == ["text": "quarterly-report-q3"])
        let error = await #expect(throws: IntegrationError.self) {
            try await manager.execute(service: "text", operation: "transform", input: ["text": "x", "to": "rot13"])
        }
        #expect(error?.code == .invalidInput)
    }
}
