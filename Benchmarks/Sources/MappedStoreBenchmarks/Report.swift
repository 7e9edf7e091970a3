import Foundation

/// The results as a Markdown table, then the issue's targets, each PASS or MISS.
struct Report {
    let rows: [Row]
    let settings: Settings

    private func baseline(_ engine: String, _ phase: Phase) -> Row? {
        rows.first { $0.engine == engine && $0.phase == phase }
    }

    /// How many times faster `row` is than `engine`'s row of the same phase (ops/s against ops/s).
    func ratio(_ row: Row, over engine: String) -> Double? {
        baseline(engine, row.phase).map { row.operationsPerSecond / $0.operationsPerSecond }
    }

    private func format(_ ratio: Double?) -> String {
        ratio.map { String(format: "%.2fx", $0) } ?? "-"
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    func table() -> String {
        let header = ["phase", "engine", "how", "ops", "ops/s", "ns/op", "vs LMDB", "vs SQLite", "file after (MB)"]
        var lines: [[String]] = []
        for phase in Phase.allCases {
            for row in rows where row.phase == phase {
                var how = row.variant
                if row.durations.count > 1 {
                    how += (how.isEmpty ? "" : "; ") + String(format: "median %.0f ns", row.median.seconds * 1e9 / Double(row.operations))
                }
                lines.append([
                    phase.label, row.engine, how, "\(row.operations)",
                    String(format: "%.0f", row.operationsPerSecond),
                    String(format: "%.1f", row.nanosecondsPerOperation),
                    row.engine == "LMDB" ? "1.00x" : format(ratio(row, over: "LMDB")),
                    row.engine == "SQLite" ? "1.00x" : format(ratio(row, over: "SQLite")),
                    String(format: "%.1f", Double(row.fileBytes) / 1e6),
                ])
            }
        }
        let widths = header.indices.map { column in ([header[column]] + lines.map { $0[column] }).map(\.count).max()! }
        let numeric = Set([3, 4, 5, 6, 7, 8])
        func render(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { Self.pad($1, widths[$0], right: numeric.contains($0)) }.joined(separator: " | ") + " |"
        }
        var text = render(header) + "\n"
        text += "|" + widths.indices.map { numeric.contains($0) ? String(repeating: "-", count: widths[$0] + 1) + ":" : String(repeating: "-", count: widths[$0] + 2) }.joined(separator: "|") + "|\n"
        for line in lines { text += render(line) + "\n" }
        return text
    }

    /// The targets: random get, scan and batched puts >= 1.0x LMDB; every figure >= 5x SQLite.
    func targets() -> String {
        var lines: [String] = []
        func check(_ label: String, _ value: Double?, _ goal: Double) {
            guard let value else { lines.append("  n/a   \(label)"); return }
            lines.append(String(format: "  %@  %@: %.2fx (target %.1fx)", value >= goal ? "PASS" : "MISS", label, value, goal))
        }
        let store = rows.filter { $0.engine == "MappedStore" }
        func storeRow(_ phase: Phase, _ variantPrefix: String = "") -> Row? {
            store.first { $0.phase == phase && $0.variant.hasPrefix(variantPrefix) }
        }
        if let row = storeRow(.get, "withValue (") { check("random get (withValue, zero-copy) vs LMDB mdb_get", ratio(row, over: "LMDB"), 1.0) }
        if let row = storeRow(.get, "withValue, key bytes") { check("random get (withValue, key bytes from one buffer as LMDB's) vs LMDB mdb_get", ratio(row, over: "LMDB"), 1.0) }
        if let row = storeRow(.get, "get()") { check("random get (get() copying) vs LMDB mdb_get", ratio(row, over: "LMDB"), 1.0) }
        if let row = storeRow(.scan) { check("full scan vs LMDB", ratio(row, over: "LMDB"), 1.0) }
        if let row = storeRow(.putBatchSynced) { check("batched puts (1000/txn, synced) vs LMDB", ratio(row, over: "LMDB"), 1.0) }
        if let row = storeRow(.putBatchNoSync) { check("batched puts (1000/txn, no sync) vs LMDB", ratio(row, over: "LMDB"), 1.0) }
        for row in store where row.phase != .getAfterLoad && row.phase != .scanAfterLoad {
            check("\(row.phase.label)\(row.variant.isEmpty ? "" : " [\(row.variant)]") vs SQLite", ratio(row, over: "SQLite"), 5.0)
        }
        return "Targets (MappedStore):\n" + lines.joined(separator: "\n")
    }
}
