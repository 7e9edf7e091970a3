import Foundation
import Hummingbird
import Mnemap

/// Export as streamed JSON Lines and import from a JSON Lines body, in the format of `mnemap
/// export` and `mnemap import`.
enum TransferRoutes {
    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.get, "/v1/export", .read) { request, context, access in
            let query = try QueryParameters(request, allowed: ["namespace", "vectors"])
            let prefix = try access.confine(query.string("namespace").flatMap { $0.allSatisfy { $0 == "/" } ? nil : MemoryFilter.trimmed($0) })
            let vectors = query.string("vectors") == nil ? true : try query.bool("vectors")
            let filter = MemoryFilter(namespacePrefix: prefix)
            let ticket = try ExportTicket(state)
            let pipe = ChunkPipe(capacity: 4, stall: state.limits.requestTimeout)
            let logger = context.logger
            let body = ResponseBody { writer in
                // The export runs on one snapshot on a store thread; the chunks cross to this task
                // through the pipe, which holds the export back while the client reads slowly.
                async let exported = state.run(.unbounded) { store -> Int in
                    do {
                        let count = try store.exportJSONLines(filter: filter, includeVectors: vectors, chunkSize: 64 << 10) { try pipe.send($0) }
                        pipe.finish(nil)
                        return count
                    } catch {
                        pipe.finish(error)
                        throw error
                    }
                }
                do {
                    while let chunk = try await pipe.next() {
                        try await writer.write(ByteBuffer(string: chunk))
                    }
                    _ = try await exported
                    try await writer.finish(nil)
                } catch {
                    pipe.cancel()
                    _ = try? await exported
                    logger.warning("export ended early: \(APIError.scrub("\(error)", path: state.store.path))")
                    throw error
                }
                withExtendedLifetime(ticket) {}
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
        }

        routes.add(.post, "/v1/import", .write) { request, _, access in
            let query = try QueryParameters(request, allowed: ["batch"])
            let batch = try query.integer("batch") ?? 256
            try checkLimit(batch, maximum: state.limits.maxBatch, name: "batch")
            var bytes = try await request.bytes(limit: state.limits.maxBodyBytes)
            guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
                throw APIError.badRequest("missing_body", "POST /v1/import needs a body of JSON Lines: one memory per line, such as {\"text\": \"...\", \"namespace\": \"user/alice\"}.")
            }
            if access.namespace != nil { bytes = try confined(bytes, access) }
            let lines = bytes
            let progress = try await state.run(.write) { store in try store.importJSONLines(bytes: lines, batchSize: batch) }
            return jsonResponse([
                "lines": .number(Double(progress.lines)), "added": .number(Double(progress.added)), "skipped": .number(Double(progress.skipped)),
            ])
        }
    }

    /// The lines of an import by a token confined to a namespace: refused (before any is added) when
    /// a line's namespace is outside the token's, and without their `id`s. Ids are store-wide: keeping
    /// one would tell whether a memory with that id exists in another namespace (it would be skipped
    /// as already present). Such lines get new ids; exact duplicates are still skipped.
    static func confined(_ bytes: [UInt8], _ access: Access) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { lines.removeLast() }
        for (number, line) in lines.enumerated() {
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else {
                output.append(0x0A)
                continue
            }
            guard let value = try? JSONValue(parsing: line), case .object(var members) = value, case .string(let namespace)? = members["namespace"] else {
                throw APIError.badRequest("invalid_line", "line \(number + 1): not a JSON object with a 'namespace' string; nothing was imported.")
            }
            guard access.allows(namespace) else {
                throw APIError(.forbidden, "namespace_forbidden", "line \(number + 1): this token is confined to namespace '\(access.namespace!)'; '\(namespace)' is outside it. Nothing was imported.")
            }
            if members.removeValue(forKey: "id") != nil {
                output += Array(JSONValue.object(members).jsonText.utf8)
            } else {
                output += line
            }
            output.append(0x0A)
        }
        return output
    }
}

/// A place among the exports running at once, given back when the response is done with it.
private final class ExportTicket: Sendable {
    let state: ServerState

    init(_ state: ServerState) throws(APIError) {
        try state.beginExport()
        self.state = state
    }

    deinit { state.endExport() }
}

/// Chunks of text from a store thread (which blocks while the pipe is full) to an async reader.
final class ChunkPipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [String] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var reader: CheckedContinuation<String?, any Error>?
    private let capacity: Int
    private let stall: Duration

    /// - Parameters:
    ///   - capacity: chunks held before the writer waits.
    ///   - stall: how long the writer waits for the reader before giving up.
    init(capacity: Int, stall: Duration) {
        self.capacity = capacity
        self.stall = stall
    }

    struct Stalled: Error, CustomStringConvertible {
        var description: String { "the client read nothing for too long" }
    }

    /// Hands `chunk` to the reader, waiting while the pipe is full.
    /// - Throws: `CancellationError` when the reader has gone, ``Stalled`` when it read nothing for `stall`.
    func send(_ chunk: String) throws {
        condition.lock()
        let (seconds, attoseconds) = stall.components
        let deadline = Date().addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        while chunks.count >= capacity, !cancelled {
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw Stalled()
            }
        }
        if cancelled {
            condition.unlock()
            throw CancellationError()
        }
        if let reader {
            self.reader = nil
            condition.unlock()
            reader.resume(returning: chunk)
            return
        }
        chunks.append(chunk)
        condition.unlock()
    }

    /// No more chunks: the reader gets nil after the last one, or `error`.
    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        let reader = self.reader
        self.reader = nil
        condition.unlock()
        if let error { reader?.resume(throwing: error) } else { reader?.resume(returning: nil) }
    }

    /// The reader has gone: the writer's next `send` throws.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, or nil after the last.
    func next() async throws -> String? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !chunks.isEmpty {
                let chunk = chunks.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: chunk)
            } else if finished {
                let failure = self.failure
                condition.unlock()
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
            } else {
                reader = continuation
                condition.unlock()
            }
        }
    }
}
