import Foundation
import MnemapMCP

/// How the server listens, whom it lets in and how much it accepts.
public struct ServerConfiguration: Sendable {
    /// The address to bind: an IP address or `localhost`. Anything but a loopback address needs
    /// at least one token (see ``validate()``).
    public var host: String
    public var port: Int
    /// Bearer tokens; when empty, every request has full access (allowed on loopback only).
    public var tokens: [AccessToken]
    public var limits: Limits
    /// Sent as the `Server` header.
    public var serverName: String
    /// The namespaces of the MCP endpoint (`POST /mcp`): as `mnemap mcp`'s.
    public var mcp: MCPServerConfiguration

    public init(
        host: String = "127.0.0.1", port: Int = 8765, tokens: [AccessToken] = [], limits: Limits = Limits(), serverName: String = "mnemap",
        mcp: MCPServerConfiguration = MCPServerConfiguration()
    ) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.limits = limits
        self.serverName = serverName
        self.mcp = mcp
    }

    /// Checks what would make the server unsafe or unable to start: a non-loopback address without
    /// tokens (anyone on the network could read and change every memory), a port out of range,
    /// duplicate tokens, limits that are not positive.
    /// - Throws: ``ServerSetupError`` saying what to change.
    public func validate() throws(ServerSetupError) {
        guard (0...65535).contains(port) else { throw ServerSetupError("port \(port) is outside 0 to 65535.") }
        if tokens.isEmpty, !Self.isLoopback(host) {
            throw ServerSetupError(
                "--host \(host) accepts connections from other machines, and no token is configured: anyone who reaches it could read and change every memory. Give --token or --tokens FILE, or bind 127.0.0.1."
            )
        }
        var seen = Set<String>()
        for token in tokens where !seen.insert(token.token).inserted {
            throw ServerSetupError("a token appears twice in the token list; each token must be distinct (the first characters: \(token.token.prefix(4))…).")
        }
        try limits.validate()
        do { try mcp.validate() } catch { throw ServerSetupError("\(error)") }
    }

    /// Whether `host` accepts connections from this machine only: `127.0.0.0/8`, `::1`, `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ part in UInt8(part).map { _ in true } ?? false }) else { return false }
        return parts[0] == "127"
    }
}

/// How much the server accepts and how long it waits.
public struct Limits: Sendable {
    /// The largest request body, in bytes (larger: 413).
    public var maxBodyBytes: Int
    /// The most results a search or a page returns (`limit` above it: 400).
    public var maxResults: Int
    /// The most memories one batch add takes.
    public var maxBatch: Int
    /// How long a request may wait for and run its store work. A read still running at the deadline
    /// is answered 503 `timeout`; a write that has started is always waited for (its answer says
    /// whether it committed), and one that has not started by then is not started.
    public var requestTimeout: Duration
    /// A connection idle this long while a request is being read, or between requests, is closed.
    public var idleTimeout: Duration
    /// Threads that run store calls (blocking I/O and embedding), off the event loops. More than
    /// the cores by default: single adds running at once share one commit (group commit), so a
    /// thread waiting for its group's sync lets another add join the next group.
    public var workerThreads: Int
    /// Exports streaming at once; more are answered 503 `busy`.
    public var maxConcurrentExports: Int

    public init(
        maxBodyBytes: Int = 8 << 20, maxResults: Int = 1000, maxBatch: Int = 1000, requestTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(30), workerThreads: Int = max(16, 4 * ProcessInfo.processInfo.activeProcessorCount), maxConcurrentExports: Int = 2
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxResults = maxResults
        self.maxBatch = maxBatch
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.workerThreads = workerThreads
        self.maxConcurrentExports = maxConcurrentExports
    }

    func validate() throws(ServerSetupError) {
        guard maxBodyBytes > 0, maxBatch > 0, workerThreads > 0, maxConcurrentExports > 0 else {
            throw ServerSetupError("the body size, batch size, worker threads and concurrent exports must be positive.")
        }
        guard (1...1000).contains(maxResults) else { throw ServerSetupError("the result limit must be 1 to 1000 (the store returns at most 1000 at once).") }
        guard requestTimeout > .zero, idleTimeout > .zero else { throw ServerSetupError("timeouts must be positive.") }
    }
}

/// A configuration the server cannot start with, and what to change.
public struct ServerSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
