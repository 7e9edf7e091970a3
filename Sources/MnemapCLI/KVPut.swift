import ArgumentParser
import Foundation
import MappedStore

/// `mnemap kv put`: store one value, in its own durable transaction.
struct KVPut: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store a value for a key, replacing any value.",
        discussion: """
            Give the value as - to read it from standard input: its bytes as they are, or with \
            --hex its hexadecimal (surrounding whitespace ignored). To store a single dash, use \
            --hex (the value 2d, the key in hex too). Creates the store when it \
            does not exist; a named tree must exist unless --create-tree is given. The value is \
            on disk when the command returns.
            """
    )

    @OptionGroup var path: StorePath
    @Argument(help: "The key.") var key: String
    @Argument(help: "The value, or - for standard input.") var value: String
    @OptionGroup var entry: EntryOptions
    @Flag(help: "Create the tree named by --tree when it does not exist.") var createTree = false

    func run() throws {
        try reportingFailures {
            let key = try entry.bytes(of: self.key, "key")
            let value = try readValue()
            let store = try MappedStore(path: path.store)
            do {
                try store.write { tx in
                    if createTree, let tree = entry.tree { try tx.createTree(tree) }
                    try tx.put(key, value, in: entry.tree)
                }
            } catch let error as StoreError where error.reason == .treeNotFound(entry.tree ?? "") {
                throw CommandFailure("'\(path.store)' has no tree named '\(entry.tree ?? "")'; give --create-tree to create it.")
            }
        }
    }

    private func readValue() throws -> [UInt8] {
        guard value == "-" else { return try entry.bytes(of: value, "value") }
        let input = try readStandardInput()
        guard entry.hex else { return input }
        let text = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try entry.bytes(of: text, "value on standard input")
    }
}
