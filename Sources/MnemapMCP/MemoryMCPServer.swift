import Foundation
import Logging
import MCP
import Mnemap

/// An MCP server over a ``MemoryStore``: tools for memories and agent state, the knowledge-graph
/// tools of the reference `memory` server (``KnowledgeGraph``), a resource per namespace, and
/// instructions telling the agent how to use them.
///
/// ```swift
/// let server = try MemoryMCPServer(store: store)
/// try await server.run(transport: StdioTransport())   // until the client closes the connection
/// ```
///
/// Guarantees: every tool call is at most one store transaction, taken when the call runs and
/// released when it returns: the server holds no lock between calls, so any number of servers
/// (and other processes) share a store and never lose each other's writes. A tool call that fails
/// (bad arguments, unknown id, a store error) is a result with `isError: true` and a message saying
/// what to do, never a crash. Store calls run on threads of their own, not on the concurrency pool.
public final class MemoryMCPServer: Sendable {
    public let store: MemoryStore
    public let configuration: MCPServerConfiguration
    /// The SDK's server, with every handler registered by ``start(transport:)``.
    public let server: Server
    private let tools: [String: ToolDefinition]
    private let toolList: [Tool]
    private let resources: NamespaceResources
    private let work = BlockingWork()
    private let logger: Logger

    /// - Throws: `MemoryError.invalidField` for a bad configuration.
    public init(store: MemoryStore, configuration: MCPServerConfiguration = MCPServerConfiguration(), logger: Logger = Logger(label: "mnemap.mcp")) throws {
        try configuration.validate()
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let graph = try KnowledgeGraph(store: store, namespace: configuration.graphNamespace)
        let definitions = MemoryTools(store: store, configuration: configuration).definitions + GraphTools(graph: graph).definitions
        tools = Dictionary(uniqueKeysWithValues: definitions.map { ($0.tool.name, $0) })
        toolList = definitions.map(\.tool)
        resources = NamespaceResources(store: store, configuration: configuration)
        server = Server(
            name: "mnemap", version: MnemapMCPVersion.current, title: "Mnemap memory",
            instructions: Instructions.text(configuration),
            capabilities: Server.Capabilities(resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false))
        )
    }

    /// The tools the server offers, as `tools/list` returns them.
    public var toolNames: [String] { toolList.map(\.name) }

    /// Registers the handlers and starts serving `transport`; returns once connected.
    public func start(transport: any Transport) async throws {
        await register()
        try await server.start(transport: transport)
    }

    /// Serves `transport` until the client closes it (for stdio: standard input ends), then
    /// answers the requests already read (waiting at most `drainTimeout`) and stops.
    public func run(transport: any Transport, drainTimeout: Duration = .seconds(60)) async throws {
        let answering = AnsweringTransport(transport, logger: logger)
        try await start(transport: answering)
        await server.waitUntilCompleted()
        await answering.drain(timeout: drainTimeout)
        await server.stop()
    }

    /// Runs one tool call: the result, or an error result saying what went wrong.
    public func call(_ name: String, arguments: [String: Value]?) async -> CallTool.Result {
        guard let tool = tools[name] else {
            return ToolOutput.error("there is no tool '\(name)'; the tools are \(toolNames.joined(separator: ", ")).")
        }
        let members = (arguments ?? [:]).mapValues { JSONValue($0) }
        do {
            return try await work.run { try tool.call(members).result }
        } catch {
            if !(error is ToolError || error is MemoryError) {
                logger.error("\(name) failed: \(error)")
            }
            return ToolOutput.error(ToolError.message(for: error))
        }
    }

    private func register() async {
        let (tools, resources, work) = (toolList, self.resources, self.work)
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [self] parameters in
            await call(parameters.name, arguments: parameters.arguments)
        }
        await server.withMethodHandler(ListResources.self) { parameters in
            try await work.run { try resources.list(cursor: parameters.cursor) }
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: [NamespaceResources.template])
        }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await work.run { try resources.read(uri: parameters.uri) }
        }
    }
}

/// The version the server reports to clients.
public enum MnemapMCPVersion {
    public static let current = "0.1.0"
}
