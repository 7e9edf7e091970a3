import Foundation
import MappedStore

/// How far an import has come (for progress displays).
public struct ImportProgress: Sendable {
    /// Lines read so far (blank lines included).
    public var lines = 0
    public var added = 0
    /// Lines skipped: ids already present (a resumed import) or exact duplicates.
    public var skipped = 0
    public var bytesRead: Int64 = 0
    public var totalBytes: Int64 = 0
}

extension MemoryStore {
    // MARK: Export

    /// Writes the memories `filter` matches to `path` as JSON Lines, one memory per line in id
    /// (creation) order, with every field and, with `includeVectors`, the stored vector. Importing
    /// the file into an empty store with the same embedder gives the same memories.
    ///
    /// Runs on one snapshot: writers go on meanwhile and are not in the file.
    /// - Returns: the number of memories written.
    @discardableResult
    public func exportJSONLines(to path: String, filter: MemoryFilter = MemoryFilter(), includeVectors: Bool = true) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw MemoryError.invalidField("cannot create \(path); check the folder exists and is writable.")
        }
        defer { try? handle.close() }
        let count = try exportJSONLines(filter: filter, includeVectors: includeVectors) { chunk in
            try handle.write(contentsOf: Data(chunk.utf8))
        }
        try handle.synchronize()
        return count
    }

    /// Gives the lines ``exportJSONLines(to:filter:includeVectors:)`` writes to `write`, in chunks
    /// of whole lines of about `chunkSize` bytes (a chunk holds at least one line), for a caller that
    /// sends them elsewhere (a network stream).
    ///
    /// Runs on one snapshot, which stays open until the last chunk is written: a `write` that waits
    /// keeps that snapshot's pages from being reused. An error thrown by `write` ends the export
    /// and is rethrown.
    /// - Returns: the number of memories written.
    @discardableResult
    public func exportJSONLines(filter: MemoryFilter = MemoryFilter(), includeVectors: Bool = true, chunkSize: Int = 1 << 20, into write: (String) throws -> Void) throws -> Int {
        var buffer = ""
        var count = 0
        try reading { tx, snapshot in
            let index = includeVectors ? try snapshot.index : nil
            try forEachCandidate(filter, in: tx) { stored in
                guard filter.matches(stored.memory) else { return true }
                var vector: [Float]?
                if let index, let slot = try slot(of: stored.memory, in: tx), Int(slot) < index.count {
                    vector = try index.vector(slot)
                }
                buffer += Self.jsonLine(stored.memory, vector: vector)
                buffer += "\n"
                count += 1
                if buffer.utf8.count >= chunkSize {
                    try write(buffer)
                    buffer = ""
                }
                return true
            }
        }
        if !buffer.isEmpty { try write(buffer) }
        return count
    }

    /// A memory as one line of JSON, as ``exportJSONLines(to:filter:includeVectors:)`` writes it
    /// and ``importJSONLines(from:batchSize:options:progress:)`` reads it: the fields `id`,
    /// `namespace`, `kind`, `text`, `metadata`, `importance`, `createdAt`, `updatedAt`,
    /// `lastAccessedAt`, `accessCount`, `version`, and when set `validFrom`, `validUntil`,
    /// `expiresAt`, `source`, `episode` and `vector`; times in ISO 8601 UTC with milliseconds.
    /// These names are stable.
    public static func jsonLine(_ memory: Memory, vector: [Float]? = nil) -> String {
        var object: [String: JSONValue] = [
            "id": .string(memory.id.description),
            "namespace": .string(memory.namespace),
            "kind": .string(memory.kind.rawValue),
            "text": .string(memory.text),
            "metadata": .object(memory.metadata),
            "importance": .number(memory.importance),
            "createdAt": .string(Timestamps.format(memory.createdAt)),
            "updatedAt": .string(Timestamps.format(memory.updatedAt)),
            "lastAccessedAt": .string(Timestamps.format(memory.lastAccessedAt)),
            "accessCount": .number(Double(memory.accessCount)),
            "version": .number(Double(memory.version)),
        ]
        if let date = memory.validFrom { object["validFrom"] = .string(Timestamps.format(date)) }
        if let date = memory.validUntil { object["validUntil"] = .string(Timestamps.format(date)) }
        if let date = memory.expiresAt { object["expiresAt"] = .string(Timestamps.format(date)) }
        if let source = memory.source { object["source"] = .string(source) }
        if let episode = memory.episode { object["episode"] = .string(episode) }
        var line = JSONValue.object(object).jsonText
        if let vector {
            // Floats printed in full (shortest round-trip form), appended by hand: fast for large exports.
            line.removeLast()
            line += ",\"vector\":["
            line += vector.map { "\($0)" }.joined(separator: ",")
            line += "]}"
        }
        return line
    }

    // MARK: Import

    /// Adds the memories of a JSON Lines file: one object per line with at least `text` and
    /// `namespace`; optional `kind`, `metadata`, `importance`, `createdAt`, `validFrom`,
    /// `validUntil`, `expiresAt`, `source`, `episode`, `id`, `vector` (and the fields export writes).
    ///
    /// Each batch of `batchSize` lines is one transaction: all or nothing. A bad line stops the
    /// import with `.importLine` naming it, after the batches before it committed. Rerunning the
    /// same import resumes: lines whose id is already present are skipped, as are (for lines
    /// without id) exact duplicates of a namespace's text.
    /// - Returns: the final progress.
    @discardableResult
    public func importJSONLines(from path: String, batchSize: Int = 256, options: AddOptions = AddOptions(), progress: ((ImportProgress) -> Void)? = nil) throws -> ImportProgress {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MemoryError.invalidField("cannot read \(path); check the path.")
        }
        defer { try? handle.close() }
        var reader = LineReader(handle: handle)
        return try importLines(totalBytes: Self.size(of: path), batchSize: batchSize, options: options, progress: progress) { try reader.next() }
    }

    /// Adds the memories of JSON Lines held in memory (a request body), as
    /// ``importJSONLines(from:batchSize:options:progress:)`` does for a file: each batch one
    /// transaction, a bad line stopping the import with its line number after the earlier batches.
    @discardableResult
    public func importJSONLines(bytes: [UInt8], batchSize: Int = 256, options: AddOptions = AddOptions(), progress: ((ImportProgress) -> Void)? = nil) throws -> ImportProgress {
        var start = 0
        return try importLines(totalBytes: Int64(bytes.count), batchSize: batchSize, options: options, progress: progress) {
            guard start < bytes.count else { return nil }
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            defer { start = end + 1 }
            return Array(bytes[start..<end])
        }
    }

    private func importLines(totalBytes: Int64, batchSize: Int, options: AddOptions, progress: ((ImportProgress) -> Void)?, next: () throws -> [UInt8]?) throws -> ImportProgress {
        var state = ImportProgress()
        state.totalBytes = totalBytes
        var batch: [NewMemory] = []
        var restored: [Memory?] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let results = try add(contentsOf: batch, options: options, restoring: restored)
            for result in results {
                if result.outcome == .added { state.added += 1 } else { state.skipped += 1 }
            }
            batch.removeAll(keepingCapacity: true)
            restored.removeAll(keepingCapacity: true)
            progress?(state)
        }
        while let line = try next() {
            state.lines += 1
            state.bytesRead += Int64(line.count + 1)
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            do {
                let (new, extras) = try parseLine(line)
                batch.append(new)
                restored.append(extras)
            } catch let error as MemoryError {
                try flush()
                throw MemoryError.importLine(line: state.lines, problem: "\(error); the lines before it are imported (rerun after fixing it: imported lines are skipped).")
            }
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        return state
    }

    /// One import line: the memory to add, and (when the line carries them) the fields an export
    /// keeps that `add` sets itself.
    func parseLine(_ line: [UInt8]) throws -> (NewMemory, Memory?) {
        let value = try JSONValue(parsing: line)
        guard case .object(let object) = value else { throw MemoryError.invalidField("the line is not a JSON object") }
        let known: Set<String> = ["id", "namespace", "kind", "text", "metadata", "importance", "createdAt", "updatedAt", "lastAccessedAt", "accessCount", "version", "validFrom", "validUntil", "expiresAt", "source", "episode", "vector"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw MemoryError.invalidField("unknown field '\(unknown)' (fields: \(known.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let field = object[key], !field.isNull else { return nil }
            guard let text = field.stringValue else { throw MemoryError.invalidField("field '\(key)' must be a string") }
            return text
        }
        func date(_ key: String) throws -> Date? {
            guard let field = object[key], !field.isNull else { return nil }
            if let seconds = field.numberValue { return Date(timeIntervalSince1970: seconds) }
            guard let text = field.stringValue, let date = Timestamps.parse(text) else {
                throw MemoryError.invalidField("field '\(key)' must be an ISO 8601 time (2025-01-31T12:00:00Z) or Unix seconds")
            }
            return date
        }
        func number(_ key: String) throws -> Double? {
            guard let field = object[key], !field.isNull else { return nil }
            guard let number = field.numberValue else { throw MemoryError.invalidField("field '\(key)' must be a number") }
            return number
        }
        guard let text = try string("text") else { throw MemoryError.invalidField("field 'text' is missing") }
        guard let namespace = try string("namespace") else { throw MemoryError.invalidField("field 'namespace' is missing") }
        var kind = MemoryKind.episodic
        if let name = try string("kind") {
            guard let parsed = MemoryKind(rawValue: name) else { throw MemoryError.invalidField("field 'kind' is '\(name)'; use episodic, semantic or procedural") }
            kind = parsed
        }
        var metadata: [String: JSONValue] = [:]
        if let field = object["metadata"], !field.isNull {
            guard let members = field.objectValue else { throw MemoryError.invalidField("field 'metadata' must be an object") }
            metadata = members
        }
        var vector: [Float]?
        if let field = object["vector"], !field.isNull {
            guard let numbers = field.arrayValue?.compactMap(\.numberValue), numbers.count == field.arrayValue?.count else {
                throw MemoryError.invalidField("field 'vector' must be an array of numbers")
            }
            guard numbers.count == manifest.dimension else { throw MemoryError.wrongDimension(expected: manifest.dimension, got: numbers.count) }
            vector = numbers.map { Float($0) }
        }
        let id = try string("id").map { try MemoryID($0) }
        let createdAt = try date("createdAt") ?? id?.timestamp
        let new = NewMemory(
            text: text, namespace: namespace, kind: kind, metadata: metadata, importance: try number("importance") ?? 0.5,
            validFrom: try date("validFrom"), validUntil: try date("validUntil"), expiresAt: try date("expiresAt"),
            source: try string("source"), episode: try string("episode"), createdAt: createdAt, id: id, vector: vector
        )
        var extras: Memory?
        if let id, let createdAt, object["updatedAt"] != nil || object["accessCount"] != nil || object["version"] != nil {
            extras = Memory(
                id: id, namespace: namespace, kind: kind, text: text, createdAt: createdAt, updatedAt: try date("updatedAt"),
                lastAccessedAt: try date("lastAccessedAt"), accessCount: UInt32(clamping: Int(try number("accessCount") ?? 0)),
                version: UInt32(clamping: Int(try number("version") ?? 0))
            )
        }
        return (new, extras)
    }
}

/// Lines of a file, read a megabyte at a time (no line is limited in length).
struct LineReader {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                defer { start = newline + 1 }
                return Array(buffer[start..<newline])
            }
            if finished {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return Array(buffer[start...])
            }
            buffer.removeFirst(start)
            start = 0
            if let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { buffer.append(contentsOf: data) } else { finished = true }
        }
    }
}
