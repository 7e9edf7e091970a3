import ArgumentParser
import Foundation
import MappedMemory

/// `mnemap cache status`: resident pages per file and in all.
struct CacheStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show how much of each file is in the page cache (resident pages / total)."
    )

    @OptionGroup var options: CachePaths
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        try reportEachFile(under: options.paths, json: json) { path throws(MappedMemoryError) in
            try PageCache.residency(ofFileAt: path)
        }
    }
}

struct StatusJSON: Encodable {
    var pageSize: Int
    var files: [FileReport]
    var residentPages: Int
    var totalPages: Int
    var residentBytes: Int64
    var bytes: Int64
}

/// The status table (or JSON) for `reports`; shared by the subcommands that report after acting.
func render(_ reports: [FileReport], json: Bool) -> String {
    let page = MappedFile.pageSize
    let resident = reports.reduce(0) { $0 + $1.residentPages }
    let total = reports.reduce(0) { $0 + $1.totalPages }
    let bytes = reports.reduce(Int64(0)) { $0 + $1.bytes }
    let residentBytes = Int64(resident * page)
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document = StatusJSON(pageSize: page, files: reports, residentPages: resident, totalPages: total, residentBytes: residentBytes, bytes: bytes)
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }
    var lines: [String] = []
    for report in reports {
        let pages = report.totalPages == 0 ? "empty file" : "\(report.residentPages)/\(report.totalPages) pages"
        lines.append("\(bar(report.residentPages, of: report.totalPages)) \(percent(report.residentPages, of: report.totalPages))  \(pages.padding(toLength: 22, withPad: " ", startingAt: 0)) \(report.path)")
    }
    lines.append("\(bar(resident, of: total)) \(percent(resident, of: total))  \(resident)/\(total) pages in \(reports.count) \(reports.count == 1 ? "file" : "files"): \(formatBytes(min(residentBytes, bytes))) of \(formatBytes(bytes)) resident")
    return lines.joined(separator: "\n")
}
