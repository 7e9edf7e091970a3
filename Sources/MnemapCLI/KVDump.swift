import ArgumentParser
import MappedStore

/// The portable text format of `mnemap kv dump` and `mnemap kv load`; docs/store-dump-format.md
/// is its full description. Lines end with a newline (a carriage return before it is ignored):
///
/// ```
/// MNEMAP-DUMP 1                   header: format version 1
/// tree -                          a section: `-` is the main tree, otherwise the tree's name in hex
/// 6b6579 76616c7565               an entry: hex key, one space, hex value (`-` for an empty value)
/// end 1                           the section ends: its entry count
/// tree 7573657273
/// end 0                           an empty named tree
/// end-of-dump                     the last line: a dump without it is truncated
/// ```
enum DumpFormat {
    static let header = "MNEMAP-DUMP 1"
    static let trailer = "end-of-dump"
    static let mainTree = "-"
    static let emptyValue = "-"

    static let help = """
        Format (docs/store-dump-format.md): a header line 'MNEMAP-DUMP 1'; then for each tree \
        a line 'tree <name>' (the name in hexadecimal, or - for the main tree), one line \
        '<hex key> <hex value>' per entry in key order (an empty value is written -), and a \
        line 'end <entries>'; the last line is 'end-of-dump'.
        """
}

/// `mnemap kv dump`: every entry of one snapshot as portable text, like mdb_dump.
struct KVDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write a store's entries to standard output in a portable text format.",
        discussion: """
            Dumps the main tree, the tree named by --tree, or with --all the main tree and \
            every named tree, all from one snapshot. `mnemap kv load` reads the output back.

            \(DumpFormat.help)
            """
    )

    @OptionGroup var path: StorePath
    @Option(help: "Dump only this named tree.") var tree: String?
    @Flag(help: "Dump the main tree and every named tree.") var all = false

    func validate() throws {
        if all && tree != nil { throw ValidationError("give --tree or --all, not both.") }
    }

    func run() throws {
        try reportingFailures {
            let store = try MappedStore.existing(path.store)
            var output = StandardOutput()
            try output.write(DumpFormat.header + "\n")
            try store.read { tx in
                let trees: [String?] = all ? [nil] + (try tx.treeNames()) : [tree]
                for name in trees { try dump(name, from: tx, to: &output) }
            }
            try output.write(DumpFormat.trailer + "\n")
            try output.flush()
        }
    }

    private func dump(_ name: String?, from tx: ReadTransaction, to output: inout StandardOutput) throws {
        _ = try tx.info(of: name)  // an unknown tree is an error even when nothing would be listed
        try output.write("tree " + (name.map { Hex.encode($0.utf8) } ?? DumpFormat.mainTree) + "\n")
        var entries = 0
        var line: [UInt8] = []
        try tx.scan(in: name) { key, value in
            line.removeAll(keepingCapacity: true)
            Hex.encode(key, into: &line)
            line.append(UInt8(ascii: " "))
            if value.isEmpty { line += DumpFormat.emptyValue.utf8 } else { Hex.encode(value, into: &line) }
            line.append(UInt8(ascii: "\n"))
            try output.write(line)
            entries += 1
            return true
        }
        try output.write("end \(entries)\n")
    }
}
