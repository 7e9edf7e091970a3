import Foundation
import MappedStore
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap kv` run as users run it: the built executable on real store files.
@Suite("mnemap kv")
struct KVCommandTests {
    let directory: String
    let cleanup: FolderCleanup

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-kv-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        cleanup = FolderCleanup(directory)
    }

    struct Outcome {
        var status: Int32
        var output: Data
        var errors: String
        var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// Runs `mnemap kv <arguments>` with `input` on standard input. Standard streams go through
    /// files, so that large dumps cannot fill a pipe and stall the child.
    func kv(_ arguments: [String], input: Data = Data()) throws -> Outcome {
        let streams = directory + "/streams-\(UUID().uuidString)"
        try input.write(to: URL(fileURLWithPath: streams + ".in"))
        _ = FileManager.default.createFile(atPath: streams + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: streams + ".err", contents: nil)
        defer { for suffix in [".in", ".out", ".err"] { try? FileManager.default.removeItem(atPath: streams + suffix) } }
        let process = Process()
        process.executableURL = CacheCommandTests.executable
        process.arguments = ["kv"] + arguments
        process.standardInput = FileHandle(forReadingAtPath: streams + ".in")
        process.standardOutput = FileHandle(forWritingAtPath: streams + ".out")
        process.standardError = FileHandle(forWritingAtPath: streams + ".err")
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            output: try Data(contentsOf: URL(fileURLWithPath: streams + ".out")),
            errors: String(decoding: try Data(contentsOf: URL(fileURLWithPath: streams + ".err")), as: UTF8.self)
        )
    }

    func kv(_ arguments: String...) throws -> Outcome {
        try kv(arguments)
    }

    /// Runs a command that must succeed; returns its standard output as text.
    @discardableResult
    func succeed(_ arguments: String..., input: Data = Data(), sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let outcome = try kv(arguments, input: input)
        #expect(outcome.status == 0, "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
        return outcome.text
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Every entry of every tree, read with the library.
    func contents(of path: String) throws -> [String: [[UInt8]: [UInt8]]] {
        let store = try MappedStore(path: path, options: .init(create: false))
        return try store.read { tx in
            var trees: [String: [[UInt8]: [UInt8]]] = [:]
            for name in [nil] + (try tx.treeNames()) {
                var entries: [[UInt8]: [UInt8]] = [:]
                try tx.scan(in: name) { key, value in
                    entries[Array(key)] = Array(value)
                    return true
                }
                trees[name ?? "(main)"] = entries
            }
            return trees
        }
    }

    // MARK: get, put, del

    @Test func putGetAndDeleteRoundTripAsTextAndHex() throws {
        let store = path("store")
        try succeed("put", store, "greeting", "hello world")
        #expect(try succeed("get", store, "greeting") == "hello world\n")
        #expect(try succeed("get", store, "greeting", "--no-newline") == "hello world")
        #expect(try succeed("get", store, "--hex", "6772656574696e67") == "68656c6c6f20776f726c64\n")

        try succeed("put", "--hex", store, "00ff", "")
        #expect(try succeed("get", store, "--hex", "00FF") == "\n")

        // A value from standard input: its bytes exactly, newlines and invalid UTF-8 included.
        let binary = Data([0, 1, 0xFE, 0xFF, 10, 13, 9])
        try succeed("put", store, "blob", "-", input: binary)
        #expect(try kv("get", store, "blob", "--no-newline").output == binary)
        try succeed("put", store, "--hex", "626c6f62", "-", input: Data(" 0a0b\n".utf8))
        #expect(try succeed("get", store, "--hex", "626c6f62") == "0a0b\n")

        try succeed("del", store, "greeting")
        let absent = try kv("get", store, "greeting")
        #expect(absent.status == 1)
        #expect(absent.errors == "mnemap: no key 'greeting' in the main tree of '\(store)'.\n")

        let delete = try kv("del", store, "greeting")
        #expect(delete.status == 1)
        #expect(delete.errors.contains("no key 'greeting'"))
        #expect(delete.errors.contains("--force"))
        try succeed("del", store, "greeting", "--force")
        try succeed("delete", store, "blob")
    }

    @Test func namedTreesMustExistUnlessCreated() throws {
        let store = path("trees")
        try succeed("put", store, "k", "main")
        let unknown = try kv("put", store, "--tree", "users", "alice", "1")
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("no tree named 'users'"))
        #expect(unknown.errors.contains("--create-tree"))

        try succeed("put", store, "--tree", "users", "--create-tree", "alice", "1")
        #expect(try succeed("get", store, "--tree", "users", "alice") == "1\n")
        #expect(try kv("get", store, "alice").status == 1)
        #expect(try succeed("get", store, "k") == "main\n")

        for command in [["get", store, "--tree", "nope", "k"], ["scan", store, "--tree", "nope"], ["dump", store, "--tree", "nope"], ["del", store, "--tree", "nope", "k"]] {
            let outcome = try kv(command)
            #expect(outcome.status == 1, "\(command)")
            #expect(outcome.errors.hasPrefix("mnemap: '\(store)' has no tree named 'nope'"), "\(command): \(outcome.errors)")
        }
    }

    // MARK: Errors

    @Test func aMissingStoreIsAnErrorAndNoFileIsCreated() throws {
        let missing = path("missing")
        let commands = [
            ["stat", missing], ["get", missing, "k"], ["del", missing, "k"], ["scan", missing],
            ["dump", missing, "--all"], ["check", missing], ["copy", missing, path("copy")],
        ]
        for command in commands {
            let outcome = try kv(command)
            #expect(outcome.status == 1, "\(command)")
            #expect(outcome.errors.hasPrefix("mnemap: "), "\(command)")
            #expect(outcome.errors.contains("'\(missing)'") && outcome.errors.contains("ENOENT"), "\(command): \(outcome.errors)")
            #expect(outcome.output.isEmpty, "\(command)")
        }
        #expect(!exists(missing) && !exists(missing + "-lock") && !exists(path("copy")))
    }

    @Test func aFileThatIsNotAStoreIsNamed() throws {
        let text = path("notes.txt")
        try Data(String(repeating: "not a store\n", count: 1000).utf8).write(to: URL(fileURLWithPath: text))
        let outcome = try kv("get", text, "k")
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("'\(text)' is not a Mnemap store"))
    }

    @Test func badHexIsAnErrorAndWritesNothing() throws {
        let store = path("hex")
        for command in [["put", store, "--hex", "zz", "00"], ["put", store, "--hex", "00", "123"], ["get", store, "--hex", "0g"], ["scan", store, "--hex", "--prefix", "x"]] {
            let outcome = try kv(command)
            #expect(outcome.status == 1, "\(command)")
            #expect(outcome.errors.contains("is not hexadecimal"), "\(command): \(outcome.errors)")
        }
        #expect(!exists(store))
        let empty = try kv("put", store, "", "v")
        #expect(empty.status == 1)
        #expect(empty.errors.contains("keys must not be empty"))
    }

    // MARK: scan

    @Test func scanListsRangesPrefixesInReverseWithLimitsAndAsJSONLines() throws {
        let store = path("scan")
        var dump = "MNEMAP-DUMP 1\ntree -\n"
        for key in ["a1", "a2", "a3", "a4", "b1", "b2"] { dump += hex(key.utf8) + " " + hex("v-\(key)".utf8) + "\n" }
        dump += "6331 ff00\n"  // "c1" -> bytes that are not UTF-8
        dump += "6332 " + hex("tab\there\n\\".utf8) + "\n"
        dump += "end\nend-of-dump\n"
        try succeed("load", store, input: Data(dump.utf8))

        #expect(try succeed("scan", store, "--prefix", "a", "--keys-only") == "a1\na2\na3\na4\n")
        #expect(try succeed("scan", store, "--from", "a2", "--to", "a4") == "a2\tv-a2\na3\tv-a3\n")
        #expect(try succeed("scan", store, "--reverse", "--limit", "2", "--keys-only") == "c2\nc1\n")
        #expect(try succeed("scan", store, "--prefix", "b", "--reverse") == "b2\tv-b2\nb1\tv-b1\n")
        #expect(try succeed("scan", store, "--limit", "0") == "")
        #expect(try succeed("scan", store, "--prefix", "c") == "c1\t\\xff\\x00\nc2\ttab\\there\\n\\\\\n")
        #expect(try succeed("scan", store, "--hex", "--prefix", "6331") == "6331\tff00\n")

        let lines = try succeed("scan", store, "--json", "--from", "b2").split(separator: "\n")
        #expect(lines == [#"{"key":"b2","value":"v-b2"}"#, #"{"key":"c1","value":{"hex":"ff00"}}"#, #"{"key":"c2","value":"tab\there\n\\"}"#])
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["key"] is String)
        }
        #expect(try succeed("scan", store, "--json", "--hex", "--keys-only", "--prefix", "6231") == #"{"key":"6231"}"# + "\n")
        #expect(try kv("scan", store, "--limit", "-1").status != 0)
    }

    // MARK: stat

    struct Stat: Decodable {
        struct Tree: Decodable { var entries: UInt64; var depth: UInt32; var branchPages: UInt64; var leafPages: UInt64; var overflowPages: UInt64 }
        var txnID: UInt64
        var durableTxnID: UInt64
        var pageSize: Int
        var pages: UInt64
        var fileSize: Int64
        var reusablePages: Int
        var pendingPages: Int
        var main: Tree
        var trees: [String: Tree]
        var readers: [[String: UInt64]]
        var oldestReader: UInt64?
        var pagesPinnedByOldestReader: Int
    }

    @Test func statShowsPagesTreesAndReaders() throws {
        let store = path("stat")
        do {
            let library = try MappedStore(path: store)
            try library.write { tx in
                try tx.createTree("users")
                try tx.createTree("empty")
                for i in 0..<500 { try tx.put(Array("key-\(i)".utf8), [UInt8](repeating: UInt8(i % 256), count: 100)) }
                try tx.put(Array("big".utf8), [UInt8](repeating: 7, count: 20_000))
                for i in 0..<3 { try tx.put(Array("user-\(i)".utf8), [1], in: "users") }
            }
        }
        let stat = try JSONDecoder().decode(Stat.self, from: Data(try succeed("stat", store, "--json").utf8))
        #expect(stat.pageSize == 4096)
        #expect(stat.main.entries == 501)
        #expect(stat.main.depth == 2)
        #expect(stat.main.overflowPages == 5)
        #expect(stat.main.leafPages > 10 && stat.main.branchPages == 1)
        #expect(stat.trees["users"]?.entries == 3)
        #expect(stat.trees["empty"]?.entries == 0)
        #expect(stat.durableTxnID == stat.txnID)
        #expect(stat.pages * 4096 <= UInt64(stat.fileSize))
        #expect(stat.readers.isEmpty)

        let table = try succeed("stat", store)
        #expect(table.contains("transaction  \(stat.txnID) (durable: \(stat.txnID))"))
        #expect(table.contains("readers      none"))
        #expect(table.contains("(main)") && table.contains("users") && table.contains("empty"))
        #expect(table.contains("     501         2         1"))
    }

    @Test func statNamesTheOldestReaderAndThePagesItPins() throws {
        let path = path("readers")
        let store = try MappedStore(path: path)
        try store.write { tx in for i in 0..<200 { try tx.put(Array("key-\(i)".utf8), [UInt8](repeating: 1, count: 100)) } }
        try store.read { snapshot in
            // Rewrite every page the snapshot sees: the old pages are freed but pinned by it.
            try store.write { tx in for i in 0..<200 { try tx.put(Array("key-\(i)".utf8), [UInt8](repeating: 2, count: 100)) } }
            let stat = try JSONDecoder().decode(Stat.self, from: Data(try succeed("stat", path, "--json").utf8))
            #expect(stat.readers == [["pid": UInt64(getpid()), "txnID": snapshot.txnID]])
            #expect(stat.oldestReader == snapshot.txnID)
            #expect(stat.pagesPinnedByOldestReader >= 7)
            let table = try succeed("stat", path)
            #expect(table.contains("readers      1: pid \(getpid()) at \(snapshot.txnID)"))
            #expect(table.contains("oldest       transaction \(snapshot.txnID), pinning \(stat.pagesPinnedByOldestReader) freed pages"))
        }
    }

    // MARK: dump and load

    @Test func dumpThenLoadIsAnIdentity() throws {
        let source = path("source")
        do {
            let store = try MappedStore(path: source)
            try store.write { tx in
                for i in 0..<300 {
                    let key: [UInt8] = [UInt8(i >> 8), UInt8(i & 0xFF), 0, 0xFF, 10]  // binary, newlines, zero bytes
                    try tx.put(key, (0..<(i % 40)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })  // empty values too
                }
                try tx.put(Array("large".utf8), (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
                try tx.createTree("notes")
                try tx.put(Array("n".utf8), Array("text value".utf8), in: "notes")
                try tx.put([0xFF, 0xFE], [], in: "notes")
                try tx.put(Array("large".utf8), [UInt8](repeating: 0xAB, count: 120_000), in: "notes")
                try tx.createTree("empty tree")
                try tx.createTree("ünïcode")
                try tx.put([1], [2], in: "ünïcode")
            }
        }
        let dump = try kv("dump", source, "--all")
        #expect(dump.status == 0, "\(dump.errors)")
        let lines = dump.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "MNEMAP-DUMP 1")
        #expect(lines.suffix(2) == ["end-of-dump", ""])
        #expect(lines.contains("tree -") && lines.contains("tree \(hex("empty tree".utf8))"))
        #expect(lines.contains("fffe -"))

        let copy = path("loaded")
        let load = try kv(["load", copy], input: dump.output)
        #expect(load.status == 0, "\(load.errors)")
        #expect(load.text == "loaded 305 entries in 4 trees into '\(copy)'\n")
        #expect(try kv("dump", copy, "--all").output == dump.output)
        let original = try contents(of: source)
        #expect(try contents(of: copy) == original)
        #expect(original["notes"]?[[0xFF, 0xFE]] == [])
        #expect(original["(main)"]?[Array("large".utf8)]?.count == 150_000)
        #expect(try succeed("check", copy).contains("is intact"))

        // One tree at a time keeps its name.
        let notes = try kv("dump", source, "--tree", "notes")
        #expect(notes.text.hasPrefix("MNEMAP-DUMP 1\ntree \(hex("notes".utf8))\n"))
        #expect(notes.text.hasSuffix("end 3\nend-of-dump\n"))
        try succeed("load", path("notes-only"), input: notes.output)
        #expect(try contents(of: path("notes-only")) == ["(main)": [:], "notes": original["notes"]!])

        #expect(try kv("dump", source, "--all", "--tree", "notes").status != 0)
    }

    @Test func loadCommitsInBatchesAndPacksSortedKeysIntoFullPages() throws {
        var dump = "MNEMAP-DUMP 1\ntree -\n"
        for i in 0..<25_000 { dump += String(format: "%08x %08x\n", i, i) }
        dump += "end 25000\nend-of-dump\n"
        let store = path("bulk")
        try succeed("load", store, input: Data(dump.utf8))
        let stat = try JSONDecoder().decode(Stat.self, from: Data(try succeed("stat", store, "--json").utf8))
        #expect(stat.main.entries == 25_000)
        // Batches of 10,000: the empty main-tree section, then three batches.
        #expect(stat.txnID == 4)
        // 26 bytes an entry (8-byte header, 2-byte slot, 8-byte key and value): 156 fit in a page,
        // so full pages need 161; pages split in halves would need about twice as many.
        #expect(stat.main.leafPages <= 25_000 / 150)
    }

    @Test func loadReplacesValuesAndAcceptsKeysInAnyOrder() throws {
        let store = path("unsorted")
        try succeed("put", store, "b", "old")
        let dump = "MNEMAP-DUMP 1\ntree -\n63 33\n61 31\n62 32\n61 34\nend 4\nend-of-dump\n"
        try succeed("load", store, input: Data(dump.utf8))
        #expect(try succeed("scan", store) == "a\t4\nb\t2\nc\t3\n")
    }

    @Test func loadRejectsMalformedAndTruncatedDumps() throws {
        let cases: [(String, String)] = [
            ("", "line 0 of the dump: the input is empty"),
            ("MNEMAP-DUMP 2\n", "line 1 of the dump: expected the header 'MNEMAP-DUMP 1'"),
            ("MNEMAP-DUMP 1\ntree -\n6162 zz\nend\nend-of-dump\n", "line 3 of the dump: the value 'zz' is not hexadecimal"),
            ("MNEMAP-DUMP 1\ntree -\n616\nend\nend-of-dump\n", "line 3 of the dump: expected '<hex key> <hex value>'"),
            ("MNEMAP-DUMP 1\ntree -\n61 62\nend 2\nend-of-dump\n", "line 4 of the dump: the section says it has 2 entries but 1 were read"),
            ("MNEMAP-DUMP 1\ntree -\n61 62\n", "line 3 of the dump: the dump is truncated: the tree has no 'end' line"),
            ("MNEMAP-DUMP 1\ntree -\n61 62\nend 1\n", "line 4 of the dump: the dump is truncated: it ends without 'end-of-dump'"),
            ("MNEMAP-DUMP 1\ntree xyz\nend\nend-of-dump\n", "line 2 of the dump: the tree name 'xyz' is not hexadecimal"),
        ]
        for (index, (dump, message)) in cases.enumerated() {
            let outcome = try kv(["load", path("bad-\(index)")], input: Data(dump.utf8))
            #expect(outcome.status == 1, "\(dump)")
            #expect(outcome.errors.hasPrefix("mnemap: " + message), "\(dump): \(outcome.errors)")
        }
    }

    // MARK: check and copy

    @Test func checkFindsADamagedLeafPage() throws {
        let store = path("damaged")
        var dump = "MNEMAP-DUMP 1\ntree -\n"
        for i in 0..<400 { dump += String(format: "%08x ", i) + String(repeating: "ab", count: 20) + "\n" }
        dump += "end 400\nend-of-dump\n"
        try succeed("load", store, input: Data(dump.utf8))
        let intact = try kv("check", store)
        #expect(intact.status == 0)
        #expect(intact.text.hasPrefix("'\(store)' is intact\n"))
        #expect(intact.text.contains("entries      400 in the main tree and 0 named trees"))

        // The leaf written last is in the tree (the load wrote all of them in one commit).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: store))
        let page = 4096
        let leaves = (2..<(bytes.count / page)).filter { bytes[$0 * page + 4] == 3 }
        let leaf = try #require(leaves.max { bytes[$0 * page + 16] < bytes[$1 * page + 16] })
        bytes[leaf * page + 200] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: store))

        let damaged = try kv("check", store)
        #expect(damaged.status == 1)
        #expect(damaged.text.hasPrefix("'\(store)' has "))
        #expect(damaged.text.contains("main tree: page \(leaf) checksum mismatch"), "\(damaged.text)")
        let json = try JSONSerialization.jsonObject(with: try kv("check", store, "--json").output) as? [String: Any]
        #expect(json?["intact"] as? Bool == false)
        #expect((json?["problems"] as? [String])?.contains("main tree: page \(leaf) checksum mismatch") == true)

        // Reading the damaged page is an error, not wrong output.
        let scan = try kv("dump", store)
        #expect(scan.status == 1)
        #expect(scan.errors.contains("page \(leaf) is damaged (checksum mismatch)"))
    }

    @Test func copyMakesTheSameStoreAndRefusesAnExistingDestination() throws {
        let store = path("original")
        try succeed("put", store, "a", "1")
        try succeed("put", store, "--tree", "t", "--create-tree", "b", "2")
        try succeed("del", store, "a")
        try succeed("put", store, "c", "3")
        for (name, arguments) in [("plain", [String]()), ("compact", ["--compact"])] {
            let destination = path(name)
            let outcome = try kv(["copy", store, destination] + arguments)
            #expect(outcome.status == 0, "\(outcome.errors)")
            #expect(outcome.text.hasPrefix("copied '\(store)'"))
            #expect(try contents(of: destination) == (try contents(of: store)))
            #expect(try kv("check", destination).status == 0)
        }
        let again = try kv("copy", store, path("plain"))
        #expect(again.status == 1)
        #expect(again.errors.contains("the destination exists"))
    }
}
