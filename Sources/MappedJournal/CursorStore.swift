import MappedMemory

/// A named consumer's committed place in the journal, as stored in its cursor file.
public struct CursorState: Sendable, Equatable {
    /// The cursor's name.
    public var name: String
    /// Where the consumer continues: the boundary after the last record it committed.
    public var position: JournalPosition
    /// The index of the last record it committed, if any.
    public var lastIndex: JournalIndex?
    /// Application bytes committed atomically with the position (at most ``CursorFile/maximumStateSize``).
    public var state: [UInt8]
    /// How many commits the cursor has had.
    public var sequence: UInt64
}

/// The file of one named cursor: `cursors/<name>.cursor`, 1024 bytes, two 512-byte slots.
///
/// A commit writes the slot the last commit did not use (sequence + 1, position, state, CRC32C)
/// and, when durable, flushes it; a reader takes the valid slot with the higher sequence. A crash
/// or power loss during a commit leaves the previous commit intact in the other slot, so a cursor
/// is always either the old or the new commit, never a mix. Slot layout:
///
/// ```
/// +0 CRC32C of +4 ..< +48+stateLength   +4 magic "MNCR"   +8 sequence   +16 segment
/// +24 offset   +32 last index + 1 (0: none)   +40 state length   +48 state bytes
/// ```
final class CursorFile: @unchecked Sendable {
    static let magic: UInt32 = 0x5243_4E4D
    static let slotSize = 512
    static let fileSize = 1024
    /// The most application bytes a commit can carry.
    static let maximumStateSize = 448

    let file: MappedFile
    let lock: FileLock?
    let path: String
    let name: String

    static func validate(name: String) throws(JournalError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        guard !name.isEmpty, name.utf8.count <= 100, allowed, !name.hasPrefix(".") else {
            throw JournalError(operation: "cursor", path: nil, reason: .invalidArgument("cursor name '\(name)' must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.'."))
        }
    }

    static func directory(of journal: String) -> String { journal + "/cursors" }
    static func path(journal: String, name: String) -> String { directory(of: journal) + "/" + name + ".cursor" }

    /// Opens (creating when `writable`) the cursor `name` and, when `exclusive`, takes its lock.
    init(journal: String, name: String, writable: Bool, exclusive: Bool, system: SystemCalls) throws(JournalError) {
        try Self.validate(name: name)
        self.name = name
        self.path = Self.path(journal: journal, name: name)
        let path = self.path
        if writable {
            try Directory.make(Self.directory(of: journal))
            let existed = Directory.exists(path)
            let created = try mapped("open cursor") { () throws(MappedMemoryError) in try MappedFile.create(path: path, size: Self.fileSize, system: system) }
            if !existed {
                try mapped("open cursor") { () throws(MappedMemoryError) in
                    try created.synchronize(.data)
                    try DirectorySync.synchronize(path: Self.directory(of: journal), system: system)
                }
            }
            self.file = created
        } else {
            self.file = try mapped("open cursor") { () throws(MappedMemoryError) in try MappedFile(path: path, mode: .readOnly, system: system) }
        }
        guard file.count >= Self.fileSize else {
            throw JournalError(operation: "open cursor", path: path, offset: 0, reason: .damagedCursor("the file has \(file.count) bytes, not \(Self.fileSize)"))
        }
        self.lock = exclusive ? try Self.lockExclusively(path: path, system: system) : nil
    }

    private static func lockExclusively(path: String, system: SystemCalls) throws(JournalError) -> FileLock {
        let lock = try mapped("open cursor") { () throws(MappedMemoryError) in try FileLock(path: path, create: false, system: system) }
        guard try mapped("open cursor", { () throws(MappedMemoryError) in try lock.tryLock(.exclusive) }) else {
            throw JournalError(operation: "open cursor", path: path, reason: .cursorInUse)
        }
        return lock
    }

    /// The newest valid commit, or nil when the cursor was never committed.
    func load() -> CursorState? {
        var best: CursorState?
        for slot in 0..<2 {
            if let state = read(slot: slot), state.sequence >= (best?.sequence ?? 0) {
                best = state
            }
        }
        return best
    }

