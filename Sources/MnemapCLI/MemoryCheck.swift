import ArgumentParser
import Mnemap

/// `mnemap check`: verify a store.
struct MemoryCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a store: pages and checksums, the vector index, and that its trees agree.",
        discussion: "Reads the whole store and index. Exit status 1 when a problem is found; each is listed."
    )

    @OptionGroup var options: MemoryOptions

    func run() throws {
        try reportingFailures {
            let report = try options.open(embedding: false).check()
            if options.json {
                let object: JSONValue = [
                    "intact": .bool(report.isIntact), "memories": .number(Double(report.memories)),
                    "problems": .array(report.problems.map { .string($0) }),
                ]
                try printOutput(object.jsonText)
            } else if report.isIntact {
                try printOutput("\(options.path): intact, \(counted(report.memories, "memory", "memories"))")
            } else {
                try printOutput(report.problems.joined(separator: "\n"))
            }
            if !report.isIntact {
                throw CommandFailure("\(options.path): \(counted(report.problems.count, "problem")) found; `mnemap export` what can be read and import it into a new store.")
            }
        }
    }
}
