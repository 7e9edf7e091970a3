// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableExperimentalFeature("Lifetimes"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Mnemap",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MappedMemory", targets: ["MappedMemory"]),
        .library(name: "MappedStore", targets: ["MappedStore"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .executable(name: "mnemap", targets: ["MnemapCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Only what Swift cannot call: variadic calls (mremap, fcntl), the SIGBUS guard.
        .target(name: "CMnemapShims"),
        .target(
            name: "MappedMemory",
            dependencies: [
                "CMnemapShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MappedStore",
            dependencies: [
                "MappedMemory",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Embeddings",
            dependencies: ["MappedMemory"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MnemapCLI",
            dependencies: [
                "MappedMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // A child process for the multi-process tests: each subcommand does one thing to a shared file.
        .executableTarget(
            name: "MappedMemoryTestHelper",
            dependencies: ["MappedMemory"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MappedMemoryTests",
            dependencies: ["MappedMemory", "MappedMemoryTestHelper"]
        ),
        .executableTarget(
            name: "MappedStoreTestHelper",
            dependencies: ["MappedStore", "MappedMemory"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MappedStoreTests",
            dependencies: ["MappedStore", "MappedMemory", "MappedStoreTestHelper"]
        ),
        .testTarget(
            name: "EmbeddingsTests",
            dependencies: ["Embeddings", "MappedMemory"]
        ),
        .testTarget(
            name: "MnemapCLITests",
            dependencies: ["MappedMemory", "MnemapCLI"]
        ),
    ]
)
