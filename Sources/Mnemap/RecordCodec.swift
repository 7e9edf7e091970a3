import Foundation

/// The binary form of a memory in the `memories` tree, and of the facts a filter needs in the
/// `vectors` tree. Little-endian; strings are UTF-8 with a 32-bit length. See docs/agent-memory.md.
enum RecordCodec {
    static let recordVersion: UInt8 = 1

    struct Stored: Sendable, Equatable {
        var memory: Memory
        /// A hash of the text (exact-duplicate detection).
        var contentHash: UInt64
    }

    static func encode(_ stored: Stored) -> [UInt8] {
        let memory = stored.memory
        var writer = ByteWriter()
        writer.u8(recordVersion)
        writer.u8(kindCode(memory.kind))
        var flags: UInt8 = 0
        if memory.validFrom != nil { flags |= 1 }
        if memory.validUntil != nil { flags |= 2 }
        if memory.expiresAt != nil { flags |= 4 }
        if memory.source != nil { flags |= 8 }
        if memory.episode != nil { flags |= 16 }
        writer.u8(flags)
        writer.u8(0)
        writer.u64(stored.contentHash)
        writer.u32(memory.accessCount)
        writer.u32(memory.version)
        writer.f64(memory.importance)
        writer.i64(Timestamps.milliseconds(memory.createdAt))
        writer.i64(Timestamps.milliseconds(memory.updatedAt))
        writer.i64(Timestamps.milliseconds(memory.lastAccessedAt))
        if let date = memory.validFrom { writer.i64(Timestamps.milliseconds(date)) }
        if let date = memory.validUntil { writer.i64(Timestamps.milliseconds(date)) }
        if let date = memory.expiresAt { writer.i64(Timestamps.milliseconds(date)) }
        writer.string(memory.namespace)
        writer.string(memory.text)
        writer.string(memory.metadata.isEmpty ? "" : JSONValue.object(memory.metadata).jsonText)
        if let source = memory.source { writer.string(source) }
        if let episode = memory.episode { writer.string(episode) }
        return writer.bytes
    }

    /// Decodes a record. With `contentNeeded` false the text and the metadata are skipped (left
    /// empty): what a filter without a metadata expression needs, without parsing JSON.
    static func decode(_ bytes: UnsafeRawBufferPointer, id: MemoryID, contentNeeded: Bool = true) throws -> Stored {
        var reader = ByteReader(bytes)
        do {
            guard try reader.u8() == recordVersion else { throw MemoryError.engine("the record of memory \(id) has an unknown version; the store may be newer than this build or damaged (run `mnemap check`).") }
            guard let kind = kindOf(try reader.u8()) else { throw ByteReader.Failure() }
            let flags = try reader.u8()
            _ = try reader.u8()
            let hash = try reader.u64()
            let accessCount = try reader.u32()
            let version = try reader.u32()
            let importance = try reader.f64()
            let created = Timestamps.date(milliseconds: try reader.i64())
            let updated = Timestamps.date(milliseconds: try reader.i64())
            let accessed = Timestamps.date(milliseconds: try reader.i64())
            let validFrom = flags & 1 != 0 ? Timestamps.date(milliseconds: try reader.i64()) : nil
            let validUntil = flags & 2 != 0 ? Timestamps.date(milliseconds: try reader.i64()) : nil
            let expiresAt = flags & 4 != 0 ? Timestamps.date(milliseconds: try reader.i64()) : nil
            let namespace = try reader.string()
            let text: String
            let metadataText: String
            if contentNeeded {
                text = try reader.string()
                metadataText = try reader.string()
            } else {
                _ = try reader.take(Int(try reader.u32()))
                _ = try reader.take(Int(try reader.u32()))
                (text, metadataText) = ("", "")
            }
            let source = flags & 8 != 0 ? try reader.string() : nil
            let episode = flags & 16 != 0 ? try reader.string() : nil
            var metadata: [String: JSONValue] = [:]
            if !metadataText.isEmpty {
                guard let object = try JSONValue(parsing: metadataText).objectValue else { throw ByteReader.Failure() }
                metadata = object
            }
            let memory = Memory(
                id: id, namespace: namespace, kind: kind, text: text, metadata: metadata, createdAt: created, updatedAt: updated,
                lastAccessedAt: accessed, accessCount: accessCount, importance: importance, validFrom: validFrom,
                validUntil: validUntil, expiresAt: expiresAt, source: source, episode: episode, version: version
            )
            return Stored(memory: memory, contentHash: hash)
        } catch is ByteReader.Failure {
            throw MemoryError.engine("the record of memory \(id) is damaged (it ends early or holds an invalid value); run `mnemap check`.")
        } catch let error as MemoryError where error.isInvalidJSON {
            throw MemoryError.engine("the metadata of memory \(id) is damaged; run `mnemap check`.")
        }
    }

