import Foundation
import MnemapTestSupport
import Testing

/// The agent-memory commands (`mnemap init`, `add`, `search`…) run as users run them: the built
/// executable on a real store, with the hashing embedder so that no model is needed.
@Suite("mnemap agent memory")
struct MemoryCommandTests {
    let folder: TemporaryFolder
    let store: String

    init() throws {
        folder = try TemporaryFolder(prefix: "mnemap-cli-memory")
        store = folder.path("store")
    }

    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
        var lines: [String] { output.split(separator: "\n").map(String.init) }

        /// Standard output parsed as JSON.
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed]) }
    }

    /// Runs `mnemap` with `input` on standard input and a fixed environment (no $MNEMAP_STORE
    /// unless given, 100 columns). Streams go through files, so that no pipe can fill and stall.
    func run(_ arguments: [String], input: String = "", environment extra: [String: String] = [:]) throws -> Outcome {
        let streams = folder.path("streams-\(UUID().uuidString)")
        try Data(input.utf8).write(to: URL(fileURLWithPath: streams + ".in"))
        _ = FileManager.default.createFile(atPath: streams + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: streams + ".err", contents: nil)
        defer { for suffix in [".in", ".out", ".err"] { try? FileManager.default.removeItem(atPath: streams + suffix) } }
        let process = Process()
        process.executableURL = ChildProcess.executable("mnemap")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MNEMAP_STORE"] = nil
        environment["COLUMNS"] = "100"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardInput = FileHandle(forReadingAtPath: streams + ".in")
        process.standardOutput = FileHandle(forWritingAtPath: streams + ".out")
        process.standardError = FileHandle(forWritingAtPath: streams + ".err")
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            output: String(decoding: try Data(contentsOf: URL(fileURLWithPath: streams + ".out")), as: UTF8.self),
            errors: String(decoding: try Data(contentsOf: URL(fileURLWithPath: streams + ".err")), as: UTF8.self)
        )
    }

    /// Runs a command on the test's store that must succeed; returns its output.
    @discardableResult
    func succeed(_ arguments: String..., input: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let outcome = try run(arguments + ["--store", store], input: input)
        #expect(outcome.status == 0, "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
        return outcome
    }

    /// Runs a command on the test's store that must fail; returns its standard error.
    @discardableResult
    func fail(_ arguments: String..., input: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let outcome = try run(arguments + ["--store", store], input: input)
        #expect(outcome.status != 0, "\(arguments) succeeded: \(outcome.output)", sourceLocation: sourceLocation)
        #expect(outcome.errors.hasPrefix("mnemap: ") || outcome.errors.hasPrefix("Error: "), "\(outcome.errors)", sourceLocation: sourceLocation)
        return outcome.errors
    }

    /// Adds a memory; returns its id.
    func add(_ text: String, _ options: String...) throws -> String {
        let outcome = try run(["add", text, "--store", store] + options)
        #expect(outcome.status == 0, "\(outcome.errors)")
        return String(outcome.output.split(separator: " ").first ?? "")
    }

    func object(_ outcome: Outcome) throws -> [String: Any] { try #require(try outcome.json() as? [String: Any]) }
    func array(_ outcome: Outcome) throws -> [[String: Any]] { try #require(try outcome.json() as? [[String: Any]]) }

    // MARK: init, add, get, search, timeline

    @Test func initAddGetAndVectorSearchFindTheMemoryAgain() throws {
        let created = try object(try succeed("init", "--embedder", "hashing", "--json"))
        #expect(created["embedder"] as? String == "hashing-384")
        #expect(created["dimension"] as? Int == 384)
        #expect(created["created"] as? Bool == true)
        #expect(try succeed("init").errors.contains("already a Mnemap store"))

        let tea = try add("Alice prefers green tea", "--namespace", "user/alice", "--kind", "semantic", "--meta", #"{"topic": "tea", "priority": 2}"#, "--importance", "0.8")
        #expect(tea.count == 26)
        let walk = try succeed("add", "-", "--namespace", "user/alice/session/1", "--source", "chat", input: "Alice walks her dog at seven\n")
        #expect(walk.output.hasSuffix(" added\n"))
        _ = try add("Bob drinks coffee every morning", "--namespace", "user/bob", "--ttl", "7d")
        // The same text again in the namespace: nothing added, the first id printed.
        #expect(try succeed("add", "Alice prefers green tea", "--namespace", "user/alice").output == "\(tea) exact-duplicate\n")

        let memory = try object(try succeed("get", tea, "--json"))
        #expect(memory["id"] as? String == tea)
        #expect(memory["namespace"] as? String == "user/alice")
        #expect(memory["kind"] as? String == "semantic")
        #expect(memory["text"] as? String == "Alice prefers green tea")
        #expect(memory["importance"] as? Double == 0.8)
        #expect((memory["metadata"] as? [String: Any])?["topic"] as? String == "tea")
        #expect(memory["createdAt"] as? String != nil)
        let readable = try succeed("get", tea).output
        #expect(readable.contains("namespace     user/alice"))
        #expect(readable.hasSuffix("Alice prefers green tea\n"))

        let hits = try array(try succeed("search", "Alice prefers green tea", "--mode", "vector", "-k", "2", "--json"))
        #expect(hits.count == 2)
        let best = try #require(hits.first)
        #expect((best["memory"] as? [String: Any])?["id"] as? String == tea)
        #expect(best["rank"] as? Int == 1)
        #expect(try #require(best["vectorScore"] as? Double) > 0.99)
        #expect(best["score"] as? Double != nil)

        // Filters: namespace prefix, kind, metadata condition (text and JSON forms).
        let alice = try array(try succeed("search", "dog", "--mode", "vector", "--namespace", "user/alice/session", "--json"))
        #expect(alice.compactMap { ($0["memory"] as? [String: Any])?["namespace"] as? String } == ["user/alice/session/1"])
        let semantic = try array(try succeed("search", "drinks", "--mode", "vector", "--kind", "semantic", "--json"))
        #expect(semantic.count == 1)
        let topical = try array(try succeed("search", "anything", "--mode", "vector", "--where", #"topic = "tea" and priority >= 2"#, "--json"))
        #expect(topical.count == 1)
        let none = try array(try succeed("search", "anything", "--mode", "vector", "--where-json", #"{"priority": {"$gt": 5}}"#, "--json"))
        #expect(none.isEmpty)

        let table = try succeed("search", "green tea", "--mode", "vector", "--ids").lines
        #expect(table.first?.split(separator: " ", omittingEmptySubsequences: true) == ["#", "SCORE", "VECTOR", "ID", "NAMESPACE", "AGE", "MEMORY"])
        #expect(table.count == 4)
        #expect(table[1].hasPrefix("1  "))
        #expect(table[1].contains(tea))
        #expect(table.allSatisfy { $0.count <= 100 })
        // Text and hybrid modes answer with the same structure.
        #expect(try succeed("search", "tea", "--mode", "hybrid", "--json").json() is [Any])
        #expect(try succeed("search", "tea", "--mode", "text", "--json").json() is [Any])
    }

    @Test func timelinePagesWithACursorInTimeOrder() throws {
        try succeed("init", "--embedder", "hashing", "--dimension", "64")
        var ids: [String] = []
        for number in 1...5 { ids.append(try add("note number \(number)", "--namespace", number == 5 ? "project/x/sub" : "project/x")) }

        let first = try succeed("timeline", "--namespace", "project/x", "--limit", "2")
        #expect(first.lines.count == 4)
        #expect(first.lines[1].hasPrefix(ids[0]))
        #expect(first.lines[2].hasPrefix(ids[1]))
        #expect(first.lines[3] == "next: --after \(ids[1])")

        let rest = try object(try succeed("timeline", "--namespace", "project/x", "--after", ids[1], "--json"))
        let memories = try #require(rest["memories"] as? [[String: Any]])
        #expect(memories.compactMap { $0["id"] as? String } == Array(ids[2...3]))
        #expect(rest["next"] is NSNull)

        let all = try object(try succeed("timeline", "--namespace", "project/x", "--children", "--newest-first", "--json"))
        #expect((all["memories"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ids.reversed())
    }

    // MARK: update, state

    @Test func updateKeepsTheEarlierVersionInTheHistory() throws {
        try succeed("init", "--embedder", "hashing")
        let id = try add("the deploy runs at 9", "--namespace", "ops", "--meta", #"{"team": "infra", "old": true}"#)
        #expect(try succeed("update", id, "--text", "the deploy runs at 10", "--merge-meta", #"{"old": null, "checked": 1}"#, "--valid-until", "2030-01-01").output == "\(id) updated (version 1)\n")
        let memory = try object(try succeed("get", id, "--json", "--history"))
        #expect(memory["text"] as? String == "the deploy runs at 10")
        #expect(memory["version"] as? Int == 1)
        #expect(memory["validUntil"] as? String == "2030-01-01T00:00:00.000Z")
        let metadata = try #require(memory["metadata"] as? [String: Any])
        #expect(Set(metadata.keys) == ["team", "checked"])
        let history = try #require(memory["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["text"] as? String } == ["the deploy runs at 9"])
        try succeed("update", id, "--valid-until", "none")
        #expect(try object(try succeed("get", id, "--json"))["validUntil"] == nil)
        // The new text is what vector search finds now.
        let hits = try array(try succeed("search", "the deploy runs at 10", "--mode", "vector", "--json"))
        #expect(try #require(hits.first?["vectorScore"] as? Double) > 0.99)
    }

    @Test func stateSetGetListAndDelete() throws {
        try succeed("init", "--embedder", "hashing")
        try succeed("state", "set", "--namespace", "agent/planner", "step", #"{"n": 2}"#)
        try succeed("state", "set", "--namespace", "agent/planner", "status", "-", input: #""running""#)
        #expect(try succeed("state", "get", "--namespace", "agent/planner", "status").output == "running\n")
        #expect(try succeed("state", "get", "--namespace", "agent/planner", "status", "--json").output == "\"running\"\n")
        #expect(try succeed("state", "get", "--namespace", "agent/planner", "step").output == "{\"n\":2}\n")
        let entries = try array(try succeed("state", "list", "--namespace", "agent/planner", "--json"))
        #expect(entries.compactMap { $0["key"] as? String } == ["status", "step"])
        #expect(try succeed("state", "list", "--namespace", "agent/planner").lines.first?.hasPrefix("KEY") == true)
        try succeed("state", "del", "--namespace", "agent/planner", "status")
        #expect(try fail("state", "get", "--namespace", "agent/planner", "status").contains("no state 'status'"))
        #expect(try fail("state", "del", "--namespace", "agent/planner", "status").contains("--force"))
        try succeed("state", "del", "--namespace", "agent/planner", "status", "--force")
        #expect(try fail("state", "set", "--namespace", "agent/planner", "mood", "happy").contains("write text in quotes"))
    }

    // MARK: export, import, stats, check, compact

    @Test func exportThenImportGivesTheSameMemories() throws {
        try succeed("init", "--embedder", "hashing")
        _ = try add("first memory", "--namespace", "a", "--meta", #"{"k": [1, 2]}"#)
        _ = try add("second memory", "--namespace", "a/b", "--kind", "procedural", "--valid-from", "2024-01-01T00:00:00Z", "--episode", "e1")
        _ = try add("third memory", "--namespace", "c", "--ttl", "30d", "--source", "doc")
        let file = folder.path("export.jsonl")
        #expect(try succeed("export", file).output == "exported 3 memories to \(file)\n")
        let exported = try String(contentsOfFile: file, encoding: .utf8)
        #expect(exported.split(separator: "\n").count == 3)

        let copy = folder.path("copy")
        #expect(try run(["init", "--store", copy, "--embedder", "hashing"]).status == 0)
        let imported = try run(["import", file, "--store", copy, "--json", "--batch", "2"])
        #expect(imported.status == 0, "\(imported.errors)")
        let summary = try object(imported)
        #expect(summary["added"] as? Int == 3)
        #expect(summary["skipped"] as? Int == 0)
        // Not a terminal: no progress bar, only the summary.
        #expect(imported.errors.isEmpty)
        let again = try run(["import", file, "--store", copy])
        #expect(again.output.hasPrefix("imported \(file): 0 added, 3 skipped"), "\(again.output) \(again.errors)")

        let reexported = folder.path("reexport.jsonl")
        #expect(try run(["export", reexported, "--store", copy]).status == 0)
        #expect(try String(contentsOfFile: reexported, encoding: .utf8) == exported)

        let partial = folder.path("partial.jsonl")
        try succeed("export", partial, "--namespace", "a", "--no-vectors")
        let lines = try String(contentsOfFile: partial, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!lines.contains { $0.contains("\"vector\"") })

        let stats = try object(try run(["stats", "--store", copy, "--json", "--namespaces"]))
        #expect(stats["memories"] as? Int == 3)
        #expect(stats["namespaces"] as? Int == 3)
        #expect(stats["expiring"] as? Int == 1)
        #expect(stats["embedder"] as? String == "hashing-384")
        #expect((stats["namespaceCounts"] as? [String: Int]) == ["a": 1, "a/b": 1, "c": 1])
        let check = try run(["check", "--store", copy])
        #expect(check.status == 0)
        #expect(check.output == "\(copy): intact, 3 memories\n")
        #expect(try object(try run(["check", "--store", copy, "--json"]))["intact"] as? Bool == true)
    }

    @Test func checkExitsOneAndListsTheProblemsOfADamagedStore() throws {
        try succeed("init", "--embedder", "hashing")
        _ = try add("counted memory", "--namespace", "user/alice")
        #expect(try run(["kv", "del", store + "/store", "--tree", "namespaces", "user/alice"]).status == 0)
        let check = try run(["check", "--store", store])
        #expect(check.status == 1)
        #expect(check.output == "namespace user/alice: missing from the namespace list\n")
        #expect(check.errors.contains("1 problem found"))
        let json = try run(["check", "--store", store, "--json"])
        #expect(json.status == 1)
        #expect(try object(json)["problems"] as? [String] == ["namespace user/alice: missing from the namespace list"])
    }

    @Test func importStopsAtABadLineNamingItAndResumes() throws {
        try succeed("init", "--embedder", "hashing")
        let file = folder.path("bad.jsonl")
        try """
            {"text": "one", "namespace": "n"}
            {"text": "two", "namespace": "n"}
            {"text": "three"}
            {"text": "four", "namespace": "n"}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let errors = try fail("import", file, "--batch", "1")
        #expect(errors.contains("line 3: field 'namespace' is missing"), "\(errors)")
        #expect(errors.contains("2 added"), "\(errors)")
        try """
            {"text": "one", "namespace": "n"}
            {"text": "two", "namespace": "n"}
            {"text": "three", "namespace": "n"}
            {"text": "four", "namespace": "n"}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try succeed("import", file).output.hasPrefix("imported \(file): 2 added, 2 skipped"))
        #expect(try fail("import", folder.path("missing.jsonl")).contains("cannot read"))
    }

    @Test func forgetCountsFirstAndNeedsYesForANamespace() throws {
        try succeed("init", "--embedder", "hashing")
        let keep = try add("keep me", "--namespace", "user/bob")
        _ = try add("alice one", "--namespace", "user/alice", "--meta", #"{"tag": "x"}"#)
        _ = try add("alice two", "--namespace", "user/alice/s1")
        let byID = try add("alice three", "--namespace", "user/alice")

        #expect(try succeed("forget", "--namespace", "user/alice", "--dry-run").output == "would forget 3 memories\n")
        #expect(try succeed("forget", "--namespace", "user/alice", "--where", #"tag = "x""#, "--dry-run", "--json").output == "{\"wouldForget\":1}\n")
        #expect(try succeed("forget", "--namespace", "/", "--dry-run").output == "would forget 4 memories\n")
        #expect(try fail("forget", "--namespace", "user/alice").contains("add --yes"))
        #expect(try fail("forget", "--namespace", "user/alicia", "--yes").contains("no memory is in namespace 'user/alicia'"))
        #expect(try succeed("stats", "--json").json() is [String: Any])

        #expect(try succeed("forget", byID).output == "forgot 1 memory\n")
        #expect(try fail("get", byID).contains("no memory with id \(byID)"))
        #expect(try succeed("forget", "--namespace", "user/alice", "--yes").output == "forgot 2 memories\n")
        #expect(try object(try succeed("stats", "--json"))["memories"] as? Int == 1)
        #expect(try succeed("get", keep).output.contains("keep me"))

        // A memory that expires at once is purged by --expired.
        _ = try add("fleeting", "--namespace", "tmp", "--ttl", "0.001s")
        Thread.sleep(forTimeInterval: 0.01)
        #expect(try succeed("forget", "--expired", "--dry-run").output == "would forget 1 memory\n")
        #expect(try succeed("forget", "--expired").output == "forgot 1 memory\n")

        let reclaimed = try object(try succeed("compact", "--json"))["reclaimedVectorSlots"] as? Int
        #expect(reclaimed == 4)
        #expect(try succeed("check").output.contains("intact, 1 memory"))
        #expect(try fail("forget", byID).contains("no memory with id \(byID)"))
    }

    // MARK: errors and defaults

    @Test func badInputsFailWithAMessageSayingWhatIsWrong() throws {
        #expect(try fail("add", "x", "--namespace", "n").contains("is not a Mnemap store"))
        #expect(try fail("stats").contains("mnemap init"))
        try succeed("init", "--embedder", "hashing")
        let id = try add("something", "--namespace", "n")

        #expect(try fail("get", "not-an-id").contains("invalid memory id: 'not-an-id' has 9 characters"))
        #expect(try fail("get", "01JDZ3K7M2X8Q4W5E6R7T8Y9AB").contains("no memory with id 01JDZ3K7M2X8Q4W5E6R7T8Y9AB"))
        #expect(try fail("search", "q", "--where", "topic = ").contains("invalid filter: at character 9"))
        #expect(try fail("search", "q", "--where-json", #"{"a": {"$bad": 1}}"#).contains("invalid filter"))
        #expect(try fail("search", "q", "--where-json", "{").contains("invalid JSON"))
        #expect(try fail("search", "q", "--after", "yesterday").contains("--after 'yesterday' is not a time"))
        #expect(try fail("search", "q", "-k", "0").contains("limit 0 is outside 1 to 1000"))
        #expect(try fail("search", "q", "--half-life", "7x").contains("--half-life '7x' is not a duration"))
        #expect(try fail("add", "y", "--namespace", "n", "--meta", "{oops}").contains("--meta: invalid JSON"))
        #expect(try fail("add", "y", "--namespace", "n", "--meta", "[1]").contains("must be a JSON object"))
        #expect(try fail("add", "y", "--namespace", "n", "--ttl", "soon").contains("--ttl 'soon' is not a duration"))
        #expect(try fail("add", "y", "--namespace", "n//m").contains("empty segment"))
        #expect(try fail("add", "   ", "--namespace", "n").contains("the text is empty"))
        #expect(try fail("add", "y", "--namespace", "n", "--importance", "2").contains("importance 2.0 is outside 0 to 1"))
        #expect(try fail("add", "y", "--namespace", "n", "--vector", "1,2,3").contains("has 3 numbers"))
        #expect(try fail("update", id).contains("nothing to change"))
        #expect(try fail("timeline", "--namespace", "n", "--after", "bad").contains("invalid memory id"))
        #expect(try fail("forget").contains("give memory ids, --namespace, or --expired"))
        #expect(try fail("init", "--embedder", "hashing", "--dimension", "8").contains("already a Mnemap store, with embedder hashing-384"))
    }

    @Test func theStoreComesFromTheEnvironmentWithoutStore() throws {
        let environment = ["MNEMAP_STORE": store]
        #expect(try run(["init", "--embedder", "hashing"], environment: environment).status == 0)
        let added = try run(["add", "from the environment", "--namespace", "env"], environment: environment)
        #expect(added.status == 0, "\(added.errors)")
        #expect(try object(try succeed("stats", "--json"))["memories"] as? Int == 1)
    }
}
