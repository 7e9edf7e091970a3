import ArgumentParser
import Foundation
import VectorIndex

/// `mnemap index search`: the nearest vectors to each query.
struct IndexSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the k nearest vectors to queries from a file (.f32 or .npy) or typed in.",
        discussion: """
            Prints one line per query: the ids, nearest first, each with its score (cosine \
            similarity, dot product, or squared L2 distance). With --json, one JSON object per \
            line: {"query": i, "ids": [...], "scores": [...]}. Without --exact the search is \
            approximate (HNSW); a larger --ef finds more of the true neighbours, more slowly.
            """
    )

    @OptionGroup var path: IndexPath

    @Option(help: ArgumentHelp("Queries: raw little-endian Float32 (.f32, rows of the index's dimension) or NumPy .npy.", valueName: "file"), completion: .file())
    var queries: String?

    // Unconditional: a vector often starts with a minus sign, which is not an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("One query typed in: components separated by commas, e.g. \"-0.1,0.2,0.3\".", valueName: "x,y,…"))
    var vector: String?

    @Option(name: .customShort("k"), help: "Neighbours per query.")
    var k = 10

    @Option(help: "HNSW: candidate list size while searching (at least k is used).")
    var ef = 64

    @Flag(help: "Scan every vector: exact results, cost linear in the index size.")
    var exact = false

    @Flag(help: "Print JSON Lines instead of text.")
    var json = false

    func validate() throws {
        guard (queries == nil) != (vector == nil) else { throw ValidationError("give the queries with either --queries <file> or --vector \"x,y,…\".") }
        guard k >= 1 else { throw ValidationError("-k must be at least 1.") }
        guard ef >= 1 else { throw ValidationError("--ef must be at least 1.") }
    }

    func run() throws {
        try reportingFailures {
            let index = try path.open()
            let dimension = index.configuration.dimension
            let queries = try self.queryVectors(dimension: dimension)
            index.efSearch = ef
            let results: [[SearchResult]]
            if exact {
                results = try queries.map { try index.exactSearch($0, k: k) }
            } else {
                results = try index.search(queries, k: k)
            }
            var output = StandardOutput()
            for (number, found) in results.enumerated() {
                try output.write(json ? jsonLine(number, found) : textLine(number, found))
            }
            try output.flush()
        }
    }

    private func queryVectors(dimension: Int) throws -> [[Float]] {
        if let queries {
            return try VectorFile(path: queries, dimension: dimension, dimensionSource: "the index at '\(path.index)' has \(dimension) dimensions").rows()
        }
        let fields = (vector ?? "").split(whereSeparator: { $0 == "," || $0 == " " })
        var components: [Float] = []
        for (position, field) in fields.enumerated() {
            guard let component = Float(field), component.isFinite else {
                throw CommandFailure("component \(position + 1) of --vector, '\(field)', is not a finite number.")
            }
            components.append(component)
        }
        guard components.count == dimension else {
            throw CommandFailure("--vector has \(components.count) components, but the index at '\(path.index)' has \(dimension) dimensions.")
        }
        return [components]
    }

    private func textLine(_ query: Int, _ found: [SearchResult]) -> String {
        let list = found.map { "\($0.id) (\(String(format: "%.6g", $0.score)))" }.joined(separator: ", ")
        return "query \(query): \(found.isEmpty ? "no results" : list)\n"
    }

    /// Scores are written in full (shortest round-trip form), so they compare equal to the library's.
    private func jsonLine(_ query: Int, _ found: [SearchResult]) -> String {
        let ids = found.map { String($0.id) }.joined(separator: ", ")
        let scores = found.map { "\($0.score)" }.joined(separator: ", ")
        return "{\"query\": \(query), \"ids\": [\(ids)], \"scores\": [\(scores)]}\n"
    }
}
