import ArgumentParser
import Foundation
import Logging
import MCP
import Mnemap
import MnemapMCP

/// `mnemap mcp`: an MCP server over a store, on standard input and output.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve a store to an AI agent over MCP (stdio): memory, state and knowledge-graph tools.",
        discussion: """
            Speaks the Model Context Protocol on standard input and output, for desktop agents and IDEs \
            (add it to their MCP configuration: see docs/server.md); logs go to standard error. It stops \
            when its input ends. Any number of these servers may share a store with each other and with \
            other mnemap commands: each tool call is one transaction and no lock is held between calls.
            """
    )

    @Option(name: .customLong("store"), help: ArgumentHelp("The store folder (default: $MNEMAP_STORE, else ./mnemap-store).", valueName: "path"), completion: .directory)
    var storeOption: String?
    @Option(help: ArgumentHelp("Where memories and state go when a tool call names no namespace.", valueName: "namespace")) var namespace = "agent"
    @Option(help: ArgumentHelp("Where the knowledge-graph tools keep entities, relations and observations.", valueName: "namespace")) var graphNamespace = "graph"
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "notice"

    var path: String {
        storeOption ?? ProcessInfo.processInfo.environment[MemoryOptions.storeVariable].flatMap { $0.isEmpty ? nil : $0 } ?? MemoryOptions.defaultStore
    }

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level takes trace, debug, info, notice, warning, error or critical.") }
    }

    func run() throws {
        // Standard output is the protocol: every log line goes to standard error.
        var logger = Logger(label: "mnemap.mcp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let server: MemoryMCPServer
        do {
            let manifest = try MemoryStore.manifest(at: path)
            let store = try MemoryStore(path: path, embedder: try MemoryOptions.embedder(named: manifest.embedder), options: MemoryStore.Options(create: false))
            server = try MemoryMCPServer(store: store, configuration: MCPServerConfiguration(defaultNamespace: namespace, graphNamespace: graphNamespace), logger: logger)
        } catch let error as MemoryError {
            printError(error.description)
            throw ExitCode(1)
        } catch let failure as CommandFailure {
            printError(failure.message)
            throw ExitCode(1)
        }
        let log = logger
        log.info("serving \(path) over MCP on standard input and output")
        try runBlocking {
            try await server.run(transport: StdioTransport(logger: log))
            try server.store.sync()
        }
        log.info("input ended; stopped")
    }
}
