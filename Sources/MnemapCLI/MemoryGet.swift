import ArgumentParser
import Foundation
import Mnemap

/// `mnemap get`: memories by id.
struct MemoryGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show memories by id.",
        discussion: """
            With --json, one JSON object per memory and line (the fields of `mnemap export`). \
            --history also shows the earlier versions that updates kept, oldest first. Exit status \
            1 when an id is not in the store.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "Memory ids (26 characters).") var ids: [String]
    @Flag(help: "Also show the earlier versions.") var history = false

    func run() throws {
        try reportingFailures {
            let ids = try parseIDs(self.ids)
            let store = try options.open(embedding: false)
            var blocks: [String] = []
            var missing: [MemoryID] = []
            for id in ids {
                guard let memory = try store.get(id) else {
                    missing.append(id)
                    continue
                }
                let earlier = history ? try store.history(of: id) : []
                if options.json {
                    var line = memoryJSON(memory)
                    if history {
                        line.removeLast()
                        line += ",\"history\":[" + earlier.map(memoryJSON).joined(separator: ",") + "]}"
                    }
                    blocks.append(line)
                } else {
                    var block = describe(memory)
                    for version in earlier {
                        block += "\n\n--- earlier version \(version.version)\n" + describe(version)
                    }
                    blocks.append(block)
                }
            }
            if !blocks.isEmpty { try printOutput(blocks.joined(separator: options.json ? "\n" : "\n\n")) }
            if let first = missing.first {
                throw missing.count == 1 ? MemoryError.notFound(first) : CommandFailure("no memories with ids \(missing.map(\.description).joined(separator: ", ")).")
            }
        }
    }
}