    private func read(slot: Int) -> CursorState? {
        guard let base = file.unsafeBaseAddress else { return nil }
        let start = base + slot * Self.slotSize
        func load<T: BitwiseCopyable>(_ offset: Int, _ type: T.Type) -> T { start.loadUnaligned(fromByteOffset: offset, as: T.self) }
        guard load(4, UInt32.self) == Self.magic else { return nil }
        let stateLength = Int(load(40, UInt32.self))
        guard stateLength <= Self.maximumStateSize else { return nil }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: start + 4, count: 44 + stateLength))
        guard crc == load(0, UInt32.self) else { return nil }
        let segment = load(16, UInt64.self)
        let offset = load(24, UInt64.self)
        guard segment <= UInt64(UInt32.max), offset <= UInt64(SegmentFormat.maximumSegmentSize) else { return nil }
        let last = load(32, UInt64.self)
        return CursorState(
            name: name,
            position: JournalPosition(segment: UInt32(segment), offset: Int(offset)),
            lastIndex: last == 0 ? nil : JournalIndex(rawValue: last &- 1),
            state: [UInt8](UnsafeRawBufferPointer(start: start + 48, count: stateLength)),
            sequence: load(8, UInt64.self)
        )
    }

    /// Writes a new commit into the older slot; with `durable`, flushes it to stable storage.
    func store(position: JournalPosition, lastIndex: JournalIndex?, state: [UInt8], durable: Bool) throws(JournalError) {
        guard state.count <= Self.maximumStateSize else {
            throw JournalError(operation: "commit", path: path, reason: .invalidArgument("the cursor state has \(state.count) bytes, more than \(Self.maximumStateSize)."))
        }
        guard file.mode == .readWrite, let base = file.unsafeBaseAddress else {
            throw JournalError(operation: "commit", path: path, reason: .readOnly)
        }
        let sequence = (load()?.sequence ?? 0) + 1
        let slot = Int(sequence % 2)
        let start = base + slot * Self.slotSize
        start.storeBytes(of: Self.magic, toByteOffset: 4, as: UInt32.self)
        start.storeBytes(of: sequence, toByteOffset: 8, as: UInt64.self)
        start.storeBytes(of: UInt64(position.segment), toByteOffset: 16, as: UInt64.self)
        start.storeBytes(of: UInt64(position.offset), toByteOffset: 24, as: UInt64.self)
        start.storeBytes(of: lastIndex.map { $0.rawValue &+ 1 } ?? 0, toByteOffset: 32, as: UInt64.self)
        start.storeBytes(of: UInt32(state.count), toByteOffset: 40, as: UInt32.self)
        start.storeBytes(of: UInt32(0), toByteOffset: 44, as: UInt32.self)
        state.withUnsafeBytes { (start + 48).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: start + 4, count: 44 + state.count))
        start.storeBytes(of: crc, toByteOffset: 0, as: UInt32.self)
        if durable {
            let range = slot * Self.slotSize..<(slot + 1) * Self.slotSize
            try mapped("commit") { () throws(MappedMemoryError) in try file.flush(range: range, mode: .synchronous) }
        }
    }
}

extension Journal {
    /// The names of the cursors in this journal.
    public func cursorNames() throws(JournalError) -> [String] {
        let directory = CursorFile.directory(of: self.directory)
        guard Directory.isDirectory(directory) else { return [] }
        return try Directory.names(in: directory).filter { $0.hasSuffix(".cursor") && !$0.hasPrefix(".") }.map { String($0.dropLast(7)) }.sorted()
    }

    /// The last commit of cursor `name`, or nil when it has none. Does not take the cursor's lock.
    ///
    /// - Throws: system errors opening the file (`ENOENT` when the cursor does not exist).
    public func cursor(_ name: String) throws(JournalError) -> CursorState? {
        try CursorFile(journal: directory, name: name, writable: false, exclusive: false, system: system).load()
    }

    /// Deletes cursor `name` (a consumer that used it starts again from its default position).
    public func removeCursor(_ name: String) throws(JournalError) {
        try requireWritable("remove cursor")
        try CursorFile.validate(name: name)
        try Directory.remove(CursorFile.path(journal: directory, name: name))
    }
}
