import ArgumentParser
import Foundation
import Mnemap

/// `mnemap export`: memories to a JSON Lines file.
struct MemoryExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write memories to a JSON Lines file, one memory per line in creation order.",
        discussion: """
            Every field is written, and the vector unless --no-vectors (then `mnemap import` embeds \
            the texts again). Importing the file into an empty store with the same embedder gives \
            the same memories. Runs on one snapshot: writes made meanwhile are not in the file.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "The file to write (replaced if it exists).", completion: .file()) var file: String
    @Option(help: ArgumentHelp("Only this namespace and those below it.", valueName: "prefix")) var namespace: String?
    @Flag(help: "Leave out the vectors (a smaller file; import embeds again).") var noVectors = false

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            let filter = MemoryFilter(namespacePrefix: namespace.flatMap(namespacePrefix))
            let count = try store.exportJSONLines(to: file, filter: filter, includeVectors: !noVectors)
            if options.json {
                try printOutput(JSONValue.object(["file": .string(file), "exported": .number(Double(count))]).jsonText)
            } else {
                try printOutput("exported \(counted(count, "memory", "memories")) to \(file)")
            }
        }
    }
}
