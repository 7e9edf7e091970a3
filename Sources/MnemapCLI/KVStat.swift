import ArgumentParser
import Foundation
import MappedStore

/// `mnemap kv stat`: the shape of a store and who holds it back, like mdb_stat.
struct KVStat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat",
        abstract: "Show pages, trees, free pages and readers of a store.",
        discussion: """
            Pending free pages are freed pages that a reader (or the durable state) may still \
            see; the oldest reader pins those freed after its snapshot, and the file grows by \
            them until it ends. Does not walk the trees: the counts are those each tree keeps.
            """
    )

    @OptionGroup var path: StorePath
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        try reportingFailures {
            let stat = try MappedStore.existing(path.store).stat()
            print(json ? renderJSON(stat) : renderTable(stat))
        }
    }

    struct TreeJSON: Encodable {
        var entries: UInt64
        var depth: UInt32
        var branchPages: UInt64
        var leafPages: UInt64
        var overflowPages: UInt64

        init(_ info: TreeInfo) {
            entries = info.entries
            depth = info.depth
            branchPages = info.branchPages
            leafPages = info.leafPages
            overflowPages = info.overflowPages
        }
    }

    struct ReaderJSON: Encodable {
        var pid: Int32
        var txnID: UInt64
    }

    struct StatJSON: Encodable {
        var path: String
        var txnID: UInt64
        var durableTxnID: UInt64
        var pageSize: Int
        var pages: UInt64
        var fileSize: Int64
        var reusablePages: Int
        var pendingPages: Int
        var freeListRuns: Int
        var main: TreeJSON
        var trees: [String: TreeJSON]
        var readers: [ReaderJSON]
        var oldestReader: UInt64?
        var pagesPinnedByOldestReader: Int
    }

    func renderJSON(_ stat: StoreStat) -> String {
        let document = StatJSON(
            path: path.store, txnID: stat.txnID, durableTxnID: stat.durableTxnID, pageSize: stat.pageSize,
            pages: stat.pageCount, fileSize: stat.fileSize, reusablePages: stat.reusablePages, pendingPages: stat.pendingPages,
            freeListRuns: stat.freeListRuns, main: TreeJSON(stat.main), trees: stat.trees.mapValues(TreeJSON.init),
            readers: stat.readers.map { ReaderJSON(pid: $0.pid, txnID: $0.txnID) },
            oldestReader: stat.oldestReader, pagesPinnedByOldestReader: stat.pagesPinnedByOldestReader
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }

    func renderTable(_ stat: StoreStat) -> String {
        let used = Int64(stat.pageCount) * Int64(stat.pageSize)
        var lines = [
            "store        \(path.store)",
            "transaction  \(stat.txnID) (durable: \(stat.durableTxnID))",
            "pages        \(stat.pageCount) of \(stat.pageSize) bytes: \(formatBytes(used)) in use, file \(formatBytes(stat.fileSize))",
            "free pages   \(stat.reusablePages) reusable, \(stat.pendingPages) pending (free list: \(stat.freeListRuns) run\(stat.freeListRuns == 1 ? "" : "s"))",
        ]
        if stat.readers.isEmpty {
            lines.append("readers      none")
        } else {
            let list = stat.readers.map { "pid \($0.pid) at \($0.txnID)" }.joined(separator: ", ")
            lines.append("readers      \(stat.readers.count): \(list)")
            if let oldest = stat.oldestReader {
                lines.append("oldest       transaction \(oldest), pinning \(stat.pagesPinnedByOldestReader) freed pages")
            }
        }
        lines.append("")
        let rows = [("(main)", stat.main)] + stat.trees.keys.sorted().map { (escapedText(Array($0.utf8)), stat.trees[$0]!) }
        let width = max(12, rows.map { $0.0.count }.max()! + 2)
        func row(_ cells: [String]) -> String {
            cells[0].padding(toLength: width, withPad: " ", startingAt: 0)
                + cells.dropFirst().map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
        }
        lines.append(row(["tree", "entries", "depth", "branch", "leaf", "overflow"]))
        for (name, info) in rows {
            lines.append(row([name, "\(info.entries)", "\(info.depth)", "\(info.branchPages)", "\(info.leafPages)", "\(info.overflowPages)"]))
        }
        return lines.joined(separator: "\n")
    }
}
