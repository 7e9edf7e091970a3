import Embeddings
import Foundation
import MnemapTestSupport
import Testing
import Mnemap

/// The README's 30-second example, with the hashing embedder instead of MiniLM.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() throws {
        let folder = try TemporaryFolder()
        let memory = try MemoryStore(path: folder.path("agent.mnemap"), embedder: HashingEmbedder())
        try memory.add(NewMemory(text: "Bob is allergic to peanuts", namespace: "user/bob", kind: .semantic, importance: 0.9))
        try memory.add(NewMemory(text: "Bob: can you book the Thai place for Friday?", namespace: "user/bob/session/7"))
        let hits = try memory.search(SearchRequest(
            query: "what should I avoid cooking for Bob?",
            filter: MemoryFilter(namespacePrefix: "user/bob", kinds: [.semantic],
                                 metadata: try MetadataExpression(parsing: #"not exists(archived)"#)),
            recencyHalfLife: 30 * 86400))
        #expect(hits.map(\.memory.text) == ["Bob is allergic to peanuts"])
        let page = try memory.timeline(namespace: "user/bob", includingChildren: true, limit: 20, newestFirst: true)
        #expect(page.items.count == 2)
        try memory.updateState("plan", in: "agent/bob-helper") { _ in ["step": 2, "goal": "book dinner"] }
        #expect(try memory.state("plan", in: "agent/bob-helper")?["step"] == 2)
    }
}
