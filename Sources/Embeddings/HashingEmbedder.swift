import Foundation

/// A deterministic embedder that needs no model: the "hashing trick" over words.
///
/// Lexical, not semantic: texts that share words (after BERT's normalisation: lower-cased,
/// accents stripped, punctuation split off) get similar vectors; synonyms and paraphrases do not.
/// Use it when no model is installed, for tests, or as a cheap first stage.
///
/// Each word, and each pair of adjacent words, is hashed (64-bit FNV-1a of its UTF-8, the same on
/// every platform and in every process) to a dimension and a sign; the counts are damped with
/// `log(1 + count)` and the vector is L2-normalised. A text with no words gives the zero vector.
/// Cost: linear in the text's length.
public struct HashingEmbedder: Embedder {
    public let dimension: Int
    public var name: String { "hashing-\(dimension)" }
    public var isNormalized: Bool { true }

    /// - Parameter dimension: The vector length (at least 1; 384 matches MiniLM's).
    public init(dimension: Int = 384) {
        self.dimension = max(1, dimension)
    }

    public func embed(_ texts: [String]) -> [[Float]] {
        texts.map(vector)
    }

    private func vector(_ text: String) -> [Float] {
        let words = BertNormalizer.words(BertNormalizer.normalize(text)).map { word in
            word.flatMap { UTF8.encode($0).map(Array.init) ?? [] }
        }
        var counts: [Int: Float] = [:]
        func add(_ bytes: [UInt8]) {
            let hash = Self.fnv1a(bytes)
            let slot = Int(hash % UInt64(dimension))
            counts[slot, default: 0] += hash & (1 << 63) == 0 ? 1 : -1
        }
        for (index, word) in words.enumerated() {
            add(word)
            if index > 0 { add(words[index - 1] + [0x20] + word) }
        }
        var vector = [Float](repeating: 0, count: dimension)
        for (slot, count) in counts {
            vector[slot] = count < 0 ? -log1pf(-count) : log1pf(count)
        }
        var squares: Float = 0
        for x in vector { squares += x * x }
        if squares > 0 {
            let scale = 1 / squares.squareRoot()
            for i in vector.indices { vector[i] *= scale }
        }
        return vector
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
