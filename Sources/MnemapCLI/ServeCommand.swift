import ArgumentParser
import Foundation
import Logging
import Mnemap
import MnemapMCP
import MnemapServer

/// `mnemap serve`: the HTTP API over a store.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a store over HTTP: JSON endpoints for agents, MCP at /mcp, /metrics, /openapi.json.",
        discussion: """
            Binds 127.0.0.1 by default; any other address needs --token or --tokens, whose bearer \
            tokens every request must then carry. A tokens file is a JSON array of \
            {"token": "...", "namespace": "user/alice", "readOnly": true}: each token may be confined \
            to a namespace prefix and to reads. SIGTERM or SIGINT stops the server gracefully: \
            requests in flight finish, then the store is synced and released. See docs/server.md.
            """
    )

    @Option(name: .customLong("store"), help: ArgumentHelp("The store folder (default: $MNEMAP_STORE, else ./mnemap-store).", valueName: "path"), completion: .directory)
    var storeOption: String?
    @Option(help: "The address to listen on (anything but loopback needs a token).") var host = "127.0.0.1"
    @Option(help: "The port (0: any free one, printed at start).") var port = 8765
    @Option(help: ArgumentHelp("A bearer token with full access (default: $MNEMAP_TOKEN).", valueName: "token")) var token: String?
    @Option(help: ArgumentHelp("A JSON file of tokens, each optionally confined to a namespace and to reads.", valueName: "file"), completion: .file())
    var tokens: String?
    @Option(help: ArgumentHelp("The largest request body, in bytes.", valueName: "bytes")) var maxBody = 8 << 20
    @Option(help: ArgumentHelp("How long a request may wait for the store: 30s, 2m…", valueName: "duration")) var requestTimeout = "30s"
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
    @Option(help: ArgumentHelp("For the MCP endpoint (/mcp): where memories and state go when a tool call names no namespace.", valueName: "namespace")) var mcpNamespace = "agent"
    @Option(help: ArgumentHelp("For the MCP endpoint (/mcp): where the knowledge-graph tools keep their data.", valueName: "namespace")) var graphNamespace = "graph"

    static let tokenVariable = "MNEMAP_TOKEN"

    var path: String {
        storeOption ?? ProcessInfo.processInfo.environment[MemoryOptions.storeVariable].flatMap { $0.isEmpty ? nil : $0 } ?? MemoryOptions.defaultStore
    }

    func validate() throws {
        if token != nil, tokens != nil { throw ValidationError("give --token or --tokens, not both.") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level takes trace, debug, info, notice, warning, error or critical.") }
    }

    func run() throws {
        var logger = Logger(label: "mnemap.server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let server: MemoryServer
        do {
            var configuration = ServerConfiguration(
                host: host, port: port, tokens: try accessTokens(), mcp: MCPServerConfiguration(defaultNamespace: mcpNamespace, graphNamespace: graphNamespace)
            )
            configuration.limits.maxBodyBytes = maxBody
            configuration.limits.requestTimeout = .milliseconds(Int64(try parseDuration(requestTimeout, option: "--request-timeout") * 1000))
            try configuration.validate()
            let store = try open()
            let (host, path) = (self.host, self.path)
            let tokenCount = configuration.tokens.count
            let log = logger
            server = try MemoryServer(store: store, configuration: configuration, logger: logger) { port in
                let address = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                let auth = tokenCount == 0 ? "no token needed on loopback" : "\(counted(tokenCount, "token")) accepted"
                log.info("serving \(path) on http://\(address):\(port) (\(auth))")
            }
        } catch let error as ServerSetupError {
            printError(error.description)
            throw ExitCode(1)
        } catch let error as MemoryError {
            printError(error.description)
            throw ExitCode(1)
        } catch let failure as CommandFailure {
            printError(failure.message)
            throw ExitCode(1)
        }
        try runBlocking { try await server.application.runService() }
    }

    /// The tokens of --tokens, --token or $MNEMAP_TOKEN (none: no authentication).
    private func accessTokens() throws -> [AccessToken] {
        if let tokens { return try AccessToken.load(file: tokens) }
        guard let secret = token ?? ProcessInfo.processInfo.environment[Self.tokenVariable].flatMap({ $0.isEmpty ? nil : $0 }) else { return [] }
        return try AccessToken.parse(Array(JSONValue.array([["token": .string(secret)]]).jsonText.utf8))
    }

    /// The existing store, with the embedder its manifest names.
    private func open() throws -> MemoryStore {
        let manifest = try MemoryStore.manifest(at: path)
        let embedder = try MemoryOptions.embedder(named: manifest.embedder)
        return try MemoryStore(path: path, embedder: embedder, options: MemoryStore.Options(create: false))
    }
}
