// swift-tools-version: 6.2
// The benchmarks of MappedMemory against pread, Foundation's Data and FileHandle.
// Its own package so that the library's build never waits for it: run `bash run.sh`.
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
        .executableTarget(
            name: "VectorIndexBenchmarks",
            dependencies: [
                .product(name: "VectorIndex", package: "Mnemap"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
