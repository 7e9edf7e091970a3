import ArgumentParser
import Foundation
import MappedMemory
import VectorIndex

/// `mnemap index stat`: the shape of an index, like hnswlib's graph statistics.
struct IndexStatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat",
        abstract: "Show an index's counts, configuration, layer and degree histograms, size and residency.",
        discussion: "Reads every node's header and layer-0 list once (cost linear in the count); opens read-only beside a running writer."
    )

    @OptionGroup var path: IndexPath
    @Flag(help: "Print JSON instead of text.") var json = false

    struct StatJSON: Encodable {
        var path: String
        var count: Int
        var durableCount: Int
        var deleted: Int
        var dimension: Int
        var type: String
        var metric: String
        var M: Int
        var efConstruction: Int
        /// Nodes whose top layer is each index.
        var levels: [Int]
        /// Layer-0 nodes with each number of neighbours.
        var degrees: [Int]
        var bytes: Int
        var pageSize: Int
        var residentPages: Int
        var totalPages: Int
    }

    func run() throws {
        try reportingFailures {
            let stat = try path.open().stat()
            print(json ? renderJSON(stat) : renderText(stat))
        }
    }

    func renderJSON(_ stat: IndexStat) -> String {
        let configuration = stat.configuration
        let document = StatJSON(
            path: path.index, count: stat.count, durableCount: stat.durableCount, deleted: stat.deleted, dimension: configuration.dimension,
            type: ElementTypeName(configuration.elementType).rawValue, metric: MetricName(configuration.metric).rawValue,
            M: configuration.M, efConstruction: configuration.efConstruction, levels: stat.levels, degrees: stat.degrees,
            bytes: stat.bytes, pageSize: MappedFile.pageSize, residentPages: stat.residentPages, totalPages: stat.totalPages
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }

    func renderText(_ stat: IndexStat) -> String {
        let configuration = stat.configuration
        var lines = [
            "index        \(path.index)",
            "vectors      \(stat.count) (\(stat.durableCount) committed), \(stat.deleted) deleted",
            "dimensions   \(configuration.dimension), \(ElementTypeName(configuration.elementType).rawValue), \(MetricName(configuration.metric).rawValue)",
            "HNSW         M \(configuration.M) (\(2 * configuration.M) on layer 0), ef-construction \(configuration.efConstruction)",
            "size         \(formatBytes(Int64(stat.bytes)))",
            "resident     \(bar(stat.residentPages, of: stat.totalPages)) \(percent(stat.residentPages, of: stat.totalPages))  \(stat.residentPages)/\(stat.totalPages) pages",
            "",
            "layers (nodes by top layer)",
        ]
        lines += histogram(stat.levels, label: "layer")
        let nodes = stat.degrees.reduce(0, +)
        let links = stat.degrees.enumerated().reduce(0) { $0 + $1.offset * $1.element }
        lines.append("")
        lines.append("layer-0 degrees (nodes by neighbour count)" + (nodes > 0 ? String(format: ", mean %.1f", Double(links) / Double(nodes)) : ""))
        lines += histogram(stat.degrees, label: "degree", skipEmpty: true)
        return lines.joined(separator: "\n")
    }

    /// One row per bucket: its label, a bar and the count.
    private func histogram(_ counts: [Int], label: String, skipEmpty: Bool = false) -> [String] {
        let largest = counts.max() ?? 0
        let rows = counts.enumerated().filter { !skipEmpty || $0.element > 0 }
        guard !rows.isEmpty, largest > 0 else { return ["  (no nodes)"] }
        return rows.map { bucket, count in
            "  \(label) \(String(bucket).leftPadded(to: 3))  \(bar(count, of: largest))  \(count)"
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
