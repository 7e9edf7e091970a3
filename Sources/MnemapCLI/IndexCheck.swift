import ArgumentParser
import VectorIndex

/// `mnemap index check`: verify every node of an index.
struct IndexCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify an index: every node's layer and neighbour lists, finite vectors, the entry point.",
        discussion: "Reads every node once; opens read-only beside a running writer. Exit status 1 when problems are found."
    )

    @OptionGroup var path: IndexPath

    func run() throws {
        try reportingFailures {
            let report = try path.open().check()
            let problems = report.problems.count
            var lines = [
                report.isIntact ? "'\(path.index)' is intact" : "'\(path.index)' has \(problems) \(problems == 1 ? "problem" : "problems")",
                "vectors  \(report.count), \(report.deleted) deleted",
            ]
            if !report.isIntact {
                lines.append("problems:")
                lines += report.problems.map { "  " + $0 }
            }
            print(lines.joined(separator: "\n"))
            if !report.isIntact { throw ExitCode(1) }
        }
    }
}
