import Foundation
import SwitchboardCore

/// Runs the file-storage operations on any ``ObjectStorage``, with the seed's names: `upload_file`,
/// `download_file`, `list_files`, and `delete_file`, `head`, `copy`, `presign`.
public struct StorageIntegration: Integration {
    public let kind: String
    let storage: any ObjectStorage

    public init(kind: String, storage: any ObjectStorage) {
        self.kind = kind
        self.storage = storage
    }

    public func shutdown() async throws { try await storage.shutdown() }

    static let fileID: JSONValue = [
        "type": "string", "minLength": 1, "description": "the object's full key, such as reports/q3.pdf",
    ]

    /// The operations, each declared once with its handler.
    static let table = OperationTable<StorageIntegration>([
        .init(
            OperationDescriptor(
                name: "upload_file",
                summary: "Upload a local file; destination is the full object key",
                inputSchema: [
                    "type": "object",
                    "required": ["file_path", "destination"],
                    "properties": [
                        "file_path": ["type": "string", "minLength": 1],
                        "destination": Self.fileID,
                        "content_type": ["type": "string"],
                        "metadata": ["type": "object"],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent,
                usesServiceDeadline: false
            )
        ) { adapter, input, context in try await adapter.uploadFile(input, context) },
        .init(
            OperationDescriptor(
                name: "download_file",
                summary: "Download an object into a local file whose directory exists",
                inputSchema: [
                    "type": "object",
                    "required": ["file_id", "destination"],
                    "properties": ["file_id": Self.fileID, "destination": ["type": "string", "minLength": 1]],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent,
                usesServiceDeadline: false
            )
        ) { adapter, input, context in try await adapter.downloadFile(input, context) },
        .init(
            OperationDescriptor(
                name: "list_files",
                summary: "List the objects and sub-folders directly under a folder (empty or / for the root)",
                inputSchema: [
                    "type": "object",
                    "properties": ["folder": ["type": "string"]],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.listFiles(input, context) },
        .init(
            OperationDescriptor(
                name: "delete_file",
                summary: "Delete an object (a missing one is not an error)",
                inputSchema: [
                    "type": "object",
                    "required": ["file_id"],
                    "properties": ["file_id": Self.fileID],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.deleteFile(input, context) },
        .init(
            OperationDescriptor(
                name: "head",
                summary: "Size, ETag, content type and metadata of an object",
                inputSchema: [
                    "type": "object",
                    "required": ["file_id"],
                    "properties": ["file_id": Self.fileID],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.head(input, context) },
        .init(
            OperationDescriptor(
                name: "copy",
                summary: "Copy an object to another key in the same store",
                inputSchema: [
                    "type": "object",
                    "required": ["file_id", "destination"],
                    "properties": ["file_id": Self.fileID, "destination": Self.fileID],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent,
                usesServiceDeadline: false
            )
        ) { adapter, input, context in try await adapter.copy(input, context) },
        .init(
            OperationDescriptor(
                name: "presign",
                summary: "A URL that curl can use to GET or PUT an object until it expires (default 900 s)",
                inputSchema: [
                    "type": "object",
                    "required": ["file_id"],
                    "properties": [
                        "file_id": Self.fileID,
                        "method": ["type": "string", "enum": ["GET", "PUT", "get", "put"]],
                        "expires_in": ["type": "integer", "minimum": 1, "maximum": 604_800],
                    ],
                    "additionalProperties": false,
                ],
                idempotency: .idempotent
            )
        ) { adapter, input, context in try await adapter.presign(input, context) },
    ])

    public var operations: [OperationDescriptor] { Self.table.descriptors }

    public func execute(_ operation: String, input: JSONValue, context: OperationContext) async throws -> JSONValue {
        try await Self.table.run(operation, on: self, input: input, context: context)
    }

    private func uploadFile(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let key = try ObjectKey.validate(string("destination"), field: "destination")
        var metadata: [String: String] = [:]
        if case .object(let fields)? = input["metadata"] {
            for (name, value) in fields {
                guard let text = value.stringValue else {
                    throw IntegrationError.invalidInput("metadata.\(name) must be a string")
                }
                metadata[name] = text
            }
        }
        let stored = try await storage.upload(
            file: string("file_path"),
            to: key,
            contentType: input["content_type"]?.stringValue,
            metadata: metadata,
            progress: context.progress
        )
        return ["file_id": .string(stored.key), "size": .int(Int(stored.size)), "etag": .string(stored.etag)]
    }

    private func downloadFile(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let key = try ObjectKey.validate(string("file_id"))
        let file = try await storage.download(key, to: string("destination"), progress: context.progress)
        return ["path": .string(file.path), "size": .int(Int(file.size))]
    }

    private func listFiles(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let listing = try await storage.list(folder: string("folder"))
        return [
            "files": .array(
                listing.files.map { file in
                    [
                        "file_id": .string(file.key), "size": .int(Int(file.size)),
                        "last_modified": .string(file.lastModified), "etag": .string(file.etag),
                    ]
                }
            ),
            "folders": .array(listing.folders.map { .string($0) }),
        ]
    }

    private func deleteFile(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let key = try ObjectKey.validate(string("file_id"))
        try await storage.delete(key)
        return ["file_id": .string(key), "deleted": true]
    }

    private func head(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let key = try ObjectKey.validate(string("file_id"))
        let info = try await storage.head(key)
        var out: [String: JSONValue] = [
            "file_id": .string(info.key), "size": .int(Int(info.size)), "etag": .string(info.etag),
            "metadata": .object(info.metadata.mapValues { .string($0) }),
        ]
        out["content_type"] = info.contentType.map { .string($0) } ?? .null
        out["last_modified"] = info.lastModified.map { .string($0) } ?? .null
        return .object(out)
    }

    private func copy(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let source = try ObjectKey.validate(string("file_id"))
        let destination = try ObjectKey.validate(string("destination"), field: "destination")
        let stored = try await storage.copy(source, to: destination)
        return ["file_id": .string(stored.key), "size": .int(Int(stored.size)), "etag": .string(stored.etag)]
    }

    private func presign(_ input: JSONValue, _ context: OperationContext) async throws -> JSONValue {
        func string(_ key: String) -> String { input[key]?.stringValue ?? "" }
        let key = try ObjectKey.validate(string("file_id"))
        let method = PresignMethod(rawValue: (input["method"]?.stringValue ?? "GET").uppercased()) ?? .get
        let expires = input["expires_in"]?.intValue ?? 900
        let url = try storage.presign(key, method: method, expiresIn: expires)
        return ["url": .string(url.url), "expires_at": .string(Self.iso(url.expiresAt))]
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
