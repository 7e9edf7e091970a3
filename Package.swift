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
        .library(name: "VectorIndex", targets: ["VectorIndex"]),
        .library(name: "MappedJournal", targets: ["MappedJournal"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "RemoteEmbeddings", targets: ["RemoteEmbeddings"]),
        .library(name: "Mnemap", targets: ["Mnemap"]),
        .library(name: "MnemapServer", targets: ["MnemapServer"]),
        .library(name: "MnemapMCP", targets: ["MnemapMCP"]),
        .executable(name: "mnemap", targets: ["MnemapCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The HTTP server (`mnemap serve`). Without the swift-configuration trait: nothing here reads it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The MCP server (`mnemap mcp`).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // Only what Swift cannot call: variadic calls (mremap, fcntl), the SIGBUS guard, CRC32C, futex.
        .target(name: "CMnemapShims"),
        .target(
            name: "MappedMemory",
            dependencies: [
                "CMnemapShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        // The transactional copy-on-write B+tree store.
        .target(
            name: "MappedStore",
            dependencies: [
                "MappedMemory",
                "CMnemapShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        // Exact and HNSW search over mapped vectors.
        .target(
            name: "VectorIndex",
            dependencies: [
                "MappedMemory",
                "CMnemapShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            // Distance kernels and graph walks are optimised in debug builds too: the tests build
            // real indexes, which an unoptimised build makes a hundred times slower.
            swiftSettings: strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // A persisted, memory-mapped log for producer/consumer IPC between processes.
        .target(
            name: "MappedJournal",
            dependencies: [
                "MappedMemory",
                "CMnemapShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        // Text to vectors: all-MiniLM-L6-v2 in Swift on mapped safetensors, and other embedders.
        .target(
            name: "Embeddings",
            dependencies: ["MappedMemory", "CMnemapShims"],
            swiftSettings: strict
        ),
        // Embeddings from an HTTP service (OpenAI's API and compatible servers). A target of its
        // own: it needs FoundationNetworking (libcurl and its TLS stack on Linux), which a program
        // that only opens and searches a store should neither load at start nor link.
        .target(
            name: "RemoteEmbeddings",
            dependencies: ["Embeddings"],
            swiftSettings: strict
        ),
        // Agent memory on the engines: records, text and vector search, filters, state, timeline.
        .target(
            name: "Mnemap",
            dependencies: ["MappedMemory", "MappedStore", "VectorIndex", "Embeddings"],
            swiftSettings: strict
        ),
        // The HTTP API over a MemoryStore: routes, bearer tokens confined to namespaces, limits,
        // Prometheus metrics, the OpenAPI document.
        .target(
            name: "MnemapServer",
            dependencies: [
                "Mnemap",
                "MnemapMCP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.embedInCode("openapi.json")],
            swiftSettings: strict
        ),
        // The MCP server over a MemoryStore: memory tools, the knowledge-graph tools of the reference
        // `memory` server, a resource per namespace.
        .target(
            name: "MnemapMCP",
            dependencies: [
                "Mnemap",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MnemapCLI",
            dependencies: [
                "MappedMemory",
                "MappedStore",
                "MappedJournal",
                "VectorIndex",
                "Embeddings",
                "RemoteEmbeddings",
                "Mnemap",
                "MnemapServer",
                "MnemapMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Child processes for the multi-process tests: each subcommand does one thing to shared files.
        .executableTarget(
            name: "MappedMemoryTestHelper",
            dependencies: ["MappedMemory"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MappedStoreTestHelper",
            dependencies: ["MappedStore", "MappedMemory"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VectorIndexTestHelper",
            dependencies: ["VectorIndex"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MnemapTestHelper",
            dependencies: ["Mnemap", "Embeddings"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MappedJournalTestHelper",
            dependencies: ["MappedJournal", "MappedMemory"],
            swiftSettings: strict
        ),
        // What the test targets share: child processes, a seeded generator.
        .target(name: "MnemapTestSupport", path: "Sources/MnemapTestSupport"),
        // Test targets do not take the experimental features: the Swift Testing macros break with them.
        .testTarget(
            name: "MappedMemoryTests",
            dependencies: ["MappedMemory", "MappedMemoryTestHelper", "MnemapTestSupport"]
        ),
        .testTarget(
            name: "MappedStoreTests",
            dependencies: ["MappedStore", "MappedMemory", "MappedStoreTestHelper", "MnemapTestSupport"]
        ),
        .testTarget(
            name: "VectorIndexTests",
            dependencies: ["VectorIndex", "MappedMemory", "MappedStore", "VectorIndexTestHelper", "MnemapTestSupport"]
        ),
        .testTarget(
            name: "MappedJournalTests",
            dependencies: ["MappedJournal", "MappedMemory", "MappedJournalTestHelper", "MnemapTestSupport"]
        ),
        .testTarget(
            name: "EmbeddingsTests",
            dependencies: ["Embeddings", "RemoteEmbeddings", "MappedMemory"]
        ),
        .testTarget(
            name: "MnemapTests",
            dependencies: ["Mnemap", "MappedStore", "VectorIndex", "Embeddings", "MnemapTestHelper", "MnemapTestSupport"]
        ),
        .testTarget(
            name: "MnemapServerTests",
            dependencies: [
                "MnemapServer", "Mnemap", "MappedStore", "Embeddings", "MnemapTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MnemapMCPTests",
            dependencies: [
                // MnemapCLI: the tests start `mnemap mcp` processes.
                "MnemapMCP", "Mnemap", "Embeddings", "MnemapCLI", "MnemapTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "MnemapCLITests",
            dependencies: ["MappedMemory", "MappedStore", "MappedJournal", "VectorIndex", "Embeddings", "MnemapCLI", "MnemapTestSupport"]
        ),
    ]
)
