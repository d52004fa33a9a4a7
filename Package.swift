// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Switchboard", targets: ["Switchboard"]),
        .library(name: "SwitchboardCore", targets: ["SwitchboardCore"]),
        .library(name: "SwitchboardHTTP", targets: ["SwitchboardHTTP"]),
        .library(name: "SwitchboardDatabase", targets: ["SwitchboardDatabase"]),
        .library(name: "SwitchboardStorage", targets: ["SwitchboardStorage"]),
        .library(name: "SwitchboardCalendar", targets: ["SwitchboardCalendar"]),
        .library(name: "SwitchboardEmail", targets: ["SwitchboardEmail"]),
        .library(name: "SwitchboardLanguage", targets: ["SwitchboardLanguage"]),
        .library(name: "SwitchboardTesting", targets: ["SwitchboardTesting"]),
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "SwitchboardCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "SwitchboardHTTP",
            dependencies: [
                "SwitchboardCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SwitchboardDatabase",
            dependencies: [
                "SwitchboardCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SwitchboardStorage",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SwitchboardCalendar",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SwitchboardEmail",
            dependencies: [
                "SwitchboardCore", "SwitchboardHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .target(name: "SwitchboardLanguage"),
        .target(name: "SwitchboardExamples", dependencies: ["SwitchboardCore"]),
        .target(
            name: "Switchboard",
            dependencies: [
                "SwitchboardCore", "SwitchboardHTTP", "SwitchboardDatabase", "SwitchboardStorage",
                "SwitchboardCalendar", "SwitchboardEmail", "SwitchboardLanguage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SwitchboardTesting",
            dependencies: [
                "SwitchboardCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: [
                "Switchboard",
                "SwitchboardCore",
                "SwitchboardHTTP",
                "SwitchboardDatabase",
                "SwitchboardStorage",
                "SwitchboardCalendar",
                "SwitchboardEmail",
                "SwitchboardLanguage",
                "SwitchboardExamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: [
                "SwitchboardCore",
                "Switchboard",
                "SwitchboardTesting",
                "SwitchboardExamples",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwitchboardHTTPTests",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardHTTP",
                "SwitchboardTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SwitchboardDatabaseTests",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardDatabase",
                "SwitchboardTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SwitchboardStorageTests",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardStorage",
                "SwitchboardHTTP",
                "SwitchboardTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwitchboardCalendarTests",
            dependencies: ["SwitchboardCore", "SwitchboardCalendar", "SwitchboardHTTP", "SwitchboardTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwitchboardEmailTests",
            dependencies: ["SwitchboardCore", "SwitchboardEmail", "SwitchboardTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwitchboardLanguageTests",
            dependencies: ["SwitchboardLanguage"],
            exclude: ["CorpusSource"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SwitchboardCLITests",
            dependencies: [
                "SwitchboardCore",
                "SwitchboardTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

for target in package.targets where [.regular, .test, .executable].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("NonisolatedNonsendingByDefault"))
    if Context.environment["SWITCHBOARD_STRICT"] != nil { settings.append(.treatAllWarnings(as: .error)) }
    target.swiftSettings = settings
}
