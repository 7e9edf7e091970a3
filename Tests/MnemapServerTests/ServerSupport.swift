import Embeddings
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Mnemap
import MnemapServer
import MnemapTestSupport
import NIOCore
import Testing

/// A server over a fresh store (hashing embedder, 64 dimensions: fast, no model), tested through
/// Hummingbird's in-process router or a live socket on loopback.
struct TestServer {
    let folder: TemporaryFolder
    let store: MemoryStore
    let server: MemoryServer

    init(tokens: [AccessToken] = [], limits: Limits = Limits(workerThreads: 4), host: String = "127.0.0.1") throws {
        folder = try TemporaryFolder(prefix: "mnemap-server")
        store = try MemoryStore(path: folder.path("store"), embedder: HashingEmbedder(dimension: 64))
        var logger = Logger(label: "mnemap.server.test")
        logger.logLevel = .critical
        server = try MemoryServer(store: store, configuration: ServerConfiguration(host: host, port: 0, tokens: tokens, limits: limits), logger: logger)
    }

    /// Runs `test` with a client of the server (in process by default; `.live` over a socket).
    func run<Value: Sendable>(_ setup: TestingSetup = .router, _ test: @escaping @Sendable (Client) async throws -> Value) async throws -> Value {
        try await server.application.test(setup) { client in try await test(Client(base: client)) }
    }
}

/// A response with its body as text and parsed JSON.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var json: JSONValue { (try? JSONValue(parsing: text)) ?? .null }
    var code: String? { json["error"]?["code"]?.stringValue }
    var message: String { json["error"]?["message"]?.stringValue ?? "" }
    subscript(key: String) -> JSONValue? { json[key] }
}

/// A test client that sends JSON and bearer tokens.
struct Client: Sendable {
    let base: any TestClientProtocol

    func send(_ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, raw: String? = nil, token: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json.jsonText)
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        let response = try await base.execute(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func get(_ uri: String, token: String? = nil) async throws -> Reply { try await send(.get, uri, token: token) }
    func post(_ uri: String, _ json: JSONValue, token: String? = nil) async throws -> Reply { try await send(.post, uri, json: json, token: token) }

    /// Adds a memory that must be added; returns its id.
    @discardableResult
    func add(_ text: String, namespace: String, extra: [String: JSONValue] = [:], token: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        var fields: [String: JSONValue] = ["text": .string(text), "namespace": .string(namespace)]
        fields.merge(extra) { _, new in new }
        let reply = try await post("/v1/memories", .object(fields), token: token)
        #expect(reply.status == .created, "\(reply.text)", sourceLocation: sourceLocation)
        return reply["id"]?.stringValue ?? ""
    }
}

/// Percent-encodes a query value.
func encoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
