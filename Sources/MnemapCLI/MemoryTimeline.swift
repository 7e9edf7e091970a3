import ArgumentParser
import Foundation
import Mnemap

/// `mnemap timeline`: a namespace's memories in time order, a page at a time.
struct MemoryTimeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "List a namespace's memories in time order, a page at a time.",
        discussion: """
            Oldest first (--newest-first to reverse). When more follow, the last line gives the \
            cursor for the next page: pass it to --after. With --json, prints \
            {"memories": [...], "next": cursor or null}.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Option(help: "The namespace.") var namespace: String
    @Flag(help: "Also the namespaces below it.") var children = false
    @Option(help: "Memories per page, 1 to 1000.") var limit = 50
    @Option(help: ArgumentHelp("Continue after this cursor (a memory id, as the previous page printed).", valueName: "cursor")) var after: String?
    @Flag(help: "Newest memory first.") var newestFirst = false

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            let page = try store.timeline(namespace: namespace, includingChildren: children, after: after, limit: limit, newestFirst: newestFirst)
            if options.json {
                let next = page.next.map { JSONValue.string($0).jsonText } ?? "null"
                try printOutput("{\"memories\":[" + page.items.map(memoryJSON).joined(separator: ",\n") + "],\"next\":\(next)}")
                return
            }
            guard !page.items.isEmpty else { return try printOutput("no memories in \(namespace)\(after == nil ? "" : " after \(after!)")") }
            let now = Date()
            var table = Table(["ID", "AGE", "KIND"] + (children ? ["NAMESPACE"] : []) + ["MEMORY"])
            for memory in page.items {
                table.append([memory.id.description, age(of: memory.createdAt, now: now), memory.kind.rawValue] + (children ? [oneLine(memory.namespace, width: 24)] : []) + [memory.text])
            }
            var text = table.render()
            if let next = page.next { text += "\nnext: --after \(next)" }
            try printOutput(text)
        }
    }
}
