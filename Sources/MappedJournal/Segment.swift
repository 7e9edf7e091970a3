import Atomics
import CMnemapShims
import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a reader finds at a record boundary of a segment.
enum Frame {
    /// Nobody has claimed this space yet: the end of the stream for now.
    case unclaimed
    /// A producer claimed this space and has not published it yet. `length` is nil while even
    /// the commit word is unwritten (the producer is between its claim and its first store).
    case inFlight(length: Int?)
    /// A complete record whose checksum matched (its payload is still in the mapped segment).
    case record(RecordFrame)
    /// Space to skip; the next boundary is `next`.
    case padding(next: Int)
    /// The segment ends here: continue in the next one.
    case end
    /// The bytes here are not a valid record. `next` is the following record boundary when the
    /// commit word is intact and the word after the frame is a valid commit word (or the end), nil otherwise.
    case damaged(String, next: Int?)
}

/// Where a verified record is in its segment, and what its header says.
struct RecordFrame {
    var segment: UInt32
    var offset: Int
    /// The frame's length (header, payload, padding to 8 bytes).
    var length: Int
    var payloadLength: Int
    /// The payload in the mapping (valid while the segment is mapped).
    var payload: UnsafeRawPointer
    var index: JournalIndex
    var timestamp: Int64

    var position: JournalPosition { JournalPosition(segment: segment, offset: offset) }
    var nextPosition: JournalPosition { JournalPosition(segment: segment, offset: offset + length) }
}

/// One segment file, mapped whole, shared by every producer and reader of this process.
///
/// The mapping never moves (segments are created at their final size), so the base address is
/// stable for the object's life and the shared words are used as atomics in place. Every offset
/// read from the file is checked against the geometry before it is used.
final class Segment: @unchecked Sendable {
    let file: MappedFile
    let base: UnsafeMutableRawPointer
    let path: String
    let number: UInt32
    let writable: Bool
    let segmentSize: Int
    let dataStart: Int
    let dataEnd: Int
    let indexStride: Int
    let indexEntries: Int
    let createdAt: Int64
    /// The first record's timestamp once known (0 before), for rolling by time.
    private let firstRecordTime = Synchronization.Atomic<Int64>(0)
    /// Offset up to which this process has asked for the pages to be faulted in (see `SegmentTable`).
    let prefaultRequested = Synchronization.Atomic<Int>(0)

    /// Maps the segment at `path` and validates its header.
    ///
    /// - Throws: `.damagedSegmentHeader` naming the field that is wrong; system errors from opening
    ///   or mapping (`ENOENT` when the file does not exist).
    init(path: String, number: UInt32, writable: Bool, system: SystemCalls) throws(JournalError) {
        let file = try mapped("open segment") { () throws(MappedMemoryError) in
            try MappedFile(path: path, mode: writable ? .readWrite : .readOnly, system: system)
        }
        func damaged(_ text: String, at offset: Int = 0) -> JournalError {
            JournalError(operation: "open segment", path: path, offset: offset, reason: .damagedSegmentHeader(text))
        }
        guard file.count >= SegmentFormat.minimumSegmentSize, let base = file.unsafeBaseAddress else {
            throw damaged("the file has \(file.count) bytes, fewer than the smallest segment (\(SegmentFormat.minimumSegmentSize))")
        }
        func load<T: BitwiseCopyable>(_ offset: Int, _ type: T.Type) -> T {
            base.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
        let magic = load(SegmentFormat.magicOffset, UInt64.self)
        guard magic == SegmentFormat.magic else {
            throw damaged("magic number 0x\(String(magic, radix: 16)) is not a MappedJournal segment's")
        }
        let version = load(SegmentFormat.versionOffset, UInt32.self)
        guard version == SegmentFormat.version else {
            throw damaged("format version \(version) is not the supported version \(SegmentFormat.version)", at: SegmentFormat.versionOffset)
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base + SegmentFormat.segmentNumberOffset, count: SegmentFormat.staticEnd - SegmentFormat.segmentNumberOffset))
        guard crc == load(SegmentFormat.headerCRCOffset, UInt32.self) else {
            throw damaged("header checksum does not match its contents", at: SegmentFormat.headerCRCOffset)
        }
        let storedNumber = load(SegmentFormat.segmentNumberOffset, UInt64.self)
        guard storedNumber == UInt64(number) else {
            throw damaged("the header says segment \(storedNumber) but the file name says \(number)", at: SegmentFormat.segmentNumberOffset)
        }
        let size = Int(truncatingIfNeeded: load(SegmentFormat.segmentSizeOffset, UInt64.self))
        guard size == file.count, size <= SegmentFormat.maximumSegmentSize else {
            throw damaged("the header says \(size) bytes but the file has \(file.count)", at: SegmentFormat.segmentSizeOffset)
        }
        let stride = Int(load(SegmentFormat.indexStrideOffset, UInt32.self))
        guard stride >= 1 else { throw damaged("index stride 0", at: SegmentFormat.indexStrideOffset) }
        let geometry = SegmentFormat.geometry(segmentSize: size, stride: stride)
        guard Int(load(SegmentFormat.dataStartOffset, UInt32.self)) == geometry.dataStart,
              Int(load(SegmentFormat.dataEndOffset, UInt32.self)) == geometry.dataEnd,
              Int(load(SegmentFormat.indexEntriesOffset, UInt32.self)) == geometry.indexEntries,
              geometry.dataStart < geometry.dataEnd
        else {
            throw damaged("data and index bounds do not match the segment size \(size)", at: SegmentFormat.dataStartOffset)
        }
        self.file = file
        self.base = base
        self.path = path
        self.number = number
        self.writable = writable
        self.segmentSize = size
        self.dataStart = geometry.dataStart
        self.dataEnd = geometry.dataEnd
        self.indexStride = stride
        self.indexEntries = geometry.indexEntries
        self.createdAt = load(SegmentFormat.createdAtOffset, Int64.self)
    }

