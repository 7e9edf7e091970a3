import ArgumentParser
import MappedStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap kv load`: entries from a dump into a store, like mdb_load.
struct KVLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Read a dump (from `mnemap kv dump`) on standard input into a store.",
        discussion: """
            Creates the store and the named trees when they do not exist; an entry whose key is \
            already in the tree replaces its value. Entries are committed in batches of up to \
            10,000 (or 64 MiB), in key order with the bulk-load path (append) when a tree starts \
            empty; the store is synced at the end. A load that fails (a malformed or truncated \
            dump) keeps the batches committed before the failure: load into a new store and \
            delete it on failure for all or nothing.

            \(DumpFormat.help)
            """
    )

    @OptionGroup var path: StorePath

    static let batchEntries = 10_000
    static let batchBytes = 64 << 20

    func run() throws {
        try reportingFailures {
            let store = try MappedStore(path: path.store, options: .init(durability: .noSync))
            var loader = DumpLoader(store: store)
            try loader.load()
            try store.sync()
            let trees = loader.trees == 1 ? "1 tree" : "\(loader.trees) trees"
            print("loaded \(loader.entries) \(loader.entries == 1 ? "entry" : "entries") in \(trees) into '\(path.store)'")
        }
    }
}

/// Parses a dump from standard input and writes it to a store in batches.
struct DumpLoader {
    let store: MappedStore
    private var input = StandardInputLines()
    private(set) var entries = 0
    private(set) var trees = 0

    /// The tree being loaded, and what decides between append and put.
    private var tree: String?
    private var previousKey: [UInt8]?
    private var inOrder = true
    private var batch: [(key: [UInt8], value: [UInt8], append: Bool)] = []
    private var batchBytes = 0

    init(store: MappedStore) {
        self.store = store
    }

    mutating func load() throws {
        guard let header = try nextLine() else { throw malformed("the input is empty; expected '\(DumpFormat.header)'") }
        guard text(header) == DumpFormat.header else {
            throw malformed("expected the header '\(DumpFormat.header)', found '\(excerpt(header))'")
        }
        while true {
            guard let line = try nextLine() else { throw malformed("the dump is truncated: it ends without '\(DumpFormat.trailer)'") }
            if text(line) == DumpFormat.trailer { break }
            guard line.starts(with: "tree ".utf8) else { throw malformed("expected 'tree <name>' or '\(DumpFormat.trailer)', found '\(excerpt(line))'") }
            try beginTree(line.dropFirst(5))
            try loadEntries()
        }
        if let extra = try nextLine() { throw malformed("unexpected '\(excerpt(extra))' after '\(DumpFormat.trailer)'") }
    }

    private mutating func beginTree(_ field: ArraySlice<UInt8>) throws {
        if text(field) == DumpFormat.mainTree {
            tree = nil
        } else {
            guard let bytes = Hex.decode(field), !bytes.isEmpty else { throw malformed("the tree name '\(excerpt(field))' is not hexadecimal") }
            guard let name = String(validating: bytes, as: UTF8.self) else { throw malformed("the tree name \(Hex.encode(bytes)) is not UTF-8") }
            tree = name
        }
        let name = tree
        // Keys in ascending order go to the bulk-load path, as long as the tree started empty.
        let existing = try store.write { tx -> UInt64 in
            if let name { try tx.createTree(name) }
            return try tx.info(of: name).entries
        }
        inOrder = existing == 0
        previousKey = nil
        trees += 1
    }

    private mutating func loadEntries() throws {
        var count = 0
        while let line = try nextLine() {
            if line.starts(with: "end".utf8) {
                try flush()
                let stated = line.count > 4 && line[line.startIndex + 3] == UInt8(ascii: " ") ? Int(text(line.dropFirst(4))) : nil
                guard line.count == 3 || stated != nil else { throw malformed("expected 'end <entries>', found '\(excerpt(line))'") }
                if let stated, stated != count {
                    throw malformed("the section says it has \(stated) entries but \(count) were read")
                }
                return
            }
            let (key, value) = try entry(line)
            if inOrder, let previousKey, compareBytes(previousKey, key) >= 0 { inOrder = false }
            previousKey = key
            batch.append((key, value, inOrder))
            batchBytes += key.count + value.count
            count += 1
            entries += 1
            if batch.count >= KVLoad.batchEntries || batchBytes >= KVLoad.batchBytes { try flush() }
        }
        throw malformed("the dump is truncated: the tree has no 'end' line")
    }

    private func entry(_ line: ArraySlice<UInt8>) throws -> ([UInt8], [UInt8]) {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")) else {
            throw malformed("expected '<hex key> <hex value>', found '\(excerpt(line))'")
        }
        let valueField = line[(space + 1)...]
        guard let key = Hex.decode(line[..<space]), !key.isEmpty else {
            throw malformed("the key '\(excerpt(line[..<space]))' is not hexadecimal")
        }
        if text(valueField) == DumpFormat.emptyValue { return (key, []) }
        guard let value = Hex.decode(valueField), !value.isEmpty else {
            throw malformed("the value '\(excerpt(valueField))' is not hexadecimal (an empty value is written -)")
        }
        return (key, value)
    }

    private mutating func flush() throws {
        guard !batch.isEmpty else { return }
        let tree = tree
        try store.write { tx in
            for entry in batch {
                if entry.append { try tx.append(entry.key, entry.value, in: tree) } else { try tx.put(entry.key, entry.value, in: tree) }
            }
        }
        batch.removeAll(keepingCapacity: true)
        batchBytes = 0
    }

    private mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while let line = try input.next() {
            if !line.isEmpty { return line }
        }
        return nil
    }

    private func malformed(_ problem: String) -> CommandFailure {
        CommandFailure("line \(input.lineNumber) of the dump: \(problem). Only output of `mnemap kv dump` (format MNEMAP-DUMP 1) can be loaded.")
    }
}

private func text(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

private func excerpt(_ bytes: some Collection<UInt8>) -> String {
    bytes.count > 40 ? escapedText(bytes.prefix(40)) + "…" : escapedText(bytes)
}

/// Bytewise order, as the store orders keys.
private func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let length = min(a.count, b.count)
    let common = length == 0 ? 0 : a.withUnsafeBytes { a in b.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, length) } }
    if common != 0 { return common < 0 ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}
