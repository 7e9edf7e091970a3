/// Turns text into vectors: the one interface the rest of Mnemap uses for embeddings.
///
/// Implementations: ``MiniLMEmbedder`` (all-MiniLM-L6-v2 in Swift, weights mapped from a
/// safetensors file) and ``HashingEmbedder`` (lexical, no model).
public protocol Embedder: Sendable {
    /// A stable name for the model, stored with vectors so that vectors of different models are never mixed.
    var name: String { get }
    /// The length of every vector `embed` returns.
    var dimension: Int { get }
    /// Whether every vector has unit L2 length (then dot product equals cosine similarity).
    /// A vector of an input with no content may be all zeros instead.
    var isNormalized: Bool { get }
    /// One vector of ``dimension`` floats per text, in the order of `texts`.
    ///
    /// Any string is valid input, including the empty string. An empty array gives an empty array.
    /// - Throws: ``EmbeddingError`` when the model cannot run (e.g. a remote service fails).
    func embed(_ texts: [String]) throws -> [[Float]]
}

extension Embedder {
    /// The vector of one text.
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }
}
