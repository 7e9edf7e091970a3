import Foundation

/// The trees of a memory store and how their keys are built. See docs/agent-memory.md.
enum StoreLayout {
    /// id (16 bytes) → record (``RecordCodec``). Ids sort by creation time.
    static let memories = "memories"
    /// vector slot (UInt32 big-endian) → ``RecordCodec/Facts``.
    static let vectors = "vectors"
    /// namespace + 0x00 + id → vector slot (UInt32 LE), then the memory's text document number
    /// (UInt32 LE): the timeline of each namespace. Entries written before the number was kept
    /// (2026-12-06) hold the slot alone; see ``timelineValue(slot:textNumber:)``.
    static let timeline = "timeline"
    /// namespace → number of memories in it (UInt64 LE).
    static let namespaces = "namespaces"
    /// namespace + 0x00 + content hash (UInt64 BE) → id: exact duplicates.
    static let hashes = "hashes"
    /// id + version (UInt32 BE) → the record as it was before that update.
    static let history = "history"
    /// expiry time (ms, Int64 big-endian, biased) + id → empty: what a purge deletes, oldest first.
    static let expiry = "expiry"
    /// namespace + 0x00 + key → JSON text: agent state.
    static let state = "state"
    /// Store-wide counters and bookkeeping (see the keys below).
    static let meta = "meta"

    static let allTrees = [memories, vectors, timeline, namespaces, hashes, history, expiry, state, meta]

    /// meta: the vector slots this store accounts for (UInt64 LE). Slots at or past it are orphans
    /// of an add that crashed after the index commit and before the store commit.
    static let vectorCountKey = Array("vectorCount".utf8)
    /// meta: vector slots whose memories are gone but which the index may still return (UInt32 LE each).
    static let pendingDeletesKey = Array("pendingDeletes".utf8)
    /// meta: the folder of the live vector index (name inside the store folder).
    static let vectorFolderKey = Array("vectorFolder".utf8)

    static func slotKey(_ slot: UInt32) -> [UInt8] { withUnsafeBytes(of: slot.bigEndian) { Array($0) } }

    static func timelineKey(_ namespace: String, _ id: MemoryID) -> [UInt8] { Array(namespace.utf8) + [0] + id.bytes }

    static func timelinePrefix(_ namespace: String) -> [UInt8] { Array(namespace.utf8) + [0] }

    /// A timeline value: the vector slot and, when known, the text document number (which lets
    /// a namespace-filtered text search find the namespace's documents without a lookup each).
    static func timelineValue(slot: UInt32, textNumber: UInt32?) -> [UInt8] {
        var value = withUnsafeBytes(of: slot.littleEndian) { Array($0) }
        if let textNumber { withUnsafeBytes(of: textNumber.littleEndian) { value += $0 } }
        return value
    }

    /// The vector slot of a timeline value (nil when damaged).
    static func timelineSlot(_ value: UnsafeRawBufferPointer) -> UInt32? {
        value.count == 4 || value.count == 8 ? UInt32(littleEndian: value.loadUnaligned(as: UInt32.self)) : nil
    }

    /// The text document number of a timeline value (nil in entries that predate it).
    static func timelineTextNumber(_ value: UnsafeRawBufferPointer) -> UInt32? {
        value.count == 8 ? UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) : nil
    }

    static func hashKey(_ namespace: String, _ hash: UInt64) -> [UInt8] {
        Array(namespace.utf8) + [0] + withUnsafeBytes(of: hash.bigEndian) { Array($0) }
    }

    static func historyKey(_ id: MemoryID, version: UInt32) -> [UInt8] { id.bytes + withUnsafeBytes(of: version.bigEndian) { Array($0) } }

    static func expiryKey(_ milliseconds: Int64, _ id: MemoryID) -> [UInt8] {
        withUnsafeBytes(of: (UInt64(bitPattern: milliseconds) ^ (1 << 63)).bigEndian) { Array($0) } + id.bytes
    }

    static func expiryTime(_ key: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) ^ (1 << 63))
    }

    static func stateKey(_ namespace: String, _ key: String) -> [UInt8] { Array(namespace.utf8) + [0] + Array(key.utf8) }

    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    static func u64(_ bytes: [UInt8]?) -> UInt64 {
        guard let bytes, bytes.count == 8 else { return 0 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// A namespace is 1 to 512 bytes of UTF-8 path segments separated by `/`: no empty segment,
    /// no NUL, no control characters.
    static func validate(namespace: String) throws {
        let bytes = Array(namespace.utf8)
        guard !bytes.isEmpty, bytes.count <= 512 else {
            throw MemoryError.invalidField("namespace '\(namespace)' must be 1 to 512 bytes (for example user/alice/session/1).")
        }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw MemoryError.invalidField("namespace '\(namespace)' contains a control character; use path segments such as user/alice.")
        }
        guard !namespace.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw MemoryError.invalidField("namespace '\(namespace)' has an empty segment (a leading, trailing or double '/'); write it as user/alice/session/1.")
        }
    }
}
