import SwitchboardCore

/// A complete small integration: text statistics and transformations, with no server and no configuration.
///
/// It is the example of `docs/ADAPTERS.md` and the embedded `text` service of the CLI.
public struct TextIntegration: Integration {
    public let kind = "text"

    public let operations = [
        OperationDescriptor(
            name: "stats",
            summary: "Count the characters, words, lines and sentences of a text.",
            inputSchema: [
                "type": "object",
                "required": ["text"],
                "properties": ["text": ["type": "string"]],
                "additionalProperties": false,
            ],
            outputSchema: [
                "type": "object",
                "properties": [
                    "characters": ["type": "integer"], "words": ["type": "integer"],
                    "lines": ["type": "integer"], "sentences": ["type": "integer"],
                ],
            ],
            idempotency: .idempotent
        ),
        OperationDescriptor(
            name: "transform",
            summary: "Rewrite a text as upper case, lower case, title case or a URL slug.",
            inputSchema: [
                "type": "object",
                "required": ["text", "to"],
                "properties": [
                    "text": ["type": "string"],
                    "to": ["type": "string", "enum": ["upper", "lower", "title", "slug"]],
                ],
                "additionalProperties": false,
            ],
            outputSchema: ["type": "object", "properties": ["text": ["type": "string"]]],
            idempotency: .idempotent
        ),
    ]

    public init() {}

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        // The manager has already checked `input` against the operation's input schema.
        guard let text = input["text"]?.stringValue else { throw IntegrationError.invalidInput("text is required") }
        switch operation {
        case "stats":
            let words = text.split(whereSeparator: { $0.isWhitespace }).count
            let lines = text.isEmpty ? 0 : text.split(separator: "\n", omittingEmptySubsequences: false).count
            let sentences = text.split(whereSeparator: { ".!?".contains($0) })
                .filter { !$0.allSatisfy(\.isWhitespace) }.count
            return [
                "characters": .int(text.count), "words": .int(words), "lines": .int(lines),
                "sentences": .int(sentences),
            ]
        case "transform":
            switch input["to"]?.stringValue {
            case "upper": return ["text": .string(text.uppercased())]
            case "lower": return ["text": .string(text.lowercased())]
            case "title":
                return [
                    "text": .string(
                        text.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
                            .joined(separator: " ")
                    )
                ]
            default:
                let slug = text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) || !$0.isASCII })
                    .joined(separator: "-")
                return ["text": .string(slug)]
            }
        default:
            throw IntegrationError(code: .unknownOperation, message: "no operation named \(operation)")
        }
    }
}