    /// Creates segment `number` in `directory` unless it exists: the file is written and synced
    /// under a temporary name, then linked to its name (so nobody ever sees a half-written header),
    /// and the directory is synced. Safe to call from several processes at once. Returns whether
    /// this call created it.
    @discardableResult
    static func create(directory: String, number: UInt32, segmentSize: Int, indexStride: Int, system: SystemCalls) throws(JournalError) -> Bool {
        let target = directory + "/" + SegmentFormat.fileName(number)
        if Directory.exists(target) { return false }
        let temporary = directory + "/.\(SegmentFormat.fileName(number)).\(processID).\(UInt32.random(in: 0...UInt32.max)).tmp"
        defer { try? Directory.remove(temporary) }
        let geometry = SegmentFormat.geometry(segmentSize: segmentSize, stride: indexStride)
        do throws(MappedMemoryError) {
            var file = try MappedFile.create(path: temporary, size: segmentSize, system: system)
            try file.storeBytes(of: SegmentFormat.magic, toByteOffset: SegmentFormat.magicOffset)
            try file.storeBytes(of: SegmentFormat.version, toByteOffset: SegmentFormat.versionOffset)
            try file.storeBytes(of: UInt64(number), toByteOffset: SegmentFormat.segmentNumberOffset)
            try file.storeBytes(of: UInt64(segmentSize), toByteOffset: SegmentFormat.segmentSizeOffset)
            try file.storeBytes(of: UInt32(geometry.dataStart), toByteOffset: SegmentFormat.dataStartOffset)
            try file.storeBytes(of: UInt32(geometry.dataEnd), toByteOffset: SegmentFormat.dataEndOffset)
            try file.storeBytes(of: UInt32(indexStride), toByteOffset: SegmentFormat.indexStrideOffset)
            try file.storeBytes(of: UInt32(geometry.indexEntries), toByteOffset: SegmentFormat.indexEntriesOffset)
            try file.storeBytes(of: wallClockNanoseconds(), toByteOffset: SegmentFormat.createdAtOffset)
            try file.storeBytes(of: UInt64(geometry.dataStart), toByteOffset: SegmentFormat.tailOffset)
            let crc = file.withUnsafeBytes { bytes in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[SegmentFormat.segmentNumberOffset..<SegmentFormat.staticEnd]))
            }
            try file.storeBytes(of: crc, toByteOffset: SegmentFormat.headerCRCOffset)
            try file.synchronize(.data)
        } catch {
            // Name the segment being created, not its temporary file.
            throw JournalError(operation: "create segment", path: target, reason: .system(error))
        }
        if try Directory.linkIfAbsent(temporary, target) {
            try mapped("create segment") { () throws(MappedMemoryError) in
                try DirectorySync.synchronize(path: directory, system: system)
            }
            return true
        }
        return false
    }

    // MARK: Shared words

    func atomic64(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    func atomic32(_ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    var tail: UnsafeAtomic<UInt64> { atomic64(SegmentFormat.tailOffset) }
    var notify: UnsafeAtomic<UInt32> { atomic32(SegmentFormat.notifyOffset) }
    var waiters: UnsafeAtomic<UInt32> { atomic32(SegmentFormat.waitersOffset) }
    var padCount: UnsafeAtomic<UInt64> { atomic64(SegmentFormat.padCountOffset) }
    var syncedUpToWord: UnsafeAtomic<UInt64> { atomic64(SegmentFormat.syncedUpToOffset) }
    var sealedAtWord: UnsafeAtomic<UInt64> { atomic64(SegmentFormat.sealedAtOffset) }
    var flags: UnsafeAtomic<UInt64> { atomic64(SegmentFormat.flagsOffset) }

    /// The commit word of the frame at `offset` (a multiple of 8 in `dataStart...dataEnd`).
    func commit(at offset: Int) -> UnsafeAtomic<UInt64> {
        assert(offset % 8 == 0 && offset >= dataStart && offset <= dataEnd)
        return atomic64(offset)
    }

    /// The next free offset (may exceed `dataEnd` once the segment is full) and the claims so far.
    var tailState: (offset: Int, claims: UInt64) {
        let word = tail.load(ordering: .acquiring)
        return (Int(word & SegmentFormat.offsetMask), word >> SegmentFormat.claimShift)
    }

    /// Where records below are final and durable (a record boundary), at least `dataStart`.
    var syncedUpTo: Int {
        let value = Int(truncatingIfNeeded: syncedUpToWord.load(ordering: .acquiring))
        return (dataStart...dataEnd).contains(value) ? value : dataStart
    }

    /// The offset of the end-of-segment word, if one was written and is plausible.
    var sealedAt: Int? {
        let value = Int(truncatingIfNeeded: sealedAtWord.load(ordering: .acquiring))
        return (dataStart...dataEnd).contains(value) ? value : nil
    }

    /// Whether producers have moved on: the tail passed the end or the segment was ended.
    var isFull: Bool { tailState.offset > dataEnd || sealedAt != nil }

    var isDurableEnd: Bool { flags.load(ordering: .acquiring) & SegmentFormat.flagDurableEnd != 0 }

    /// Raises `syncedUpTo` to `offset` (never lowers it).
    func raiseSyncedUpTo(_ offset: Int) {
        var current = syncedUpToWord.load(ordering: .relaxed)
        while current < UInt64(offset) {
            let (done, seen) = syncedUpToWord.compareExchange(expected: current, desired: UInt64(offset), ordering: .acquiringAndReleasing)
            if done { return }
            current = seen
        }
    }

    // MARK: Waiting

    /// Polls the commit word at `offset` while it reads `word`, until `deadline`
    /// (`monotonicNanoseconds()`). Returns whether it changed.
    /// A file cut short under the mapping counts as a change (the caller then reads the frame and
    /// reports it).
    func spin(at offset: Int, while word: UInt64, until deadline: Int64) -> Bool {
        let commit = commit(at: offset)
        return guarded {
            while true {
                for _ in 0..<64 {
                    if commit.load(ordering: .relaxed) != word { return true }
                    mnemap_spin_hint()
                }
                if monotonicNanoseconds() >= deadline { return false }
            }
        } ?? true
    }

    /// Sleeps until a producer publishes in this segment, or `timeout` passes.
    /// `observed` is the notify value read before checking for records (see ``waitForPublish(observed:timeout:)``).
    func waitForPublish(observed: UInt32, timeout: Duration) {
        if !Self.futexWait(file, whileEqualTo: observed, timeout: timeout) {
            FileLockSleep.sleep(timeout)
        }
    }

    /// Announces that this reader is about to sleep on `notify`, before it looks (again) at the word
    /// it waits for; returns the value to sleep on. Every call must be followed by
    /// ``withdrawSleep()``, whether the reader slept or not.
    ///
    /// Sets the sleeper bit of `notify` (and counts the reader in `waiters`, which producers of the
    /// first version of this protocol look at instead).
    func announceSleep() -> UInt32 {
        waiters.wrappingIncrement(ordering: .sequentiallyConsistent)
        return notify.loadThenBitwiseOr(with: SegmentFormat.notifySleeper, ordering: .sequentiallyConsistent) | SegmentFormat.notifySleeper
    }

    /// Ends what ``announceSleep()`` began.
    func withdrawSleep() {
        waiters.wrappingDecrement(ordering: .sequentiallyConsistent)
    }

    /// Wakes every reader asleep on this segment, if any.
    ///
    /// Call it after the change readers wait for, made with a sequentially consistent atomic
    /// operation (the publish, pad or end compare-and-swap). A reader sets the sleeper bit of
    /// `notify` (sequentially consistent) before it looks at the word it waits on, so either it sees
    /// the change, or the load below sees the bit. The first producer that sees it clears it and
    /// moves the counter on (the sleepers' futex value changes) and wakes them: one system call per
    /// sleep, however many records are published before the woken reader runs again. With the bit
    /// clear, this costs one load of a shared cache line.
    func notifyReaders() {
        var value = notify.load(ordering: .sequentiallyConsistent)
        while value & SegmentFormat.notifySleeper != 0 {
            let next = (value &+ 1) & ~SegmentFormat.notifySleeper
            let (done, seen) = notify.compareExchange(expected: value, desired: next, ordering: .sequentiallyConsistent)
            if done {
                Self.futexWake(file)
                return
            }
            value = seen
        }
    }

    /// Sleeps on the notify word of `file`; false when the word cannot be waited on.
    private static func futexWait(_ file: borrowing MappedFile, whileEqualTo observed: UInt32, timeout: Duration) -> Bool {
        guard let word = try? file.atomic(UInt32.self, at: SegmentFormat.notifyOffset) else { return false }
        _ = word.wait(whileEqualTo: observed, timeout: timeout)
        return true
    }

    private static func futexWake(_ file: borrowing MappedFile) {
        guard let word = try? file.atomic(UInt32.self, at: SegmentFormat.notifyOffset) else { return }
        word.wake()
    }

    // MARK: Index

    /// Records where claim `claim` starts, if it is one of the indexed claims.
    func recordIndexEntry(claim: UInt64, offset: Int) {
        guard claim % UInt64(indexStride) == 0 else { return }
        let entry = Int(claim / UInt64(indexStride))
        guard entry < indexEntries else { return }
        atomic32(SegmentFormat.indexStart + entry * 4).store(UInt32(offset), ordering: .releasing)
    }

    /// The offset the index gives for claim `entry * indexStride`, when it is a plausible record boundary.
    func indexEntry(_ entry: Int) -> Int? {
        guarded { unguardedIndexEntry(entry) } ?? nil
    }

    private func unguardedIndexEntry(_ entry: Int) -> Int? {
        guard entry >= 0, entry < indexEntries else { return nil }
        let offset = Int(atomic32(SegmentFormat.indexStart + entry * 4).load(ordering: .acquiring))
        guard offset >= dataStart, offset < dataEnd, offset % 8 == 0 else { return nil }
        guard let word = RecordFormat.decode(commit(at: offset).load(ordering: .acquiring)), word.state != .end else { return nil }
        if word.state == .published {
            let claim = base.loadUnaligned(fromByteOffset: offset + RecordFormat.indexOffset, as: UInt64.self)
            guard claim == UInt64(number) << 32 | UInt64(entry * indexStride) else { return nil }
        }
        return offset
    }

    /// A record boundary at or before the start of claim `claim` (from the index), else `dataStart`.
    func boundary(before claim: UInt32) -> Int {
        var entry = min(Int(claim) / indexStride, indexEntries - 1)
        while entry > 0 {
            if let offset = indexEntry(entry) { return offset }
            entry -= 1
        }
        return dataStart
    }

    // MARK: Reading

    /// Whether `offset` can be a record boundary at all.
    func isPlausibleBoundary(_ offset: Int) -> Bool {
        offset >= dataStart && offset <= dataEnd && offset % RecordFormat.alignment == 0
    }

    // MARK: Guarded access

    /// `body`, which reads this segment's mapping, with SIGBUS turned into nil: another process
    /// truncated the file under the mapping (pages past the end of a file cannot be read). The
    /// file is mapped over the faulting pages again, so later reads fault again and report it.
    /// Cost: two thread-local stores and a check (`MappedFile.withFaultGuard`).
    @inline(__always)
    func guarded<R>(_ body: () -> R) -> R? {
        file.beginFaultGuard()
        let result = body()
        return file.endFaultGuard() == nil ? result : nil
    }

    /// The frame for a read that faulted: the file is shorter than the segment.
    func truncated(at offset: Int) -> Frame {
        let size = Directory.fileSize(path).map { "\($0)" } ?? "unknown"
        return .damaged("the segment file was cut short under its mapping (now \(size) bytes, the header says \(segmentSize)): reading offset \(offset) raised SIGBUS", next: nil)
    }

    /// What is at record boundary `offset`, the checksum verified for records.
    ///
    /// Cost: for a record, one CRC32C pass over it; the payload is not copied (see ``payload(of:)``).
    /// A file cut short under the mapping by another process gives `.damaged`, not SIGBUS.
    func frame(at offset: Int) -> Frame {
        guarded { unguardedFrame(at: offset) } ?? truncated(at: offset)
    }

    /// The verified record at `offset` when there is one (a published frame, in range, not past
    /// the end word), else nil: ``frame(at:)`` for the common case, in one guarded pass.
    @inline(__always)
    func publishedRecord(at offset: Int) -> RecordFrame? {
        guard offset >= dataStart, offset < dataEnd, offset & 7 == 0 else { return nil }
        return guarded { () -> RecordFrame? in
            let word = commit(at: offset).load(ordering: .acquiring)
            guard let (state, length) = RecordFormat.decode(word), state == .published, isValidFrameLength(length, at: offset) else { return nil }
            if let sealed = sealedAt, offset > sealed { return nil }
            guard case .record(let record) = publishedRecord(at: offset, length: length) else { return nil }
            return record
        } ?? nil
    }

    private func unguardedFrame(at offset: Int) -> Frame {
        guard isPlausibleBoundary(offset) else {
            return .damaged("offset \(offset) is not a record boundary of this segment (data is \(dataStart)..<\(dataEnd), 8-byte aligned)", next: nil)
        }
        if offset == dataEnd { return .end }
        if let sealed = sealedAt, offset > sealed { return .end }
        let word = commit(at: offset).load(ordering: .acquiring)
        if word == 0 {
            return offset >= tailState.offset ? .unclaimed : .inFlight(length: nil)
        }
        guard let (state, length) = RecordFormat.decode(word) else {
            return .damaged("commit word 0x\(String(word, radix: 16)) is not valid", next: nil)
        }
        switch state {
        case .end:
            return .end
        case .padding:
            guard length >= 8, length % 8 == 0, length <= dataEnd - offset else {
                return .damaged("padding of \(length) bytes does not fit the segment", next: nil)
            }
            return .padding(next: offset + length)
        case .claimed:
            guard isValidFrameLength(length, at: offset) else {
                return .damaged("claimed frame length \(length) does not fit the segment", next: nil)
            }
            return .inFlight(length: length)
        case .published:
            guard isValidFrameLength(length, at: offset) else {
                return .damaged("frame length \(length) does not fit the segment", next: nil)
            }
            return publishedRecord(at: offset, length: length)
        }
    }

    func isValidFrameLength(_ length: Int, at offset: Int) -> Bool {
        length >= RecordFormat.headerSize && length % 8 == 0 && length <= dataEnd - offset
    }

    private func publishedRecord(at offset: Int, length: Int) -> Frame {
        let payloadLength = Int(base.loadUnaligned(fromByteOffset: offset + RecordFormat.lengthOffset, as: UInt32.self))
        guard payloadLength <= length - RecordFormat.headerSize, RecordFormat.frameLength(payload: payloadLength) == length else {
            return .damaged("payload length \(payloadLength) does not match the frame length \(length)", next: provableNext(after: offset, length: length))
        }
        let checked = UnsafeRawBufferPointer(start: base + offset + RecordFormat.lengthOffset, count: RecordFormat.headerSize - RecordFormat.lengthOffset + payloadLength)
        let stored = base.loadUnaligned(fromByteOffset: offset + RecordFormat.crcOffset, as: UInt32.self)
        let computed = CRC32C.checksum(checked)
        guard stored == computed else {
            return .damaged("checksum 0x\(String(stored, radix: 16)) does not match the contents (0x\(String(computed, radix: 16)))", next: provableNext(after: offset, length: length))
        }
        let index = JournalIndex(rawValue: base.loadUnaligned(fromByteOffset: offset + RecordFormat.indexOffset, as: UInt64.self))
        guard index.segment == number else {
            return .damaged("record index \(index) belongs to segment \(index.segment), not \(number)", next: provableNext(after: offset, length: length))
        }
        let timestamp = base.loadUnaligned(fromByteOffset: offset + RecordFormat.timestampOffset, as: Int64.self)
        return .record(RecordFrame(segment: number, offset: offset, length: length, payloadLength: payloadLength, payload: UnsafeRawPointer(base + offset + RecordFormat.headerSize), index: index, timestamp: timestamp))
    }

    /// The boundary after a damaged frame whose commit word is intact, when the word after it is
    /// a valid commit word (or zero, or the end): only then is the frame length trustworthy.
    private func provableNext(after offset: Int, length: Int) -> Int? {
        let next = offset + length
        if next == dataEnd { return next }
        let word = commit(at: next).load(ordering: .acquiring)
        return word == 0 || RecordFormat.decode(word) != nil ? next : nil
    }

    /// The payload of a record returned by ``frame(at:)``, in place: valid while this segment is.
    func payload(of record: RecordFrame) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: record.payload, count: record.payloadLength)
    }

    /// A copy of the record returned by ``frame(at:)``.
    func copy(_ record: RecordFrame) -> JournalRecord {
        JournalRecord(
            index: record.index,
            timestamp: record.timestamp,
            payload: [UInt8](payload(of: record)),
            position: record.position,
            nextPosition: record.nextPosition
        )
    }

    /// Where the frame at `offset` ends, without verifying or copying a record (for walks that
    /// only need boundaries, such as sync). `.record`s are reported as `.padding(next:)`.
    func boundary(at offset: Int) -> Frame {
        guarded { unguardedBoundary(at: offset) } ?? truncated(at: offset)
    }

    private func unguardedBoundary(at offset: Int) -> Frame {
        guard isPlausibleBoundary(offset), offset < dataEnd else { return unguardedFrame(at: offset) }
        if let sealed = sealedAt, offset > sealed { return .end }
        let word = commit(at: offset).load(ordering: .acquiring)
        if let (state, length) = RecordFormat.decode(word), state == .published, isValidFrameLength(length, at: offset) {
            return .padding(next: offset + length)
        }
        return unguardedFrame(at: offset)
    }

    /// Whether the segment's first record is older than `interval` (false while it has none).
    func isOlder(than interval: Duration, now: Int64) -> Bool {
        var first = firstRecordTime.load(ordering: .relaxed)
        if first == 0 {
            var offset = dataStart
            search: for _ in 0..<64 {
                switch frame(at: offset) {
                case .record(let record):
                    first = record.timestamp
                    firstRecordTime.store(first, ordering: .relaxed)
                    break search
                case .padding(let next):
                    offset = next
                default:
                    return false
                }
            }
        }
        let (seconds, attoseconds) = interval.components
        return first != 0 && now - first >= seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    // MARK: Padding over stopped producers

    /// Pads over the frame at `offset` that was claimed with `length` and never published.
    /// Returns whether this call did it (false: it was published or padded meanwhile).
    @discardableResult
    func padClaimed(at offset: Int, length: Int) -> Bool {
        let (done, _) = commit(at: offset).compareExchange(
            expected: RecordFormat.word(.claimed, length: length),
            desired: RecordFormat.word(.padding, length: length),
            ordering: .sequentiallyConsistent
        )
        if done {
            padCount.wrappingIncrement(ordering: .relaxed)
            notifyReaders()
        }
        return done
    }

    /// Pads over claimed space whose producer never wrote its commit word: every 8-byte word from
    /// `offset` up to the first word that is not zero (or the end of the claimed space) becomes
    /// padding of 8 bytes. A producer that was only slow finds its commit word padded and claims
    /// again, so no record is lost or split. Returns whether anything was padded.
    @discardableResult
    func padUnwritten(from offset: Int) -> Bool {
        let limit = min(tailState.offset, dataEnd)
        var position = offset
        while position < limit {
            let (done, _) = commit(at: position).compareExchange(
                expected: 0, desired: RecordFormat.word(.padding, length: 8), ordering: .sequentiallyConsistent
            )
            if !done { break }
            position += 8
        }
        guard position > offset else { return false }
        padCount.wrappingIncrement(ordering: .relaxed)
        notifyReaders()
        return true
    }

    // MARK: Durability

    /// Flushes the bytes of `range` (whole pages around it) and waits for stable storage.
    func flush(_ range: Range<Int>) throws(JournalError) {
        try mapped("sync") { () throws(MappedMemoryError) in try file.flush(range: range, mode: .synchronous) }
    }

    func flushHeader() throws(JournalError) {
        try flush(0..<dataStart)
    }
}

/// Sleeping without a futex (when a word cannot be waited on).
enum FileLockSleep {
    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
