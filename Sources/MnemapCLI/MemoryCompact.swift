import ArgumentParser
import Mnemap

/// `mnemap compact`: reclaim the space of forgotten and updated memories' vectors.
struct MemoryCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rebuild the vector index without the vectors no memory uses.",
        discussion: """
            Searches go on meanwhile (on the old index until they start again); writers wait. A \
            crash leaves the store on the old or the new index, never between.
            """
    )

    @OptionGroup var options: MemoryOptions

    func run() throws {
        try reportingFailures {
            let reclaimed = try options.open(embedding: false).compact()
            if options.json {
                try printOutput(JSONValue.object(["reclaimedVectorSlots": .number(Double(reclaimed))]).jsonText)
            } else {
                try printOutput("compacted \(options.path): \(counted(reclaimed, "vector slot")) reclaimed")
            }
        }
    }
}
