import Embeddings
import Foundation
import MCP
import Mnemap
import MnemapTestSupport
import Testing
@testable import MnemapMCP

/// Many MCP servers on one store (one per agent or IDE window): none loses another's writes, in
/// memories or in the knowledge graph's records.
@Suite struct ConcurrencyTests {
    /// `mnemap mcp` as a desktop agent starts it: a child process, the SDK's client on its pipes.
    final class ChildServer: @unchecked Sendable {
        let process: Process
        let client: Client

        init(store: String) async throws {
            process = Process()
            process.executableURL = ChildProcess.executable("mnemap")
            process.arguments = ["mcp", "--store", store]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let transport = StdioTransport(
                input: .init(rawValue: output.fileHandleForReading.fileDescriptor),
                output: .init(rawValue: input.fileHandleForWriting.fileDescriptor)
            )
            client = Client(name: "mnemap-tests", version: "1.0")
            try await client.connect(transport: transport)
            // Keep the pipes' handles alive as long as the transport uses their descriptors.
            pipes = (input, output)
        }

        private let pipes: (Pipe, Pipe)?

        func call(_ tool: String, _ arguments: JSONValue) async throws -> CallTool.Result {
            try await client.send(CallTool.request(.init(name: tool, arguments: arguments.objectValue?.mapValues(Value.init)))).value
        }

        /// Closes the server's input, as a client does to stop it; returns its exit status.
        func stop() async -> Int32 {
            await client.disconnect()
            try? pipes?.0.fileHandleForWriting.close()
            // Polled, not waited for: a blocked thread of the concurrency pool stalls other tests.
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            return process.terminationStatus
        }
    }

    /// A store as `mnemap init --embedder hashing` makes it.
    static func makeStore(_ folder: TemporaryFolder) throws -> String {
        let path = folder.path("store")
        _ = try MemoryStore(path: path, embedder: HashingEmbedder(dimension: 384))
        return path
    }

    @Test(.timeLimit(.minutes(3)))
    func serverProcessesAddingAtOnceLoseNoWrite() async throws {
        let folder = try TemporaryFolder(prefix: "mnemap-mcp-processes")
        let path = try Self.makeStore(folder)
        try await MemoryMCPServer.seedShared(path: path)
        let servers = 3
        let adds = 12
        var children: [ChildServer] = []
        for _ in 0..<servers { children.append(try await ChildServer(store: path)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, child) in children.enumerated() {
                group.addTask {
                    for index in 0..<adds {
                        let added = try await child.call("add_memory", ["text": .string("server \(number) fact \(index)"), "namespace": .string("agents/\(number)")])
                        #expect(added.isError == false, "\(Connection.text(added))")
                        // Every server changes the same entity record and the same observations namespace.
                        let observed = try await child.call("add_observations", ["observations": [["entityName": "Shared", "contents": [.string("server \(number) saw \(index)")]]]])
                        #expect(observed.isError == false, "\(Connection.text(observed))")
                        let related = try await child.call("create_relations", ["relations": [["from": "Shared", "to": .string("Node \(number)"), "relationType": .string("link \(index)")]]])
                        #expect(related.isError == false, "\(Connection.text(related))")
                    }
                }
            }
            try await group.waitForAll()
        }
        for child in children { #expect(await child.stop() == 0) }

        let store = try MemoryStore(path: path, embedder: HashingEmbedder(dimension: 384))
        for number in 0..<servers {
            let texts = Set(try store.timeline(namespace: "agents/\(number)", limit: 1000).items.map(\.text))
            #expect(texts == Set((0..<adds).map { "server \(number) fact \($0)" }))
        }
        let graph = try KnowledgeGraph(store: store).openNodes(["Shared"])
        #expect(graph.entities.first?.observations.count == servers * adds)
        #expect(graph.relations.count == servers * adds)
        #expect(try store.check().isIntact)
    }

    @Test func serversInOneProcessShareAStore() async throws {
        let folder = try TemporaryFolder(prefix: "mnemap-mcp-shared")
        let first = try await Connection.open(folder: folder)
        let second = try await Connection.open(folder: folder)
        defer { Task { await first.close(); await second.close() } }
        try await first.call("create_entities", ["entities": [["name": "Hub", "entityType": "thing", "observations": []]]])
        async let left: Void = {
            for index in 0..<10 { _ = try await first.call("add_observations", ["observations": [["entityName": "Hub", "contents": [.string("left \(index)")]]]]) }
        }()
        async let right: Void = {
            for index in 0..<10 { _ = try await second.call("add_observations", ["observations": [["entityName": "Hub", "contents": [.string("right \(index)")]]]]) }
        }()
        _ = try await (left, right)
        let hub = try await second.call("open_nodes", ["names": ["Hub"]])
        #expect(hub[path: "entities.0.observations"]?.arrayValue?.count == 20)
    }
}

extension MemoryMCPServer {
    /// Creates the entities the concurrency test relates to.
    static func seedShared(path: String) async throws {
        let store = try MemoryStore(path: path, embedder: HashingEmbedder(dimension: 384), options: MemoryStore.Options(create: false))
        let names = ["Shared"] + (0..<3).map { "Node \($0)" }
        _ = try KnowledgeGraph(store: store).createEntities(names.map { KnowledgeGraph.Entity(name: $0, entityType: "thing", observations: []) })
    }
}
