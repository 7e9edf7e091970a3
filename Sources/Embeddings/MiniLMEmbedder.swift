import Foundation

/// all-MiniLM-L6-v2 (sentence-transformers) in Swift: 384-dimensional sentence embeddings,
/// computed on the CPU from weights mapped in place from `model.safetensors`.
///
/// The pipeline is the reference one: ``WordPieceTokenizer`` (at most 256 ids), the 6-layer BERT
/// encoder, mean pooling over the tokens, L2 normalisation. Vectors agree with sentence-transformers'
/// to a cosine of at least 0.9999 (typically 1e-6 per component).
///
/// Cost: opening maps the weights (no read, no copy; about 90 MB of address space) and reads the
/// vocabulary. Embedding costs about 21 MFLOP per token; texts are sorted by length and run in
/// batches, each batch packed without padding, on all cores. The first batch of 64 tokens or more,
/// or the second batch of any size, copies the layers' weight matrices into the layout of the
/// matrix kernel (42 MB, kept for the embedder's lifetime; the mapped originals' pages are then
/// released); a single short first call allocates nothing of the kind. A text's vector does not depend on
/// the other texts of the call. Safe to use from many threads at once. `embed` blocks its thread
/// while it runs (`DispatchQueue.concurrentPerform`); from async code, call it outside the
/// cooperative thread pool (e.g. on a dedicated thread or dispatch queue) for long inputs.
public final class MiniLMEmbedder: Embedder, @unchecked Sendable {
    public let name = "all-MiniLM-L6-v2"
    public var dimension: Int { configuration.hiddenSize }
    public var isNormalized: Bool { normalizes }
    /// The folder the model was read from.
    public let folder: String
    public let tokenizer: WordPieceTokenizer
    public let configuration: BertConfiguration
    /// Texts per forward pass.
    public let batchSize: Int
    private let normalizes: Bool
    private let encoder: BertEncoder

    /// Opens the model folder (Hugging Face layout: `config.json`, `model.safetensors`, and `vocab.txt`
    /// or `tokenizer.json`), by default the one ``ModelStore`` finds.
    ///
    /// - Parameters:
    ///   - normalize: Whether vectors are L2-normalised (the model's last module). `false` gives the mean-pooled vectors.
    ///   - batchSize: Texts per forward pass (32 as in sentence-transformers).
    /// - Throws: ``EmbeddingError/modelNotInstalled(path:)`` when a file is missing (install with
    ///   `scripts/install-model.sh`), ``SafeTensorsError`` or ``EmbeddingError`` when a file is damaged or of another model.
    public convenience init(folder: String = ModelStore.miniLMDirectory(), normalize: Bool = true, batchSize: Int = 32) throws {
        try self.init(folder: folder, normalize: normalize, batchSize: batchSize, level: .best)
    }

    /// The same at a chosen build of the vector kernels (tests run the portable one beside the best).
    init(folder: String, normalize: Bool, batchSize: Int, level: KernelLevel) throws {
        func file(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let files = FileManager.default
        for required in ["config.json", "model.safetensors"] where !files.fileExists(atPath: file(required)) {
            throw EmbeddingError.modelNotInstalled(path: file(required))
        }
        let configuration = try BertConfiguration(file: file("config.json"))
        let maximumLength = min(256, configuration.maximumPositions)
        let tokenizer: WordPieceTokenizer
        if files.fileExists(atPath: file("vocab.txt")) {
            tokenizer = try WordPieceTokenizer(vocabularyFile: file("vocab.txt"), maximumLength: maximumLength)
        } else if files.fileExists(atPath: file("tokenizer.json")) {
            tokenizer = try WordPieceTokenizer(tokenizerFile: file("tokenizer.json"), maximumLength: maximumLength)
        } else {
            throw EmbeddingError.modelNotInstalled(path: file("vocab.txt"))
        }
        guard tokenizer.vocabulary.count <= configuration.vocabularySize else {
            throw EmbeddingError.invalidModel(path: folder, reason: "the vocabulary has \(tokenizer.vocabulary.count) tokens but the model only \(configuration.vocabularySize) embeddings")
        }
        let weights = try BertWeights(file: SafeTensors(path: file("model.safetensors")), configuration: configuration)
        self.folder = folder
        self.tokenizer = tokenizer
        self.configuration = configuration
        self.normalizes = normalize
        self.batchSize = max(1, batchSize)
        self.encoder = BertEncoder(configuration: configuration, weights: weights, level: level)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        embed(tokenIDs: texts.map(tokenizer.encode))
    }

    /// The vectors of already tokenised texts (ids from ``tokenizer``, `[CLS]` and `[SEP]` included).
    ///
    /// Sequences longer than the tokenizer's maximum length are truncated to it before `[SEP]`;
    /// ids outside the vocabulary are read as `[UNK]`.
    public func embed(tokenIDs sequences: [[Int32]]) -> [[Float]] {
        let vocabularySize = Int32(configuration.vocabularySize)
        let sequences = sequences.map { ids -> [Int32] in
            var ids = ids.map { $0 >= 0 && $0 < vocabularySize ? $0 : tokenizer.unknownID }
            if ids.count > tokenizer.maximumLength {
                ids = Array(ids.prefix(tokenizer.maximumLength - 1)) + [tokenizer.separatorID]
            }
            return ids
        }
        // Sorted by length, so that a batch holds texts of similar lengths.
        let order = sequences.indices.sorted { (sequences[$0].count, $0) < (sequences[$1].count, $1) }
        var vectors = [[Float]](repeating: [], count: sequences.count)
        let h = configuration.hiddenSize
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let batch = Array(order[start..<min(order.count, start + batchSize)])
            let pooled = encoder.meanPooled(batch.map { sequences[$0] })
            for (position, index) in batch.enumerated() {
                var vector = Array(pooled[(position * h)..<((position + 1) * h)])
                if normalizes { Self.normalizeL2(&vector) }
                vectors[index] = vector
            }
        }
        return vectors
    }

    /// Divides by the L2 norm (at least 1e-12, as `torch.nn.functional.normalize`).
    static func normalizeL2(_ vector: inout [Float]) {
        var squares: Float = 0
        for x in vector { squares += x * x }
        let scale = 1 / max(squares.squareRoot(), 1e-12)
        for i in vector.indices { vector[i] *= scale }
    }
}
