import ArgumentParser
import MappedStore

/// `mnemap kv`: inspect, edit, back up and verify MappedStore files, like LMDB's mdb_stat,
/// mdb_dump and mdb_load and `bbolt check`. Each subcommand is a thin layer over the library.
struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Inspect, edit, dump, load, check and copy MappedStore files.",
        discussion: """
            Keys and values are given and printed as UTF-8 text, or as hexadecimal with --hex. \
            --tree names a named tree; without it the main tree is used. Commands that only read \
            never create a store. Errors are printed on standard error and the exit status is 1.
            """,
        subcommands: [KVStat.self, KVGet.self, KVPut.self, KVDelete.self, KVScan.self, KVDump.self, KVLoad.self, KVCheck.self, KVCopy.self]
    )
}

/// The store every subcommand works on.
struct StorePath: ParsableArguments {
    @Argument(help: "The store file.", completion: .file())
    var store: String
}

/// Which tree, and how keys and values are written on the command line and in the output.
struct EntryOptions: ParsableArguments {
    @Option(help: "The named tree to use (default: the main tree).")
    var tree: String?

    @Flag(help: "Give and print keys and values as hexadecimal instead of UTF-8 text.")
    var hex = false

    /// The bytes of a key or value given on the command line.
    func bytes(of text: String, _ what: String) throws(CommandFailure) -> [UInt8] {
        guard hex else { return Array(text.utf8) }
        guard let bytes = Hex.decode(text.utf8) else {
            let shown = text.count > 40 ? text.prefix(40) + "…" : text[...]
            throw CommandFailure("the \(what) '\(shown)' is not hexadecimal: give an even number of digits 0-9, a-f (or leave out --hex for text).")
        }
        return bytes
    }

    /// A key as the user wrote it, for messages.
    func describe(key: [UInt8]) -> String {
        hex ? "key \(Hex.encode(key))" : "key '\(escapedText(key))'"
    }

    /// "the main tree" or "tree 'name'", for messages.
    var treeDescription: String {
        tree.map { "tree '\($0)'" } ?? "the main tree"
    }
}

extension MappedStore {
    /// Opens an existing store for a command; never creates one.
    /// Pages are checksummed as they are read, so damage is an error rather than wrong output.
    static func existing(_ path: String) throws -> MappedStore {
        try MappedStore(path: path, options: .init(create: false, verifyChecksums: true))
    }
}
