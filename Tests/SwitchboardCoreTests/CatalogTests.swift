import SwitchboardCore
import SwitchboardExamples
import SwitchboardTesting
import Testing

@Suite struct CatalogTests {
    @Test func theCatalogListsEveryServiceWithItsOperationsAndPolicy() throws {
        let manager = IntegrationManager(clock: TestClock())
        var policy = ServicePolicy()
        policy.maxConnections = 3
        try manager.register(TextIntegration(), as: "words", policy: policy)
        try manager.register(TextIntegration(), as: "another")
        let catalog = manager.catalog
        #expect(catalog.map(\.service) == ["another", "words"])
        let words = try #require(catalog.last)
        #expect(words.kind == TextIntegration().kind)
        #expect(words.operations.map(\.name) == TextIntegration().operations.map(\.name))
        #expect(words.policyJSON["max_connections"] == 3)
        #expect(
            words.operationsJSON.arrayValue?.first?["input_schema"] == TextIntegration().operations.first?.inputSchema
        )
    }
}
