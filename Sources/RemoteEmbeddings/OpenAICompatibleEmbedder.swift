import Embeddings
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Embeddings from a service that speaks OpenAI's `POST /v1/embeddings`: OpenAI itself, Ollama,
/// the llama.cpp server, vLLM, and others.
///
/// Texts are sent `batchSize` at a time as `{"model": …, "input": [...], "encoding_format": "float"}`;
/// the vectors come back in input order whatever order the service lists them in. A request that
/// fails with 429 (rate limited), 500, 502, 503 or 504, or with a network error or a timeout, is
/// retried up to `maximumRetries` times, waiting `initialBackoff`, then twice as long each time
/// (or the service's `Retry-After`, up to 60 s). Other statuses fail at once.
///
/// `embed` blocks the calling thread until every batch has its answer. The embedder is immutable
/// (its `URLSession` is thread-safe), so calls from several threads are safe.
/// - Throws: ``EmbeddingError/httpStatus(url:status:message:)``, ``EmbeddingError/network(url:message:)``,
///   ``EmbeddingError/invalidResponse(url:reason:)``, ``EmbeddingError/wrongDimension(model:expected:actual:)``.
public final class OpenAICompatibleEmbedder: Embedder, @unchecked Sendable {
    /// Where and how to ask.
    public struct Configuration: Sendable {
        /// The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`; requests go to `<baseURL>/embeddings`.
        public var baseURL: URL
        /// The model name the service knows, e.g. `text-embedding-3-small` or `nomic-embed-text`.
        public var model: String
        /// Sent as `Authorization: Bearer <apiKey>` when set.
        public var apiKey: String?
        /// The length the service's vectors must have; any other length is an error.
        public var dimension: Int
        /// Whether the service returns unit vectors (OpenAI's models do).
        public var isNormalized: Bool
        /// Texts per request.
        public var batchSize: Int
        /// Retries of one request after a retryable failure.
        public var maximumRetries: Int
        /// The wait before the first retry; each further retry waits twice as long.
        public var initialBackoff: Duration
        /// How long one request may take, in seconds.
        public var timeout: TimeInterval

        public init(
            baseURL: URL, model: String, apiKey: String? = nil, dimension: Int, isNormalized: Bool = true,
            batchSize: Int = 64, maximumRetries: Int = 4, initialBackoff: Duration = .milliseconds(500),
            timeout: TimeInterval = 60
        ) {
            self.baseURL = baseURL
            self.model = model
            self.apiKey = apiKey
            self.dimension = dimension
            self.isNormalized = isNormalized
            self.batchSize = max(1, batchSize)
            self.maximumRetries = max(0, maximumRetries)
            self.initialBackoff = initialBackoff
            self.timeout = timeout
        }
    }

    public let configuration: Configuration
    public var name: String { configuration.model }
    public var dimension: Int { configuration.dimension }
    public var isNormalized: Bool { configuration.isNormalized }
    private let session: URLSession

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.timeoutIntervalForRequest = configuration.timeout
        sessionConfiguration.timeoutIntervalForResource = configuration.timeout
        self.session = URLSession(configuration: sessionConfiguration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// The endpoint requests go to.
    public var endpoint: URL { configuration.baseURL.appendingPathComponent("embeddings") }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: configuration.batchSize) {
            vectors += try embedBatch(Array(texts[start..<min(texts.count, start + configuration.batchSize)]))
        }
        return vectors
    }

    private func embedBatch(_ texts: [String]) throws -> [[Float]] {
        var request = URLRequest(url: endpoint, timeoutInterval: configuration.timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = configuration.apiKey, !key.isEmpty {
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        }
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "model": configuration.model, "input": texts, "encoding_format": "float",
        ] as [String: Any])

        var backoff = configuration.initialBackoff
        var attempt = 0
        while true {
            let failure: EmbeddingError
            var wait = backoff
            switch send(request) {
            case .success(let (status, _, body)) where status == 200:
                return try decode(body, count: texts.count)
            case .success(let (status, headers, body)):
                failure = .httpStatus(url: endpoint.absoluteString, status: status, message: Self.message(in: body))
                guard [429, 500, 502, 503, 504].contains(status) else { throw failure }
                if let retryAfter = headers["retry-after"].flatMap(Double.init), retryAfter >= 0 {
                    wait = .milliseconds(Int(min(retryAfter, 60) * 1000))
                }
            case .failure(let error):
                failure = error
            }
            guard attempt < configuration.maximumRetries else { throw failure }
            attempt += 1
            Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            backoff *= 2
        }
    }

    /// One HTTP exchange: status, lower-cased headers and body, or a network error.
    private func send(_ request: URLRequest) -> Result<(Int, [String: String], Data), EmbeddingError> {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let url = endpoint.absoluteString
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                outcome.result = .failure(.network(url: url, message: error.localizedDescription))
            } else if let response = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in response.allHeaderFields {
                    headers[String(describing: key).lowercased()] = String(describing: value)
                }
                outcome.result = .success((response.statusCode, headers, data ?? Data()))
            } else {
                outcome.result = .failure(.network(url: url, message: "the answer is not HTTP"))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return outcome.result ?? .failure(.network(url: url, message: "no answer"))
    }

    private func decode(_ body: Data, count: Int) throws -> [[Float]] {
        let url = endpoint.absoluteString
        guard let root = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let data = root["data"] as? [[String: Any]]
        else {
            throw EmbeddingError.invalidResponse(url: url, reason: "the body is not JSON with a \"data\" array")
        }
        guard data.count == count else {
            throw EmbeddingError.invalidResponse(url: url, reason: "\(data.count) embeddings for \(count) inputs")
        }
        var vectors = [[Float]?](repeating: nil, count: count)
        for (position, item) in data.enumerated() {
            let index = (item["index"] as? Int) ?? position
            guard vectors.indices.contains(index), vectors[index] == nil else {
                throw EmbeddingError.invalidResponse(url: url, reason: "embedding index \(index) is out of range or repeated")
            }
            guard let numbers = item["embedding"] as? [Any] else {
                throw EmbeddingError.invalidResponse(url: url, reason: "embedding \(index) is not an array of numbers (base64 is not requested)")
            }
            guard numbers.count == configuration.dimension else {
                throw EmbeddingError.wrongDimension(model: configuration.model, expected: configuration.dimension, actual: numbers.count)
            }
            vectors[index] = try numbers.map { value in
                guard let number = value as? NSNumber else {
                    throw EmbeddingError.invalidResponse(url: url, reason: "embedding \(index) holds a value that is not a number")
                }
                return number.floatValue
            }
        }
        return vectors.map { $0! }
    }

    /// The service's error message (`{"error": {"message": …}}` or `{"error": "…"}`), else the start of the body.
    private static func message(in body: Data) -> String {
        if let root = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] {
            if let error = root["error"] as? [String: Any], let message = error["message"] as? String { return message }
            if let message = root["error"] as? String { return message }
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}

/// The answer handed from URLSession's delegate queue to the waiting caller (the semaphore orders the accesses).
private final class Outcome: @unchecked Sendable {
    var result: Result<(Int, [String: String], Data), EmbeddingError>?
}
