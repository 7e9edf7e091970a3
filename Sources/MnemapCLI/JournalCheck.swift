import ArgumentParser
import MappedJournal

/// `mnemap journal check`: verify every record's checksum and the segment indexes.
struct JournalCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every segment header, every record's CRC32C and every segment index entry.",
        discussion: "Prints each problem with the segment file and the byte offset; exit status 1 when there is any."
    )

    @OptionGroup var location: JournalLocation
    @Flag(help: "Print JSON instead of text.") var json = false

    struct ProblemJSON: Encodable {
        var path: String?
        var offset: Int?
        var message: String
    }

    struct CheckJSON: Encodable {
        var healthy: Bool
        var segments: Int
        var records: Int
        var problems: [ProblemJSON]
    }

    func run() throws {
        let journal = try openJournal(location.directory, access: .readOnly)
        let report = try reportingJournalErrors { () throws(JournalError) in try journal.check() }
        if json {
            let problems = report.problems.map { ProblemJSON(path: $0.path, offset: $0.offset, message: $0.description) }
            print(jsonLine(CheckJSON(healthy: report.isHealthy, segments: report.segments.count, records: report.records, problems: problems)))
        } else {
            for problem in report.problems { printError(problem.description) }
            print("\(report.isHealthy ? "ok" : "damaged"): \(report.records) records in \(report.segments.count) segments, \(report.problems.count) problems")
        }
        if !report.isHealthy { throw ExitCode(1) }
    }
}
