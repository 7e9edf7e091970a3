import Foundation
import Hummingbird
import Logging
import Mnemap

/// An error answered as `{"error": {"code": "...", "message": "..."}}`: a stable snake_case code
/// for programs, a message for people saying what is wrong and what to do. Never a stack trace or
/// a file path.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    static func invalidField(_ message: String) -> APIError { .badRequest("invalid_field", message) }

    /// A memory that is not there, or that the token may not see: the same answer, so that a
    /// token confined to a namespace learns nothing about the others.
    static func memoryNotFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "no memory with id \(id); list ids with GET /v1/timeline or POST /v1/search.")
    }

    static func timeout(_ limit: Duration) -> APIError {
        APIError(
            .serviceUnavailable, "timeout", "the request took longer than \(limit) and was abandoned; narrow it (a smaller limit, a namespace filter) or retry later.",
            headers: [.retryAfter: "1"]
        )
    }

    static let shuttingDown = APIError(.serviceUnavailable, "shutting_down", "the server is shutting down; retry on another instance or after it restarts.", headers: [.retryAfter: "5"])

    /// The API's answer to a store error. `storePath` is cut out of messages: a client has no
    /// business knowing where the store lives.
    init(_ error: MemoryError, storePath: String) {
        switch error {
        case .invalidJSON(let problem): self.init(.badRequest, "invalid_json", "invalid JSON: \(problem)")
        case .invalidID(let problem): self.init(.badRequest, "invalid_id", "invalid memory id: \(problem)")
        case .invalidFilter(let problem): self.init(.badRequest, "invalid_filter", "invalid filter: \(problem)")
        case .invalidField(let problem): self.init(.badRequest, "invalid_field", problem)
        case .wrongDimension: self.init(.badRequest, "wrong_dimension", error.description)
        case .importLine: self.init(.badRequest, "invalid_line", error.description)
        case .notFound(let id): self = .memoryNotFound(id.description)
        case .unknownNamespace(let namespace):
            self.init(.notFound, "unknown_namespace", "no memory is in namespace '\(namespace)' or below it; list namespaces with GET /v1/namespaces.")
        case .writerTimeout(let seconds):
            self.init(
                .serviceUnavailable, "writer_timeout", "another writer held the store for more than \(seconds) s; nothing was changed. Retry.",
                headers: [.retryAfter: "1"]
            )
        case .notAStore, .embedderMismatch, .engine:
            self.init(.internalServerError, "store_error", "the store failed: \(error.description)")
        }
        message = Self.scrub(message, path: storePath)
    }

    /// `text` with every mention of `path` replaced by "the store".
    static func scrub(_ text: String, path: String) -> String {
        guard !path.isEmpty else { return text }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return [absolute, path].reduce(text) { $0.replacingOccurrences(of: $1, with: "the store") }
    }

    var json: String {
        JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])]).jsonText
    }

    func response() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer realm=\"mnemap\"" }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: json + "\n")))
    }
}

/// Turns every error a handler throws into a JSON error response: ``APIError`` as it is, store
/// errors by ``APIError/init(_:storePath:)``, Hummingbird's (404, 413…) with a code, and anything
/// else into a 500 whose details go to the log only.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let storePath: String
    /// The method and path of every route, to tell a wrong method (405) from an unknown path (404).
    let endpoints: @Sendable () -> [Endpoint]

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as MemoryError {
            let answer = APIError(error, storePath: storePath)
            if answer.status == .internalServerError { context.logger.error("store error: \(error)") }
            return answer.response()
        } catch let error as HTTPError {
            return translate(error, request: request).response()
        } catch {
            context.logger.error("unexpected error: \(String(reflecting: error))")
            return APIError(.internalServerError, "internal_error", "the server failed to answer; its log has the details.").response()
        }
    }

    private func translate(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            let path = request.uri.path
            // The router prefers literal segments to parameters: /v1/memories/batch is not /v1/memories/{id}.
            let matching = endpoints().filter { Endpoint.matches(pattern: $0.path, path: path) }
            let fewest = matching.map(\.parameterCount).min()
            let methods = matching.filter { $0.parameterCount == fewest }.map(\.method)
            if !methods.isEmpty {
                return APIError(
                    .methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(path); use \(methods.joined(separator: " or ")).",
                    headers: [.allow: methods.joined(separator: ", ")]
                )
            }
            return APIError(.notFound, "unknown_route", "no endpoint \(request.method) \(path); the endpoints are listed in GET /openapi.json.")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "body_too_large", "the request body is too large; split it (batches of fewer memories) or raise the server's --max-body.")
        default:
            return APIError(error.status, error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"), error.body ?? error.status.reasonPhrase)
        }
    }
}
