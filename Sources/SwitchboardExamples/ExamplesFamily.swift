import SwitchboardCore

extension TextIntegration {
    /// The examples family: the embedded `text` service, which needs no configuration.
    public static var family: AdapterFamily {
        AdapterFamily(
            name: "examples",
            factories: [],
            embedded: [EmbeddedService(name: "text", type: "text") { _ in TextIntegration() }]
        )
    }
}
