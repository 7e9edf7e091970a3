import Foundation

/// The fields of a Hugging Face BERT `config.json` that the encoder needs.
public struct BertConfiguration: Sendable, Equatable {
    public var vocabularySize = 30_522
    public var hiddenSize = 384
    public var layerCount = 6
    public var headCount = 12
    public var intermediateSize = 1_536
    public var maximumPositions = 512
    public var typeVocabularySize = 2
    public var layerNormEpsilon: Float = 1e-12

    /// all-MiniLM-L6-v2's configuration.
    public init() {}

    /// Reads `config.json`.
    /// - Throws: ``EmbeddingError`` when the file is missing, is not JSON, is not a post-LN BERT
    ///   with absolute positions and exact GELU, or has sizes that do not fit together.
    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw EmbeddingError.modelNotInstalled(path: path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EmbeddingError.invalidModel(path: path, reason: "it is not a JSON object")
        }
        func integer(_ key: String, _ fallback: Int) throws -> Int {
            guard let value = json[key] else { return fallback }
            guard let number = value as? NSNumber, number.doubleValue == Double(number.intValue), number.intValue > 0 else {
                throw EmbeddingError.invalidModel(path: path, reason: "'\(key)' is not a positive integer")
            }
            return number.intValue
        }
        if let type = json["model_type"] as? String, type != "bert" {
            throw EmbeddingError.unsupportedModel(path: path, reason: "model_type is '\(type)', only 'bert' is implemented")
        }
        if let activation = json["hidden_act"] as? String, activation != "gelu" {
            throw EmbeddingError.unsupportedModel(path: path, reason: "hidden_act is '\(activation)', only exact 'gelu' is implemented")
        }
        if let positions = json["position_embedding_type"] as? String, positions != "absolute" {
            throw EmbeddingError.unsupportedModel(path: path, reason: "position_embedding_type is '\(positions)', only 'absolute' is implemented")
        }
        vocabularySize = try integer("vocab_size", vocabularySize)
        hiddenSize = try integer("hidden_size", hiddenSize)
        layerCount = try integer("num_hidden_layers", layerCount)
        headCount = try integer("num_attention_heads", headCount)
        intermediateSize = try integer("intermediate_size", intermediateSize)
        maximumPositions = try integer("max_position_embeddings", maximumPositions)
        typeVocabularySize = try integer("type_vocab_size", typeVocabularySize)
        if let epsilon = json["layer_norm_eps"] as? NSNumber { layerNormEpsilon = epsilon.floatValue }
        guard hiddenSize % headCount == 0 else {
            throw EmbeddingError.invalidModel(path: path, reason: "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
    }

    /// The width of one attention head.
    public var headSize: Int { hiddenSize / headCount }
}
