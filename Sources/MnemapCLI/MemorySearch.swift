import ArgumentParser
import Foundation
import Mnemap

/// `mnemap search`: memories by meaning, words or both, with filters.
struct MemorySearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search memories by meaning (vector), words (text, BM25) or both (hybrid).",
        discussion: """
            Filters apply inside the search, so -k results come back when that many match. \
            --where takes a metadata condition such as 'topic = "tea" and priority >= 2' \
            (operators = != > >= < <= in nin contains, exists(f), and/or/not, parentheses; values \
            are JSON). The table shows the score, the vector (cosine) and text (BM25) scores, the \
            namespace, the age and the text; --json prints an array of hits with every field.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "The query.") var query: String
    @Option(help: "vector (by meaning), text (by words) or hybrid (both, fused by rank).") var mode: SearchMode = .hybrid
    @Option(name: .customShort("k"), help: "How many results, 1 to 1000.") var limit = 10
    @Option(help: ArgumentHelp("Only this namespace and those below it.", valueName: "prefix")) var namespace: String?
    @Option(help: "Only memories of this kind (repeat for several).") var kind: [MemoryKind] = []
    @Option(help: ArgumentHelp("Only memories created at or after this time (ISO 8601).", valueName: "time")) var after: String?
    @Option(help: ArgumentHelp("Only memories created before this time.", valueName: "time")) var before: String?
    @Option(help: ArgumentHelp("Only memories valid at this time (valid-from/valid-until).", valueName: "time")) var validAt: String?
    @OptionGroup var condition: WhereOptions
    @Option(help: ArgumentHelp("Weigh recent memories up: the score halves every such duration of age (7d…).", valueName: "duration")) var halfLife: String?
    @Option(help: ArgumentHelp("0 to 1: how much importance weighs in the score.", valueName: "w")) var importanceWeight: Double = 0
    @Flag(help: "Also return memories whose expiry time has passed.") var includeExpired = false
    @Option(help: ArgumentHelp("The query's vector, comma-separated (instead of embedding the query).", valueName: "numbers")) var vector: String?
    @Flag(help: "Show each memory's id in the table.") var ids = false

    func run() throws {
        try reportingFailures {
            let filter = MemoryFilter(
                namespacePrefix: namespace.flatMap(namespacePrefix), kinds: kind.isEmpty ? nil : Set(kind),
                createdAfter: try after.map { try parseDate($0, option: "--after") },
                createdBefore: try before.map { try parseDate($0, option: "--before") },
                validAt: try validAt.map { try parseDate($0, option: "--valid-at") },
                metadata: try condition.expression()
            )
            let request = SearchRequest(
                query: query, vector: try vector.map(parseVector), mode: mode, limit: limit, filter: filter, includeExpired: includeExpired,
                recencyHalfLife: try halfLife.map { try parseDuration($0, option: "--half-life") }, importanceWeight: importanceWeight
            )
            let store = try options.open(embedding: mode != .text && request.vector == nil)
            let hits = try store.search(request)
            try printOutput(options.json ? renderJSON(hits) : renderTable(hits, now: request.now))
        }
    }

    func renderJSON(_ hits: [SearchHit]) -> String {
        let items = hits.enumerated().map { rank, hit in
            var fields = ["\"rank\":\(rank + 1)", "\"score\":\(JSONValue.number(hit.score).jsonText)"]
            if let score = hit.vectorScore { fields.append("\"vectorScore\":\(JSONValue.number(Double(score)).jsonText)") }
            if let rank = hit.vectorRank { fields.append("\"vectorRank\":\(rank)") }
            if let score = hit.textScore { fields.append("\"textScore\":\(JSONValue.number(score).jsonText)") }
            if let rank = hit.textRank { fields.append("\"textRank\":\(rank)") }
            fields.append("\"memory\":\(memoryJSON(hit.memory))")
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + items.joined(separator: ",\n") + "]"
    }

    func renderTable(_ hits: [SearchHit], now: Date) -> String {
        guard !hits.isEmpty else { return "no memories found" }
        var header = ["#", "SCORE"]
        if mode != .text { header.append("VECTOR") }
        if mode != .vector { header.append("TEXT") }
        if ids { header.append("ID") }
        header += ["NAMESPACE", "AGE", "MEMORY"]
        var table = Table(header, rightAligned: Set(0..<(mode == .hybrid ? 4 : 3)))
        for (rank, hit) in hits.enumerated() {
            var row = [String(rank + 1), String(format: "%.4f", hit.score)]
            if mode != .text { row.append(hit.vectorScore.map { String(format: "%.4f", $0) } ?? "-") }
            if mode != .vector { row.append(hit.textScore.map { String(format: "%.3f", $0) } ?? "-") }
            if ids { row.append(hit.memory.id.description) }
            row += [oneLine(hit.memory.namespace, width: 24), age(of: hit.memory.createdAt, now: now), hit.memory.text]
            table.append(row)
        }
        return table.render()
    }
}
