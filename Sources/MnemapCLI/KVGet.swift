import ArgumentParser
import MappedStore

/// `mnemap kv get`: one value.
struct KVGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the value stored for a key.",
        discussion: """
            The value's bytes are written as they are, followed by a newline (leave it out with \
            --no-newline); with --hex, as hexadecimal. Exit status 1 when the key is absent.
            """
    )

    @OptionGroup var path: StorePath
    @Argument(help: "The key.") var key: String
    @OptionGroup var entry: EntryOptions
    @Flag(help: "Do not write a newline after the value.") var noNewline = false

    func run() throws {
        try reportingFailures {
            let key = try entry.bytes(of: self.key, "key")
            let store = try MappedStore.existing(path.store)
            let value = try store.read { tx in try tx.get(key, in: entry.tree) }
            guard let value else {
                throw CommandFailure("no \(entry.describe(key: key)) in \(entry.treeDescription) of '\(path.store)'.")
            }
            var output = StandardOutput()
            if entry.hex { try output.write(Hex.encode(value)) } else { try output.write(value) }
            if !noNewline { try output.write("\n") }
            try output.flush()
        }
    }
}
