import ArgumentParser
import Embeddings
import Foundation
import Mnemap

/// `mnemap demo`: builds a memory store from a simulated agent conversation and shows what it
/// can do: semantic, text, hybrid and filtered search, the timeline and agent state.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a demo memory store and show semantic, text, hybrid and filtered search, the timeline and state.",
        discussion: """
            Needs no network and no data: the memories are a simulated conversation between an agent and five users \
            (about 1,300 memories). Uses all-MiniLM-L6-v2 when it is installed; otherwise tries `mnemap model install` \
            (up to --install-timeout seconds) and falls back to the hashing embedder, saying so.
            """
    )

    @Option(help: "The store folder (default: a new temporary folder, removed at the end).") var store: String?
    @Option(help: "minilm, hashing or auto (MiniLM when installed or installable).") var embedder = "auto"
    @Option(help: "Seconds to let `mnemap model install` try when the model is missing (0: do not try).") var installTimeout = 120

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let embedder = try chooseEmbedder()
        let folder = store ?? FileManager.default.temporaryDirectory.appendingPathComponent("mnemap-demo-\(getpid())").path
        defer { if store == nil { try? FileManager.default.removeItem(atPath: folder) } }
        if store != nil, FileManager.default.fileExists(atPath: folder + "/manifest.json") {
            throw ValidationError("\(folder) already holds a store; pick a new folder (the demo builds its own).")
        }
        let memory = try MemoryStore(path: folder, embedder: embedder)

        heading("1. Remembering")
        let items = DemoCorpus.memories()
        var timer = clock.now
        var done = 0
        var repeated = 0
        for start in stride(from: 0, to: items.count, by: 128) {
            let batch = Array(items[start..<min(start + 128, items.count)])
            repeated += try memory.add(contentsOf: batch).filter { $0.outcome == .exactDuplicate }.count
            done += batch.count
            let seconds = seconds(since: timer, clock)
            progress("embedded and stored \(done)/\(items.count) memories (\(Int(Double(done) / max(seconds, 0.001)))/s)")
        }
        endProgress()
        let stats = try memory.stats()
        print("\(items.count) lines: \(stats.memories) memories kept, \(repeated) exact repeats in a session skipped (content hash)")
        print("\(stats.memories) memories in \(stats.namespaces) namespaces, \(String(format: "%.1f", seconds(since: timer, clock))) s with \(embedder.name); store \(formatBytes(stats.storeBytes)), vectors \(formatBytes(stats.vectorBytes)) in \(folder)")

        heading("2. Semantic search: \"what should I avoid cooking for bob?\"")
        timer = clock.now
        show(try memory.search(SearchRequest(query: "what should I avoid cooking for bob?", mode: .vector, limit: 3)), since: timer, clock)

        heading("3. Text search (BM25): \"ACME-4471\"")
        timer = clock.now
        show(try memory.search(SearchRequest(query: "ACME-4471", mode: .text, limit: 3)), since: timer, clock)

        heading("4. Hybrid search (vector + BM25, reciprocal rank fusion): \"Erin's flight booking\"")
        timer = clock.now
        show(try memory.search(SearchRequest(query: "Erin's flight booking", mode: .hybrid, limit: 3)), since: timer, clock)

        heading("5. Filtered search: facts about alice only (namespace user/alice, kind semantic): \"travel plans\"")
        timer = clock.now
        let filter = MemoryFilter(namespacePrefix: "user/alice", kinds: [.semantic])
        show(try memory.search(SearchRequest(query: "travel plans", mode: .hybrid, limit: 3, filter: filter)), since: timer, clock)

        heading("6. Metadata filter: procedures (topic = \"howto\"): \"how do I ship a new version?\"")
        timer = clock.now
        let howto = MemoryFilter(metadata: try MetadataExpression(parsing: #"topic = "howto""#))
        show(try memory.search(SearchRequest(query: "how do I ship a new version?", mode: .vector, limit: 2, filter: howto)), since: timer, clock)

        heading("7. Timeline: the last turns of carol's third session")
        timer = clock.now
        let page = try memory.timeline(namespace: "user/carol/session/3", limit: 4, newestFirst: true)
        for item in page.items.reversed() { print("  \(formatTime(item.createdAt))  \(item.text)") }
        print("  (\(milliseconds(since: timer, clock)) ms; next page cursor \(page.next ?? "none"))")

        heading("8. Agent state: a plan kept across restarts")
        try memory.setState(["goal": "book Lisbon hotel", "step": 1], for: "plan", in: "agent/alice-helper")
        try memory.updateState("plan", in: "agent/alice-helper") { value in
            guard case .object(var plan)? = value else { return value }
            plan["step"] = .number((plan["step"]?.numberValue ?? 0) + 1)
            return .object(plan)
        }
        print("  plan = \(try memory.state("plan", in: "agent/alice-helper")?.jsonText ?? "none")")

        heading("9. Superseding a fact without losing its past")
        let lisbon = try memory.search(SearchRequest(query: "Alice trip Lisbon May", mode: .hybrid, limit: 1, filter: MemoryFilter(namespacePrefix: "user/alice", kinds: [.semantic])))
        if let old = lisbon.first?.memory {
            let new = try memory.supersede(old.id, with: NewMemory(text: "Alice moved her Lisbon trip to June", namespace: "user/alice", kind: .semantic))
            let now = try memory.search(SearchRequest(query: "when is alice going to lisbon", mode: .vector, limit: 1, filter: MemoryFilter(namespacePrefix: "user/alice", kinds: [.semantic], validAt: Date())))
            print("  now:    \(now.first?.memory.text ?? "-")")
            print("  before: \(old.text) (valid until \(formatTime(new.createdAt)))")
        }

        let check = try memory.check()
        heading("Done")
        print("check: \(check.isIntact ? "intact" : check.problems.joined(separator: "; ")); total \(String(format: "%.1f", seconds(since: started, clock))) s.")
        print("Next: `mnemap init`, `mnemap add`, `mnemap search` on your own store (`mnemap --help`).")
    }

    /// MiniLM when installed (or installable within the timeout), otherwise the hashing embedder.
    private func chooseEmbedder() throws -> any Embedder {
        switch embedder {
        case "hashing": return HashingEmbedder(dimension: 384)
        case "minilm": return try MiniLMEmbedder()
        case "auto": break
        default: throw ValidationError("--embedder is minilm, hashing or auto.")
        }
        let folder = ModelStore.miniLMDirectory()
        if !ModelStore.isInstalled(at: folder), installTimeout > 0 {
            print("all-MiniLM-L6-v2 is not installed; trying `mnemap model install` (up to \(installTimeout) s)…")
            tryInstall(seconds: installTimeout)
        }
        if ModelStore.isInstalled(at: folder), let model = try? MiniLMEmbedder(folder: folder) { return model }
        print("note: using the hashing embedder (matches words, not meaning): all-MiniLM-L6-v2 is not installed. Install it with `mnemap model install` for semantic search.")
        return HashingEmbedder(dimension: 384)
    }

    private func tryInstall(seconds: Int) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/install-model.sh").standardized.path
        guard FileManager.default.fileExists(atPath: script) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script, ModelStore.miniLMDirectory()]
        guard (try? process.run()) != nil else { return }
        let deadline = Date().addingTimeInterval(Double(seconds))
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            print("the model install did not finish in \(seconds) s.")
        }
    }

    private func heading(_ text: String) { print("\n== \(text)") }

    private func show(_ hits: [SearchHit], since start: ContinuousClock.Instant, _ clock: ContinuousClock) {
        let elapsed = milliseconds(since: start, clock)
        for (rank, hit) in hits.enumerated() {
            var why: [String] = []
            if let score = hit.vectorScore { why.append("vector \(String(format: "%.2f", score))") }
            if let score = hit.textScore { why.append("bm25 \(String(format: "%.2f", score))") }
            print("  \(rank + 1). [\(hit.memory.namespace)] \(hit.memory.text.prefix(90))  (\(why.joined(separator: ", ")))")
        }
        if hits.isEmpty { print("  (no results)") }
        print("  (\(elapsed) ms, including embedding the query)")
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("\r\(text)".utf8))
    }

    private func endProgress() { FileHandle.standardError.write(Data("\n".utf8)) }

    private func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let (seconds, attoseconds) = (clock.now - start).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func milliseconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> String {
        String(format: "%.2f", seconds(since: start, clock) * 1000)
    }

    private func formatTime(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }
}
