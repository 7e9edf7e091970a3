import ArgumentParser
import Foundation
import MappedStore

/// `mnemap kv check`: verify every page of a store, like `bbolt check`.
struct KVCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a store: checksums, key order, tree shape, counts, and that every page is used once.",
        discussion: "Reads every page once, beside running readers and writers. Exit status 1 when problems are found."
    )

    @OptionGroup var path: StorePath
    @Flag(help: "Print JSON instead of text.") var json = false

    struct ReportJSON: Encodable {
        var path: String
        var intact: Bool
        var problems: [String]
        var txnID: UInt64
        var pages: UInt64
        var treePages: UInt64
        var freePages: UInt64
        var entries: UInt64
        var trees: Int
    }

    func run() throws {
        try reportingFailures {
            // Checksums are left to the checker, which names each bad page and goes on.
            let store = try MappedStore(path: path.store, options: .init(create: false))
            let report = try store.check()
            print(json ? renderJSON(report) : renderText(report))
            if !report.isIntact { throw ExitCode(1) }
        }
    }

    /// Entries in the main and named trees: the report also counts the catalog's, one per named tree.
    func entries(_ report: CheckReport) -> UInt64 {
        report.entries - min(report.entries, UInt64(report.trees))
    }

    func renderText(_ report: CheckReport) -> String {
        var lines = [
            report.isIntact ? "'\(path.store)' is intact" : "'\(path.store)' has \(report.problems.count) \(report.problems.count == 1 ? "problem" : "problems")",
            "transaction  \(report.txnID)",
            "pages        \(report.pageCount): \(report.treePages) in trees, \(report.freePages) free, 2 meta",
            "entries      \(entries(report)) in the main tree and \(report.trees) named \(report.trees == 1 ? "tree" : "trees")",
        ]
        if !report.isIntact {
            lines.append("problems:")
            lines += report.problems.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    func renderJSON(_ report: CheckReport) -> String {
        let document = ReportJSON(
            path: path.store, intact: report.isIntact, problems: report.problems, txnID: report.txnID, pages: report.pageCount,
            treePages: report.treePages, freePages: report.freePages, entries: entries(report), trees: report.trees
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }
}
