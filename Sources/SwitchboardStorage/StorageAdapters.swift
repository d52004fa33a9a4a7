import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardHTTP

/// The file-storage factories: `type: s3` and `type: local`, and the embedded `file_storage` service (a local
/// directory in the data directory).
///
/// ## Configuration keys
/// - s3: `bucket` (required), `region` (or `AWS_REGION` / `AWS_DEFAULT_REGION`; default us-east-1), `access_key`
///   and `secret_key` (secrets; or `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`), `session_token` (or
///   `AWS_SESSION_TOKEN`), `endpoint` (an S3-compatible server's URL, or `AWS_ENDPOINT_URL_S3` /
///   `AWS_ENDPOINT_URL`), `path_style` (default: true with an endpoint), `multipart_threshold_mb` (16),
///   `part_size_mb` (8), `parallel_parts` (4), `connect_timeout_ms` (10000), `read_timeout_ms` (60000),
///   `timeout_ms` (60000, for requests that move no file), `ca_file`, `user_agent`.
/// - local: `root` (default `<data-dir>/files`).
public enum StorageAdapters {
    /// The storage family: `s3` and `local`, the embedded `file_storage`; a block with `bucket` and no `type` is
    /// S3 (the seed's file_storage_config.yaml), one with `root` a local directory.
    ///
    /// - Parameter transport: The runtime's shared transport, which S3 sends through; `nil` gives each S3 store
    ///   its own.
    public static func family(transport: HTTPTransport? = nil) -> AdapterFamily {
        AdapterFamily(name: "storage", factories: factories(transport: transport), embedded: [embedded]) { _, block in
            if block["bucket"] != nil { return "s3" }
            if block["root"] != nil { return "local" }
            return nil
        }
    }

    /// The S3 schema: the seed's keys, plus an endpoint for S3-compatible servers and the transfer settings.
    public static let s3Schema = ServiceSchema(
        type: "s3",
        family: "storage",
        keys: ServiceSchema.commonKeys + HTTPAdapters.timeoutKeys + [
            .init("bucket"), .init("region"), .init("access_key", secret: true), .init("secret_key", secret: true),
            .init("session_token", secret: true), .init("endpoint", .url), .init("path_style", .boolean),
            .init("multipart_threshold_mb", .integer, minimum: 5), .init("part_size_mb", .integer, minimum: 5),
            .init("parallel_parts", .integer, minimum: 1), .init("ca_file"), .init("user_agent"), .init("prefix"),
        ],
        required: [["bucket"]]
    )

    /// The local-directory schema.
    public static let localSchema = ServiceSchema(
        type: "local",
        family: "storage",
        keys: ServiceSchema.commonKeys + [.init("root")]
    )

    /// The `s3` and `local` factories; S3 sends through `transport` (its own when `nil`).
    public static func factories(transport: HTTPTransport? = nil) -> [AdapterFactory] {
        [
            AdapterFactory(schema: s3Schema) { configuration, environment in
                guard let bucket = try configuration.string("bucket"), !bucket.isEmpty else {
                    throw IntegrationError(code: .invalidConfiguration, message: "bucket is required for type s3")
                }
                let accessKey = try configuration.secret("access_key", fallback: ["AWS_ACCESS_KEY_ID"])
                let secretKey = try configuration.secret("secret_key", fallback: ["AWS_SECRET_ACCESS_KEY"])
                guard let accessKey, let secretKey else {
                    throw IntegrationError(
                        code: .invalidConfiguration,
                        message:
                            "no S3 credentials: set access_key and secret_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                    )
                }
                let token = try configuration.secret("session_token", fallback: ["AWS_SESSION_TOKEN"])
                var settings = S3Storage.Settings(
                    bucket: bucket,
                    credentials: .init(
                        accessKey: accessKey.reveal(),
                        secretKey: secretKey.reveal(),
                        sessionToken: token?.reveal()
                    )
                )
                settings.region =
                    try configuration.string("region", fallback: ["AWS_REGION", "AWS_DEFAULT_REGION"])
                    ?? settings.region
                settings.endpoint = try configuration.string(
                    "endpoint",
                    fallback: ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                )
                settings.pathStyle = try configuration.bool("path_style")
                if let mb = try configuration.int("multipart_threshold_mb") {
                    settings.multipartThreshold = Int64(mb) << 20
                }
                if let mb = try configuration.int("part_size_mb") { settings.partSize = Int64(mb) << 20 }
                settings.parallelParts = try configuration.int("parallel_parts") ?? settings.parallelParts
                if let ms = try configuration.int("connect_timeout_ms") {
                    settings.connectTimeout = .milliseconds(Int64(ms))
                }
                if let ms = try configuration.int("read_timeout_ms") { settings.readTimeout = .milliseconds(Int64(ms)) }
                if let ms = try configuration.int("timeout_ms") { settings.requestTimeout = .milliseconds(Int64(ms)) }
                settings.caFile = try configuration.string("ca_file")
                settings.userAgent = try configuration.string("user_agent") ?? settings.userAgent
                settings.service = configuration.name
                return StorageIntegration(
                    kind: "s3",
                    storage: try S3Storage(settings: settings, transport: transport)
                )
            },
            AdapterFactory(schema: localSchema) { configuration, environment in
                let root = try configuration.string("root") ?? environment.dataDirectory + "/files"
                return StorageIntegration(kind: "local", storage: LocalStorage(root: root))
            },
        ]
    }

    /// The embedded `file_storage` service: the directory `<data-dir>/files`, created on first write.
    public static var embedded: EmbeddedService {
        EmbeddedService(name: "file_storage", type: "local") { environment in
            StorageIntegration(kind: "local", storage: LocalStorage(root: environment.dataDirectory + "/files"))
        }
    }
}
