import ArgumentParser
import Foundation
import VectorIndex

/// `mnemap index`: build, search, inspect, verify and compact VectorIndex folders, like
/// hnswlib's and FAISS's tools. Each subcommand is a thin layer over the library.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build, search, inspect, check and compact vector indexes (HNSW over mapped files).",
        discussion: """
            Vectors are read from raw little-endian Float32 files (.f32, with --dimension) or \
            NumPy .npy files (dtype '<f4', 2-D, C order). Commands other than build never create \
            an index. Errors are printed on standard error and the exit status is 1.
            """,
        subcommands: [IndexBuild.self, IndexSearch.self, IndexStatCommand.self, IndexCheck.self, IndexCompact.self]
    )
}

/// The index folder every subcommand works on.
struct IndexPath: ParsableArguments {
    @Argument(help: "The index folder.", completion: .directory)
    var index: String

    /// Opens the existing index read-only (searchers and checkers never take the writer lock).
    func open() throws -> VectorIndex {
        try requireIndex()
        return try VectorIndex(directory: index)
    }

    /// Fails with a message that says what to do when the folder holds no index.
    func requireIndex() throws(CommandFailure) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: index, isDirectory: &isFolder) else {
            throw CommandFailure("no index at '\(index)': the folder does not exist. Build one with `mnemap index build`.")
        }
        guard isFolder.boolValue, FileManager.default.fileExists(atPath: index + "/vectors") else {
            throw CommandFailure("'\(index)' is not a vector index (no 'vectors' file in a folder). Build one with `mnemap index build`.")
        }
    }
}

/// Metric names on the command line.
enum MetricName: String, ExpressibleByArgument, CaseIterable {
    case cosine, ip, l2

    var metric: Metric {
        switch self {
        case .cosine: .cosine
        case .ip: .innerProduct
        case .l2: .l2
        }
    }

    init(_ metric: Metric) {
        switch metric {
        case .cosine: self = .cosine
        case .innerProduct: self = .ip
        case .l2: self = .l2
        }
    }
}

/// Element type names on the command line.
enum ElementTypeName: String, ExpressibleByArgument, CaseIterable {
    case f32, f16, i8

    var elementType: ElementType {
        switch self {
        case .f32: .float32
        case .f16: .float16
        case .i8: .int8
        }
    }

    init(_ type: ElementType) {
        switch type {
        case .float32: self = .f32
        case .float16: self = .f16
        case .int8: self = .i8
        }
    }
}

/// Standard error, for progress lines that rewrite themselves with a carriage return.
func printProgress(_ line: String) {
    FileHandle.standardError.write(Data(("\r" + line).utf8))
}

/// Ends the progress line, so that what follows starts on a line of its own.
func endProgress() {
    FileHandle.standardError.write(Data("\n".utf8))
}
