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
        #expect(abs(a[0].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    }

    @Test func theHashIsPinnedSoStoredVectorsStayValid() {
        // FNV-1a 64 of "the" is 252 mod 384 with the top bit clear, of "fox" 14 with it set,
        // of "the fox" 281 with it clear (computed independently). A change here invalidates stored vectors.
        let vector = HashingEmbedder().embed(["The FOX"])[0]
        let expected = Float(1 / 3.0.squareRoot())
        #expect(Set(vector.indices.filter { vector[$0] != 0 }) == [14, 252, 281])
        #expect(abs(vector[252] - expected) < 1e-6 && abs(vector[14] + expected) < 1e-6 && abs(vector[281] - expected) < 1e-6)
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
