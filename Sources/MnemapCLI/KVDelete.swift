import ArgumentParser
import MappedStore

/// `mnemap kv del`: remove one key.
struct KVDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Remove a key.",
        discussion: "Exit status 1 when the key is absent, unless --force is given.",
        aliases: ["delete"]
    )

    @OptionGroup var path: StorePath
    @Argument(help: "The key.") var key: String
    @OptionGroup var entry: EntryOptions
    @Flag(help: "Succeed when the key is absent.") var force = false

    func run() throws {
        try reportingFailures {
            let key = try entry.bytes(of: self.key, "key")
            let store = try MappedStore.existing(path.store)
            do {
                // Throwing out of the transaction commits nothing when there is nothing to remove.
                try store.write { tx in
                    guard try tx.delete(key, in: entry.tree) else { throw KeyAbsent() }
                }
            } catch is KeyAbsent {
                guard force else {
                    throw CommandFailure("no \(entry.describe(key: key)) in \(entry.treeDescription) of '\(path.store)'; nothing was removed (--force accepts that).")
                }
            }
        }
    }

    private struct KeyAbsent: Error {}
}
