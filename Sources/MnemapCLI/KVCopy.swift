import ArgumentParser
import MappedStore

/// `mnemap kv copy`: an online backup, like `mdb_copy`.
struct KVCopy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a store's current snapshot to a new file, while others go on reading and writing.",
        discussion: """
            The destination must not exist. With --compact the trees are rewritten in key order \
            into full pages, leaving out free pages: the smallest file that holds the data. The \
            copy is on disk when the command returns.
            """
    )

    @OptionGroup var path: StorePath
    @Argument(help: "The new store file.", completion: .file()) var destination: String
    @Flag(help: "Rewrite the trees into full pages, leaving out free pages.") var compact = false

    func run() throws {
        try reportingFailures {
            let store = try MappedStore.existing(path.store)
            try store.copy(to: destination, compact: compact)
            print("copied '\(path.store)' (\(formatBytes(fileBytes(path.store)))) to '\(destination)' (\(formatBytes(fileBytes(destination))))")
        }
    }
}
