/// Why an embedder could not be created or could not embed.
///
/// Its `description` names the file or the model and says what to do about it.
public enum EmbeddingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The model folder, or a file the model needs in it, does not exist.
    case modelNotInstalled(path: String)
    /// A model file exists but is not what the model needs (wrong shape, missing tensor, bad JSON).
    case invalidModel(path: String, reason: String)
    /// The model's configuration asks for something this implementation does not do.
    case unsupportedModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .modelNotInstalled(let path):
            return "the model is not installed: '\(path)' does not exist. Install it with scripts/install-model.sh, or set MNEMAP_MODEL_DIR to a folder holding config.json, model.safetensors and vocab.txt or tokenizer.json."
        case .invalidModel(let path, let reason):
            return "the model file '\(path)' is not usable: \(reason). Reinstall the model with scripts/install-model.sh."
        case .unsupportedModel(let path, let reason):
            return "the model in '\(path)' is not supported: \(reason)."
        }
    }
}
