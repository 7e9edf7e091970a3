import ArgumentParser
import Mnemap

/// `mnemap state list`: every key and value of a namespace.
struct MemoryStateList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a namespace's state keys and values in key order.",
        discussion: "With --json, an array of {\"key\": ..., \"value\": ...}."
    )

    @OptionGroup var options: MemoryOptions
    @OptionGroup var scope: StateNamespace

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            var entries: [StateEntry] = []
            var cursor: String?
            repeat {
                let page = try store.stateEntries(in: scope.namespace, after: cursor, limit: 1000)
                entries += page.items
                cursor = page.next
            } while cursor != nil
            if options.json {
                let items = entries.map { JSONValue.object(["key": .string($0.key), "value": $0.value]) }
                return try printOutput(JSONValue.array(items).jsonText)
            }
            guard !entries.isEmpty else { return try printOutput("no state in namespace \(scope.namespace)") }
            var table = Table(["KEY", "VALUE"])
            for entry in entries { table.append([entry.key, entry.value.jsonText]) }
            try printOutput(table.render())
        }
    }
}
