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
    /// An embedding service answered with an HTTP error status (after the retries, for retryable ones).
    case httpStatus(url: String, status: Int, message: String)
    /// An embedding service could not be reached, or did not answer in time (after the retries).
    case network(url: String, message: String)
    /// An embedding service answered 200 with a body that is not a list of embeddings for the inputs.
    case invalidResponse(url: String, reason: String)
    /// An embedding service returned vectors of another length than configured.
    case wrongDimension(model: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .modelNotInstalled(let path):
            return "the model is not installed: '\(path)' does not exist. Install it with scripts/install-model.sh, or set MNEMAP_MODEL_DIR to a folder holding config.json, model.safetensors and vocab.txt or tokenizer.json."
        case .invalidModel(let path, let reason):
            return "the model file '\(path)' is not usable: \(reason). Reinstall the model with scripts/install-model.sh."
        case .unsupportedModel(let path, let reason):
            return "the model in '\(path)' is not supported: \(reason)."
        case .httpStatus(let url, let status, let message):
            let advice = switch status {
            case 401, 403: "Check the API key."
            case 404: "Check the base URL (it should end in /v1) and the model name."
            case 429: "The service is rate limiting; retry later or send smaller batches."
            case 500...599: "The service failed; retry later."
            default: "Check the request settings."
            }
            return "the embedding service at \(url) answered HTTP \(status): \(message). \(advice)"
        case .network(let url, let message):
            return "the embedding service at \(url) could not be reached: \(message). Check that it is running and the base URL, or raise the timeout."
        case .invalidResponse(let url, let reason):
            return "the embedding service at \(url) gave an answer that is not an OpenAI embeddings list: \(reason)."
        case .wrongDimension(let model, let expected, let actual):
            return "the model '\(model)' returned vectors of \(actual) dimensions, not the \(expected) configured. Configure dimension \(actual), or choose the model whose vectors the store holds."
        }
    }
}
