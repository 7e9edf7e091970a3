import Embeddings
import RemoteEmbeddings
import Foundation
import Testing

/// Vectors the stub derives from a text: `[count of characters, 1, 0, …]` of `dimension` floats.
private func stubVector(_ text: String, dimension: Int = 4) -> [Double] {
    [Double(text.count), 1] + [Double](repeating: 0, count: dimension - 2)
}

/// An OpenAI `/v1/embeddings` answer for the request's inputs, listed in reverse order with their indices.
private func embeddingsAnswer(_ request: StubHTTPServer.Request, dimension: Int = 4) -> StubHTTPServer.Response {
    let json = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
    let inputs = json?["input"] as? [String] ?? []
    let data = inputs.enumerated().reversed().map { index, text in
        ["object": "embedding", "index": index, "embedding": stubVector(text, dimension: dimension)] as [String: Any]
    }
    return .json(["object": "list", "data": data, "model": json?["model"] ?? ""])
}

private func embedder(_ server: StubHTTPServer, dimension: Int = 4, batchSize: Int = 64, retries: Int = 3, timeout: TimeInterval = 10) -> OpenAICompatibleEmbedder {
    OpenAICompatibleEmbedder(.init(
        baseURL: server.baseURL, model: "stub-model", apiKey: "secret", dimension: dimension,
        isNormalized: false, batchSize: batchSize, maximumRetries: retries, initialBackoff: .milliseconds(10), timeout: timeout
    ))
}

@Suite("OpenAI-compatible embedder against a stub server")
struct OpenAICompatibleEmbedderTests {
    @Test func vectorsComeBackInInputOrderWithTheRequestAsOpenAIDefinesIt() throws {
        let server = try StubHTTPServer { _, request in embeddingsAnswer(request) }
        defer { server.stop() }
        let vectors = try embedder(server).embed(["a", "bbb", "cc"])
        #expect(vectors == [[1, 1, 0, 0], [3, 1, 0, 0], [2, 1, 0, 0]])
        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.path == "/v1/embeddings")
        #expect(request.headers["authorization"] == "Bearer secret")
        #expect(request.headers["content-type"] == "application/json")
        let body = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(body["model"] as? String == "stub-model")
        #expect(body["input"] as? [String] == ["a", "bbb", "cc"])
    }

    @Test func textsAreSentInBatches() throws {
        let server = try StubHTTPServer { _, request in embeddingsAnswer(request) }
        defer { server.stop() }
        let texts = ["1", "22", "333", "4444", "55555"]
        let vectors = try embedder(server, batchSize: 2).embed(texts)
        #expect(vectors.map { $0[0] } == [1, 2, 3, 4, 5])
        let sizes = server.requests.map { request in
            ((try? JSONSerialization.jsonObject(with: request.body) as? [String: Any])?["input"] as? [String])?.count ?? 0
        }
        #expect(sizes == [2, 2, 1])
        #expect(try embedder(server).embed([]).isEmpty)
    }

    @Test func rateLimitsAndUnavailabilityAreRetriedWithBackoff() throws {
        let server = try StubHTTPServer { number, request in
            switch number {
            case 0: .json(["error": ["message": "slow down"]], status: 429)
            case 1: StubHTTPServer.Response(status: 503, headers: ["Retry-After": "0"])
            default: embeddingsAnswer(request)
            }
        }
        defer { server.stop() }
        let vectors = try embedder(server).embed(["xy"])
        #expect(vectors == [[2, 1, 0, 0]])
        #expect(server.requests.count == 3)
    }

    @Test func aServiceThatStaysUnavailableGivesAnErrorAfterTheRetries() throws {
        let server = try StubHTTPServer { _, _ in .json(["error": ["message": "overloaded"]], status: 503) }
        defer { server.stop() }
        #expect {
            _ = try embedder(server, retries: 2).embed(["x"])
        } throws: { error in
            guard case .httpStatus(_, 503, "overloaded")? = error as? EmbeddingError else { return false }
            return true
        }
        #expect(server.requests.count == 3)
    }

    @Test func clientErrorsAreNotRetriedAndSayWhatTheServiceSaid() throws {
        let server = try StubHTTPServer { _, _ in .json(["error": ["message": "invalid api key"]], status: 401) }
        defer { server.stop() }
        #expect {
            _ = try embedder(server).embed(["x"])
        } throws: { error in
            guard let error = error as? EmbeddingError, case .httpStatus(_, 401, _) = error else { return false }
            return error.description.contains("invalid api key") && error.description.contains("401")
        }
        #expect(server.requests.count == 1)
    }

    @Test func vectorsOfTheWrongDimensionAreAnError() throws {
        let server = try StubHTTPServer { _, request in embeddingsAnswer(request, dimension: 3) }
        defer { server.stop() }
        #expect(throws: EmbeddingError.wrongDimension(model: "stub-model", expected: 4, actual: 3)) {
            _ = try embedder(server).embed(["x"])
        }
    }

    @Test func malformedAnswersAreAnError() throws {
        let server = try StubHTTPServer { number, _ in
            number == 0 ? StubHTTPServer.Response(body: Data("not json".utf8)) : .json(["data": []])
        }
        defer { server.stop() }
        for _ in 0..<2 {
            #expect {
                _ = try embedder(server).embed(["x"])
            } throws: { error in
                guard case .invalidResponse? = error as? EmbeddingError else { return false }
                return true
            }
        }
    }

    @Test func aServiceThatDoesNotAnswerInTimeGivesANetworkError() throws {
        let server = try StubHTTPServer { _, request in
            var response = embeddingsAnswer(request)
            response.delay = 5
            return response
        }
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try embedder(server, retries: 0, timeout: 0.5).embed(["x"])
        } throws: { error in
            guard case .network? = error as? EmbeddingError else { return false }
            return true
        }
        #expect(clock.now - start < .seconds(4))  // the stub answers only after 5 s
    }
}
