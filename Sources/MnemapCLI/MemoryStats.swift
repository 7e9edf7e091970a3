import ArgumentParser
import Foundation
import Mnemap

/// `mnemap stats`: counts and sizes of a store.
struct MemoryStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a store's counts and sizes (memories, namespaces, versions, state, vectors, text index).",
        discussion: "Reads tree headers, not the records: fast on any size. --namespaces also lists each namespace with its count."
    )

    @OptionGroup var options: MemoryOptions
    @Flag(help: "Also list the namespaces and how many memories each holds.") var namespaces = false

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            let stats = try store.stats()
            var counts: [NamespaceCount] = []
            if namespaces {
                var cursor: String?
                repeat {
                    let page = try store.namespaces(after: cursor)
                    counts += page.items
                    cursor = page.next
                } while cursor != nil
            }
            let type = VectorElementType(store.manifest.elementType).rawValue
            if options.json {
                var object: [String: JSONValue] = [
                    "path": .string(options.path), "embedder": .string(stats.embedder), "dimension": .number(Double(stats.dimension)),
                    "elementType": .string(type), "memories": .number(Double(stats.memories)), "namespaces": .number(Double(stats.namespaces)),
                    "historyVersions": .number(Double(stats.historyVersions)), "stateKeys": .number(Double(stats.stateKeys)),
                    "expiring": .number(Double(stats.expiring)), "vectorSlots": .number(Double(stats.vectorSlots)),
                    "unusedVectorSlots": .number(Double(stats.unusedVectorSlots)), "textDocuments": .number(Double(stats.textDocuments)),
                    "textTokens": .number(Double(stats.textTokens)), "storeBytes": .number(Double(stats.storeBytes)),
                    "vectorBytes": .number(Double(stats.vectorBytes)),
                ]
                if namespaces {
                    object["namespaceCounts"] = .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.namespace, JSONValue.number(Double($0.count))) }))
                }
                return try printOutput(JSONValue.object(object).jsonText)
            }
            var lines = [
                "store         \(options.path)",
                "embedder      \(stats.embedder), \(stats.dimension) dimensions, \(type)",
                "memories      \(counted(stats.memories, "memory", "memories")) in \(counted(stats.namespaces, "namespace")), \(stats.expiring) with an expiry",
                "versions      \(counted(stats.historyVersions, "earlier version")) kept",
                "state         \(counted(stats.stateKeys, "key"))",
                "vectors       \(counted(stats.vectorSlots, "slot")), \(stats.unusedVectorSlots) unused" + (stats.unusedVectorSlots > 0 ? " (`mnemap compact` reclaims them)" : ""),
                "text index    \(counted(stats.textDocuments, "document")), \(counted(stats.textTokens, "token"))",
                "size          \(formatBytes(stats.storeBytes + stats.vectorBytes)) (store \(formatBytes(stats.storeBytes)), vectors \(formatBytes(stats.vectorBytes)))",
            ]
            if namespaces {
                lines.append("")
                var table = Table(["MEMORIES", "NAMESPACE"], rightAligned: [0])
                for count in counts { table.append([String(count.count), count.namespace]) }
                lines.append(counts.isEmpty ? "no namespaces" : table.render())
            }
            try printOutput(lines.joined(separator: "\n"))
        }
    }
}
