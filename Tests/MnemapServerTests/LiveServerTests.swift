import Embeddings
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MappedStore
import Mnemap
import MnemapServer
import MnemapTestSupport
import NIOCore
import ServiceLifecycle
import Testing

/// The server on a real socket on loopback: many clients at once, and a graceful shutdown with a
/// request in flight.
@Suite struct LiveServerTests {
    @Test func concurrentClientsAddingAtOnceLoseNothing() async throws {
        let server = try TestServer(limits: Limits(workerThreads: 8))
        let clients = 8
        let perClient = 25
        try await server.run(.live) { client in
            let port = try #require(client.base.port)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for clientIndex in 0..<clients {
                    group.addTask {
                        try await TestClient.withClient(host: "127.0.0.1", port: port) { connection in
                            var created = 0
                            for index in 0..<perClient {
                                let body = JSONValue.object(["text": .string("client \(clientIndex) memory \(index)"), "namespace": .string("load/\(clientIndex % 3)")])
                                let response = try await connection.post("/v1/memories", headers: [.contentType: "application/json"], body: ByteBuffer(string: body.jsonText))
                                if response.status == .created { created += 1 }
                            }
                            return created
                        }
                    }
                }
                var created = 0
                for try await count in group { created += count }
                #expect(created == clients * perClient)
            }
            let namespaces = try await client.get("/v1/namespaces?prefix=load")
            let total = namespaces["namespaces"]?.arrayValue?.compactMap { $0["count"]?.numberValue }.reduce(0, +)
            #expect(total == Double(clients * perClient))
            let check = try await client.get("/v1/check")
            #expect(check["intact"] == true)
        }
    }

    @Test func aWriteNotStartedByItsDeadlineIs503AndNeverRuns() async throws {
        let server = try TestServer(limits: Limits(requestTimeout: .milliseconds(300), workerThreads: 1))
        // Another handle holds the writer lock: one add runs (and waits for it) on the only store
        // thread, the other waits for that thread past its deadline. The lock is released once that
        // one is answered, not after a fixed time: in a full parallel run on two cores this test can
        // wait minutes for a thread of the concurrency pool, and the requests arrived after a 3 s hold.
        let release = DispatchSemaphore(value: 0)
        let holder = try await holdWriterLock(of: server.store.path, until: release, atMost: 300)
        let replies = try await server.run { client in
            try await withThrowingTaskGroup(of: (String, Reply).self) { group in
                for text in ["one", "two"] {
                    group.addTask { (text, try await client.post("/v1/memories", ["text": .string(text), "namespace": "a"])) }
                }
                var replies: [String: Reply] = [:]
                for try await (text, reply) in group {
                    replies[text] = reply
                    if replies.count == 1 { release.signal() }
                }
                return replies
            }
        }
        try await holder.value
        let created = replies.filter { $0.value.status == .created }.map(\.key)
        let timedOut = replies.values.filter { $0.status == .serviceUnavailable && $0.code == "timeout" && $0.headers[.retryAfter] != nil }
        // The one that started was waited for past the deadline (its answer says it committed);
        // the one that had not started never ran.
        #expect(created.count == 1 && timedOut.count == 1, "\(replies.mapValues(\.text))")
        #expect(try server.store.timeline(namespace: "a").items.map(\.text) == created)
    }

    @Test func gracefulShutdownLetsARequestInFlightFinish() async throws {
        let folder = try TemporaryFolder(prefix: "mnemap-server-shutdown")
        let path = folder.path("store")
        let store = try MemoryStore(path: path, embedder: HashingEmbedder(dimension: 64))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "mnemap.server.test")
        logger.logLevel = .critical
        let server = try MemoryServer(store: store, configuration: ServerConfiguration(port: 0), logger: logger) { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server.application], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // Another handle on the store holds its writer lock for a second: the add below waits for it.
            let holder = try await holdWriterLock(of: path, atMost: 2)
            let add = Task {
                try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                    let response = try await client.post("/v1/memories", headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"text": "written during shutdown", "namespace": "a"}"#))
                    return (response, ContinuousClock.now)
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            let shutdown = ContinuousClock.now
            await group.triggerGracefulShutdown()
            let (response, answered) = try await add.value
            #expect(response.status == .created)
            #expect(answered > shutdown, "the request was answered before the shutdown began: it was not in flight")
            try await holder.value
            try await tasks.next()
        }
        let page = try store.timeline(namespace: "a")
        #expect(page.items.map(\.text) == ["written during shutdown"])
    }

    /// Holds the store's writer lock from another handle (as another process would) until
    /// `release` is signalled or `seconds` have passed, on a thread of its own (not Swift's
    /// cooperative pool, which it would stall); returns once it holds the lock, with a task that
    /// ends when it lets go.
    func holdWriterLock(of path: String, until release: DispatchSemaphore = DispatchSemaphore(value: 0), atMost seconds: Double) async throws -> Task<Void, any Error> {
        let (events, signal) = AsyncThrowingStream.makeStream(of: Bool.self)
        let thread = Thread {
            do {
                let other = try MappedStore(path: path + "/store")
                try other.write { _ in
                    signal.yield(true)
                    _ = release.wait(timeout: .now() + seconds)
                }
                signal.finish()
            } catch {
                signal.finish(throwing: error)
            }
        }
        thread.start()
        var iterator = events.makeAsyncIterator()
        _ = try await iterator.next()
        return Task { while try await iterator.next() != nil {} }
    }
}
