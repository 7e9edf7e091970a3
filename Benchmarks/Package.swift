// swift-tools-version: 6.2
// The benchmarks of Mnemap: MappedMemory against pread, Foundation's Data and FileHandle
// (`bash run.sh`), MappedStore against LMDB and SQLite (`bash run-store.sh`), and
// MiniLMEmbedder against sentence-transformers on PyTorch (`bash run-embeddings.sh`), and
// MemoryStore against Chroma, LanceDB and sqlite-vec (`bash run-memory.sh`).
// Its own package so that the library's build never waits for it.
import PackageDescription

let package = Package(
    name: "MnemapBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Mnemap", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "MappedMemoryBenchmarks",
            dependencies: [
                .product(name: "MappedMemory", package: "Mnemap"),
            ]
        ),
        // LMDB and SQLite, the system libraries (Debian: liblmdb-dev, libsqlite3-dev).
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"]), .brew(["lmdb"])]
        ),
        .systemLibrary(
            name: "CSQLite3",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .executableTarget(
            name: "MappedStoreBenchmarks",
            dependencies: [
                .product(name: "MappedStore", package: "Mnemap"),
                "CLMDB",
                "CSQLite3",
            ]
        ),
        .executableTarget(
            name: "VectorIndexBenchmarks",
            dependencies: [
                .product(name: "VectorIndex", package: "Mnemap"),
            ]
        ),
        // MappedJournal against a C shared-memory ring, a Unix socket, a pipe and a POSIX
        // message queue, between two processes (`bash run-journal.sh`).
        .target(
            name: "CIPCBaselines",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("rt", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "MappedJournalBenchmarks",
            dependencies: [
                .product(name: "MappedJournal", package: "Mnemap"),
                .product(name: "MappedMemory", package: "Mnemap"),
                "CIPCBaselines",
            ]
        ),
        // MiniLMEmbedder against sentence-transformers on PyTorch (`bash run-embeddings.sh`).
        .executableTarget(
            name: "EmbeddingsBenchmarks",
            dependencies: [
                .product(name: "Embeddings", package: "Mnemap"),
            ]
        ),
        // MemoryStore as agent memory against Chroma, LanceDB and sqlite-vec (`bash run-memory.sh`).
        .executableTarget(
            name: "MemoryBench",
            dependencies: [
                .product(name: "Mnemap", package: "Mnemap"),
                .product(name: "MappedStore", package: "Mnemap"),
                .product(name: "VectorIndex", package: "Mnemap"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
