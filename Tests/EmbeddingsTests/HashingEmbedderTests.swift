import Embeddings
import Testing

@Suite("Hashing embedder")
struct HashingEmbedderTests {
    @Test func vectorsAreDeterministicAndFixedAcrossRuns() {
        let embedder = HashingEmbedder()
        let a = embedder.embed(["The quick brown fox", "memory-mapped files"])
        let b = HashingEmbedder().embed(["The quick brown fox", "memory-mapped files"])
        #expect(a == b)
        #expect(a[0].count == 384 && embedder.dimension == 384 && embedder.name == "hashing-384")
        // Pinned: a change of hash or weighting would silently invalidate stored vectors.
        let nonZero = a[0].indices.filter { a[0][$0] != 0 }
        #expect(nonZero.count >= 4 && nonZero.count <= 7)
        #expect(abs(a[0].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    }

    @Test func normalisationMakesCaseAndAccentsIrrelevant() {
        let embedder = HashingEmbedder(dimension: 64)
        let vectors = embedder.embed(["Crème Brûlée", "creme brulee", "CREME BRULEE!"])
        #expect(vectors[0] == vectors[1])
        #expect(vectors[0] != vectors[2])  // "!" is a word of its own
    }

    @Test func sharedWordsMakeVectorsCloserButItIsNotSemantic() {
        let embedder = HashingEmbedder()
        let v = embedder.embed(["vector search in a file", "vector search on disk", "a completely unrelated sentence"])
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(dot(v[0], v[1]) > dot(v[1], v[2]))
    }

    @Test func emptyTextGivesTheZeroVector() {
        let vectors = HashingEmbedder(dimension: 8).embed(["", "  \n"])
        #expect(vectors == [[Float](repeating: 0, count: 8), [Float](repeating: 0, count: 8)])
    }
}
