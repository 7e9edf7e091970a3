import ArgumentParser
import Foundation
import VectorIndex

/// `mnemap index build`: a new index from a file of vectors.
struct IndexBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a new index from a .f32 or .npy file of vectors.",
        discussion: """
            Ids are the row numbers of the file (0, 1, 2, …). Progress is shown on standard \
            error; the index is committed every 10,000 vectors and at the end, so a \
            build that fails or is interrupted leaves the index with the vectors committed before; \
            delete the folder and build again.
            """
    )

    static let commitInterval = 10_000
    /// What `VectorIndex(directory:)` reserves address space for by default, and so what the
    /// other commands can open.
    static let maxCount = 1 << 24

    @OptionGroup var path: IndexPath

    @Option(name: .customLong("from"), help: ArgumentHelp("The vectors: raw little-endian Float32 (.f32) or NumPy .npy (dtype '<f4', 2-D, C order).", valueName: "file"), completion: .file())
    var source: String

    @Option(help: ArgumentHelp("Components per vector; required for .f32 files, checked against .npy headers.", valueName: "n"))
    var dimension: Int?

    @Option(help: "How vectors are compared: cosine similarity, inner product, or Euclidean (L2) distance.")
    var metric: MetricName = .cosine

    @Option(name: .customLong("type"), help: "How components are stored: f32 (exact), f16 (half), i8 (quantised, 4x smaller).")
    var elementType: ElementTypeName = .f32

    @Option(name: .customLong("M"), help: "HNSW: neighbours per node (2·M on layer 0).")
    var M = 16

    @Option(name: .customLong("ef-construction"), help: "HNSW: candidate list size while building (higher: better graph, slower build).")
    var efConstruction = 200

    @Option(help: ArgumentHelp("Add only the first n vectors of the file.", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be at least 1.") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    func run() throws {
        try reportingFailures {
            if FileManager.default.fileExists(atPath: path.index + "/vectors") {
                throw CommandFailure("'\(path.index)' already holds an index. Build into a new folder, or delete this one first.")
            }
            let file = try VectorFile(path: source, dimension: dimension, dimensionSource: "--dimension \(dimension ?? 0) was given")
            let total = min(file.count, limit ?? file.count)
            guard total > 0 else { throw CommandFailure("'\(source)' holds no vectors.") }
            guard total <= Self.maxCount else {
                throw CommandFailure("'\(source)' holds \(total) vectors; an index holds at most \(Self.maxCount) as the commands open it. Build from part of it with --limit.")
            }
            let configuration = IndexConfiguration(
                dimension: file.dimension, metric: metric.metric, elementType: elementType.elementType, M: M, efConstruction: efConstruction
            )
            let index = try VectorIndex.create(at: path.index, configuration: configuration, maxCount: Self.maxCount)
            let clock = ContinuousClock()
            let started = clock.now
            let step = max(1, total / 100)
            for row in 0..<total {
                do {
                    try index.add(file.row(row))
                } catch let error as VectorIndexError where error.reason == .notFinite {
                    try index.commit()
                    endProgress()
                    throw CommandFailure("row \(row) of '\(source)' holds NaN or infinity; the index keeps the \(row) rows before it. Fix the file and build again.")
                }
                let added = row + 1
                if added % Self.commitInterval == 0 { try index.commit() }
                if added % step == 0 || added == total {
                    printProgress(progressLine(added, of: total, seconds: seconds(since: started, clock)))
                }
            }
            try index.commit()
            endProgress()
            let elapsed = seconds(since: started, clock)
            print(
                "built '\(path.index)': \(total) vectors of \(file.dimension) dimensions (\(metric.rawValue), \(elementType.rawValue), M \(M), ef-construction \(efConstruction)) in \(String(format: "%.2f", elapsed)) s, \(rate(total, elapsed)) vectors/s"
            )
        }
    }

    private func progressLine(_ added: Int, of total: Int, seconds: Double) -> String {
        let line = "building: \(added)/\(total) vectors (\(added * 100 / total)%), \(rate(added, seconds)) vectors/s"
        return line.padding(toLength: max(line.count, 60), withPad: " ", startingAt: 0)
    }
}