    /// What the `vectors` tree keeps per vector slot: enough to filter by namespace, kind, time,
    /// validity and expiry without reading the record.
    struct Facts: Sendable, Equatable {
        var id: MemoryID
        var kind: MemoryKind
        var createdAt: Int64
        var validFrom: Int64?
        var validUntil: Int64?
        var expiresAt: Int64?
        var namespace: String

        init(_ memory: Memory) {
            id = memory.id
            kind = memory.kind
            createdAt = Timestamps.milliseconds(memory.createdAt)
            validFrom = memory.validFrom.map(Timestamps.milliseconds)
            validUntil = memory.validUntil.map(Timestamps.milliseconds)
            expiresAt = memory.expiresAt.map(Timestamps.milliseconds)
            namespace = memory.namespace
        }

        init(id: MemoryID, kind: MemoryKind, createdAt: Int64, validFrom: Int64?, validUntil: Int64?, expiresAt: Int64?, namespace: String) {
            self.id = id
            self.kind = kind
            self.createdAt = createdAt
            self.validFrom = validFrom
            self.validUntil = validUntil
            self.expiresAt = expiresAt
            self.namespace = namespace
        }
    }

    static func encode(_ facts: Facts) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(facts.id.bytes)
        writer.u8(kindCode(facts.kind))
        var flags: UInt8 = 0
        if facts.validFrom != nil { flags |= 1 }
        if facts.validUntil != nil { flags |= 2 }
        if facts.expiresAt != nil { flags |= 4 }
        writer.u8(flags)
        writer.i64(facts.createdAt)
        if let value = facts.validFrom { writer.i64(value) }
        if let value = facts.validUntil { writer.i64(value) }
        if let value = facts.expiresAt { writer.i64(value) }
        writer.raw(Array(facts.namespace.utf8))
        return writer.bytes
    }

    static func decodeFacts(_ bytes: UnsafeRawBufferPointer) -> Facts? {
        var reader = ByteReader(bytes)
        guard let id = try? reader.raw(16), let kindByte = try? reader.u8(), let kind = kindOf(kindByte),
              let flags = try? reader.u8(), let created = try? reader.i64() else { return nil }
        do {
            let validFrom = flags & 1 != 0 ? try reader.i64() : nil
            let validUntil = flags & 2 != 0 ? try reader.i64() : nil
            let expiresAt = flags & 4 != 0 ? try reader.i64() : nil
            let namespace = String(decoding: try reader.raw(reader.remaining), as: UTF8.self)
            return Facts(id: MemoryID(unchecked: id), kind: kind, createdAt: created, validFrom: validFrom, validUntil: validUntil, expiresAt: expiresAt, namespace: namespace)
        } catch { return nil }
    }

    static func kindCode(_ kind: MemoryKind) -> UInt8 {
        switch kind {
        case .episodic: 1
        case .semantic: 2
        case .procedural: 3
        }
    }

    static func kindOf(_ code: UInt8) -> MemoryKind? {
        switch code {
        case 1: .episodic
        case 2: .semantic
        case 3: .procedural
        default: nil
        }
    }

    /// FNV-1a over the UTF-8 text: the exact-duplicate key within a namespace.
    static func contentHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

extension MemoryError {
    var isInvalidJSON: Bool { if case .invalidJSON = self { true } else { false } }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func f64(_ value: Double) { u64(value.bitPattern) }
    mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }
    mutating func string(_ value: String) {
        u32(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
}

struct ByteReader {
    struct Failure: Error {}
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw Failure() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func raw(_ count: Int) throws -> [UInt8] { Array(try take(count)) }
    mutating func string() throws -> String { String(decoding: try take(Int(try u32())), as: UTF8.self) }
}
