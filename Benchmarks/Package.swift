// swift-tools-version: 6.2
// Benchmarks live in their own package so that CI, which only runs tests, never builds them.
// Run: scripts/bench   (release build, malloc counting through LD_PRELOAD)
import PackageDescription

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "SwitchboardBench",
            dependencies: [
                .product(name: "SwitchboardCore", package: "main"),
                .product(name: "SwitchboardHTTP", package: "main"),
                .product(name: "SwitchboardDatabase", package: "main"),
                .product(name: "SwitchboardStorage", package: "main"),
                .product(name: "SwitchboardLanguage", package: "main"),
                .product(name: "SwitchboardCalendar", package: "main"),
                .product(name: "SwitchboardEmail", package: "main"),
                .product(name: "Switchboard", package: "main"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            // As in the main package: async functions run on their caller's executor.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        )
    ]
)
