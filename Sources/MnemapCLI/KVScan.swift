import ArgumentParser
import MappedStore

/// `mnemap kv scan`: entries in key order, from one snapshot.
struct KVScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "List entries in key order (bytewise), optionally in a range or with a prefix.",
        discussion: """
            --from is inclusive and --to exclusive; with --prefix only keys starting with it are \
            listed (combined with --from/--to, all must hold).

            Output: one entry a line, key and value separated by a tab. In text mode, bytes are \
            shown as UTF-8 with \\\\, \\t, \\n, \\r and other control bytes escaped (\\xHH); when \
            a key or value is not valid UTF-8, its bytes above 0x7F are escaped as \\xHH too. \
            With --hex, keys and values are hexadecimal.

            With --json, JSON Lines: one object a line, {"key": K, "value": V} (no "value" with \
            --keys-only). In text mode K and V are JSON strings when the bytes are valid UTF-8, \
            otherwise objects {"hex": "<hexadecimal>"}; with --hex they are always hexadecimal \
            strings.
            """
    )

    @OptionGroup var path: StorePath
    @OptionGroup var entry: EntryOptions
    @Option(help: "List only keys starting with this.") var prefix: String?
    @Option(help: "Start at this key (inclusive).") var from: String?
    @Option(help: "Stop before this key (exclusive).") var to: String?
    @Flag(help: "List in descending key order.") var reverse = false
    @Option(help: "List at most this many entries.") var limit: Int?
    @Flag(help: "List keys only.") var keysOnly = false
    @Flag(help: "Print JSON Lines instead of tab-separated text.") var json = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more.") }
    }

    func run() throws {
        try reportingFailures {
            let prefix = try self.prefix.map { try entry.bytes(of: $0, "prefix") }
            let from = try self.from.map { try entry.bytes(of: $0, "start key") }
            let to = try self.to.map { try entry.bytes(of: $0, "end key") }
            let store = try MappedStore.existing(path.store)
            var output = StandardOutput()
            var listed = 0
            try store.read { tx in
                guard limit != 0 else { _ = try tx.info(of: entry.tree); return }
                try tx.scan(in: entry.tree, from: from, to: to, prefix: prefix, reverse: reverse) { key, value in
                    try output.write(line(key: key, value: keysOnly ? nil : value))
                    listed += 1
                    return limit.map { listed < $0 } ?? true
                }
            }
            try output.flush()
        }
    }

    private func line(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) -> String {
        if json {
            var object = "{\"key\":" + jsonValue(key, hex: entry.hex)
            if let value { object += ",\"value\":" + jsonValue(value, hex: entry.hex) }
            return object + "}\n"
        }
        let show = { (bytes: UnsafeRawBufferPointer) in entry.hex ? Hex.encode(bytes) : escapedText(bytes) }
        guard let value else { return show(key) + "\n" }
        return show(key) + "\t" + show(value) + "\n"
    }
}
