import ArgumentParser
import Foundation
import Mnemap

/// `mnemap forget`: delete memories by id, by namespace (and condition), or those expired.
struct MemoryForget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Delete memories: by id, a whole namespace (optionally --where), or --expired.",
        discussion: """
            Forgetting a namespace also forgets the namespaces below it. Forgetting by namespace \
            needs --yes (nothing is asked); --dry-run only counts what would go. Forgotten \
            memories are gone with their history; their vector space is reused after \
            `mnemap compact`. Exit status 1 when an id given is not in the store.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "Memory ids.") var ids: [String] = []
    @Option(help: ArgumentHelp("Forget this namespace and those below it.", valueName: "prefix")) var namespace: String?
    @OptionGroup var condition: WhereOptions
    @Flag(help: "Forget the memories whose expiry time has passed.") var expired = false
    @Flag(help: "Confirm forgetting by namespace.") var yes = false
    @Flag(help: "Only count what would be forgotten.") var dryRun = false

    func validate() throws {
        let ways = [!ids.isEmpty, namespace != nil, expired].filter { $0 }.count
        if ways != 1 { throw ValidationError("give memory ids, --namespace, or --expired (one of them).") }
        if condition.text != nil || condition.json != nil, namespace == nil {
            throw ValidationError("--where goes with --namespace (the namespace to look in; / for all).")
        }
    }

    func run() throws {
        try reportingFailures {
            if !ids.isEmpty { return try forgetIDs() }
            let store = try options.open(embedding: false)
            if expired {
                let now = Date()
                let count = dryRun ? try count(in: store, prefix: nil) { $0.isExpired(at: now) } : try store.purgeExpired(now: now)
                return try report(count)
            }
            let prefix = namespacePrefix(namespace!)
            let filter = MemoryFilter(namespacePrefix: prefix, metadata: try condition.expression())
            // A typo in the namespace should not pass silently as "0 forgotten".
            if let prefix, try store.namespaces(under: prefix, limit: 1).items.isEmpty { throw MemoryError.unknownNamespace(prefix) }
            if dryRun { return try report(try count(in: store, prefix: prefix, where: filter.matches)) }
            guard yes else {
                let place = prefix.map { "namespace \($0) and those below it" } ?? "every namespace"
                let what = filter.metadata == nil ? "every memory of \(place)" : "the memories of \(place) that match --where"
                throw CommandFailure("this forgets \(what); add --yes to do it, or --dry-run to count them first.")
            }
            try report(try store.forget(matching: filter))
        }
    }

    private func forgetIDs() throws {
        let ids = try parseIDs(self.ids)
        if dryRun {
            let store = try options.open(embedding: false)
            return try report(try ids.filter { try store.get($0) != nil }.count)
        }
        let store = try options.open(embedding: false)
        var missing: [MemoryID] = []
        var count = 0
        for id in ids {
            if try store.forget(id) { count += 1 } else { missing.append(id) }
        }
        try report(count)
        if !missing.isEmpty {
            throw CommandFailure("no memory with id \(missing.map(\.description).joined(separator: ", ")); list ids with `mnemap timeline` or `mnemap search`.")
        }
    }

    /// How many memories under `prefix` (nil: all) satisfy `predicate`, by pages of the timeline.
    private func count(in store: MemoryStore, prefix: String?, where predicate: (Memory) -> Bool) throws -> Int {
        var count = 0
        for name in try prefix.map({ [$0] }) ?? allNamespaces(store) {
            var cursor: String?
            repeat {
                let page = try store.timeline(namespace: name, includingChildren: prefix != nil, after: cursor, limit: 1000)
                count += page.items.filter(predicate).count
                cursor = page.next
            } while cursor != nil
        }
        return count
    }

    private func allNamespaces(_ store: MemoryStore) throws -> [String] {
        var names: [String] = []
        var cursor: String?
        repeat {
            let page = try store.namespaces(after: cursor)
            names += page.items.map(\.namespace)
            cursor = page.next
        } while cursor != nil
        return names
    }

    private func report(_ count: Int) throws(CommandFailure) {
        if options.json {
            let object: JSONValue = [dryRun ? "wouldForget" : "forgotten": .number(Double(count))]
            try printOutput(object.jsonText)
        } else {
            try printOutput((dryRun ? "would forget " : "forgot ") + counted(count, "memory", "memories"))
        }
    }
}
