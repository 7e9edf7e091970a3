import Foundation
import Logging
import MCP
import Mnemap

/// MCP's streamable HTTP transport over a store, answered statelessly: each POST carries one
/// JSON-RPC message and gets its answer as one JSON body (or 202 for a notification). There are no
/// sessions and no server-initiated messages (GET and DELETE are 405), which the specification
/// allows and which needs none: every tool call is complete in its answer.
///
/// Independent of any HTTP framework: `mnemap serve` mounts it at `/mcp` (see MnemapServer).
///
/// Cost: a protocol server is made for each request (the tool table and a dispatch queue; no
/// store work), so that any number of clients initialise independently.
public struct MCPHTTPEndpoint: Sendable {
    /// What to send back.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
    }

    public let store: MemoryStore
    public let configuration: MCPServerConfiguration
    /// Whether requests must name this machine in `Host` (and in `Origin`, when a browser sends
    /// one): the specification's defence against DNS rebinding, for a server on loopback.
    public let onlyThisMachine: Bool
    private let logger: Logger

    /// - Parameter onlyThisMachine: true for a server bound to a loopback address; false for one
    ///   reached from other machines by name (where bearer tokens guard it instead).
    /// - Throws: `MemoryError.invalidField` for a bad configuration.
    public init(
        store: MemoryStore, configuration: MCPServerConfiguration = MCPServerConfiguration(), onlyThisMachine: Bool = true,
        logger: Logger = Logger(label: "mnemap.mcp.http")
    ) throws {
        try configuration.validate()
        self.store = store
        self.configuration = configuration
        self.onlyThisMachine = onlyThisMachine
        self.logger = logger
    }

    /// Answers one HTTP request. The SDK checks the request as the specification asks (the
    /// `Accept` and `Content-Type` headers, the protocol version, and with ``onlyThisMachine``
    /// the `Host` and `Origin`) and answers a bad one with a JSON-RPC error and the status it names.
    public func answer(method: String, headers: [String: String], body: [UInt8], path: String) async -> Answer {
        let validators: [any HTTPRequestValidator] = [
            onlyThisMachine ? Self.thisMachine : OriginValidator.disabled,
            AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
        ]
        let transport = StatelessHTTPServerTransport(validationPipeline: StandardValidationPipeline(validators: validators), logger: logger)
        let response: HTTPResponse
        do {
            let server = try MemoryMCPServer(store: store, configuration: configuration, logger: logger)
            try await server.start(transport: transport)
            response = await transport.handleRequest(HTTPRequest(method: method, headers: headers, body: Data(body), path: path))
            await server.server.stop()
        } catch {
            logger.error("the MCP endpoint could not start a protocol server: \(error)")
            response = .error(statusCode: 500, .internalError("the MCP endpoint could not start; see the server's log."))
        }
        let body = response.bodyData.map { Array($0) } ?? []
        // A message that is not JSON-RPC at all (a "jsonrpc" other than "2.0", a request without a
        // method) is answered by the SDK with a parse or invalid-request error but status 200; the
        // specification lets a server refuse input it cannot accept with 400, as it does for a body
        // that is not JSON. Errors to well-formed requests (unknown method, bad params) stay 200.
        let status = response.statusCode == 200 && Self.isMalformedMessageError(body) ? 400 : response.statusCode
        return Answer(status: status, headers: response.headers, body: body)
    }

    /// Whether `body` is a JSON-RPC error answer for a message that was not valid JSON-RPC:
    /// code -32700 (parse error) or -32600 (invalid request).
    static func isMalformedMessageError(_ body: [UInt8]) -> Bool {
        guard let answer = try? JSONValue(parsing: body), answer["result"] == nil, let code = answer["error"]?["code"]?.numberValue else { return false }
        return code == -32700 || code == -32600
    }

    /// This machine's names, with any port or none (the SDK's `localhost()` wants a port, which a
    /// client of port 80 leaves out).
    private static let thisMachine: OriginValidator = {
        let hosts = ["127.0.0.1", "localhost", "[::1]"]
        let withPorts = hosts + hosts.map { $0 + ":*" }
        return OriginValidator(allowedHosts: withPorts, allowedOrigins: withPorts.flatMap { ["http://" + $0, "https://" + $0] })
    }()
}
