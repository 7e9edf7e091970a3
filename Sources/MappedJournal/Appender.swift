import Atomics
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a producer got from the tail word of a segment.
enum Claim {
    /// Space for the frame at `offset`, with claim number `claim`; the commit word says claimed.
    case claimed(offset: Int, claim: UInt64)
    /// The first claim that did not fit: this producer ends the segment at `offset`.
    case closer(offset: Int)
    /// The segment is full: continue in the next one.
    case full
    /// The space was padded over before this producer could mark it (it was too slow): claim again.
    case lost
}

extension Segment {
    /// Claims `length` bytes (a whole frame) with one atomic add on the tail word.
    func claim(length: Int) -> Claim {
        if tailState.offset > dataEnd { return .full }
        let old = tail.loadThenWrappingIncrement(by: 1 << SegmentFormat.claimShift | UInt64(length), ordering: .acquiringAndReleasing)
        let offset = Int(old & SegmentFormat.offsetMask)
        let claim = old >> SegmentFormat.claimShift
        if offset + length <= dataEnd {
            // The commit word is written first, so a reader can skip the frame if this process dies now.
            let (done, _) = commit(at: offset).compareExchange(expected: 0, desired: RecordFormat.word(.claimed, length: length), ordering: .acquiringAndReleasing)
            return done ? .claimed(offset: offset, claim: claim) : .lost
        }
        return offset <= dataEnd ? .closer(offset: offset) : .full
    }

    /// Ends the segment at the current tail (rolling by time): one atomic add of more than the whole
    /// data area, so this claim is the first that does not fit, exactly as when the segment fills up.
    func claimRemainder() -> Claim {
        if tailState.offset > dataEnd { return .full }
        let old = tail.loadThenWrappingIncrement(by: 1 << SegmentFormat.claimShift | UInt64(dataEnd - dataStart + 8), ordering: .acquiringAndReleasing)
        let offset = Int(old & SegmentFormat.offsetMask)
        return offset <= dataEnd ? .closer(offset: offset) : .full
    }

    /// Writes the record into the claimed frame and publishes it (release). Returns false when the
    /// frame was padded over first (this producer was slower than the pad timeout): claim again.
    func publish(at offset: Int, claim: UInt64, length: Int, payload: UnsafeRawBufferPointer) -> Bool {
        let index = UInt64(number) << 32 | claim
        base.storeBytes(of: UInt32(payload.count), toByteOffset: offset + RecordFormat.lengthOffset, as: UInt32.self)
        base.storeBytes(of: index, toByteOffset: offset + RecordFormat.indexOffset, as: UInt64.self)
        base.storeBytes(of: wallClockNanoseconds(), toByteOffset: offset + RecordFormat.timestampOffset, as: Int64.self)
        // The checksum covers the header fields after it and the payload; the payload is copied
        // into the frame by the same pass that checksums it (each byte read once).
        let header = UnsafeRawBufferPointer(start: base + offset + RecordFormat.lengthOffset, count: RecordFormat.headerSize - RecordFormat.lengthOffset)
        let crc = CRC32C.copy(payload, to: base + offset + RecordFormat.headerSize, continuing: CRC32C.checksum(header))
        base.storeBytes(of: crc, toByteOffset: offset + RecordFormat.crcOffset, as: UInt32.self)
        recordIndexEntry(claim: claim, offset: offset)
        // Sequentially consistent (on x86 any locked instruction is): see `notifyReaders`.
        let (done, _) = commit(at: offset).compareExchange(
            expected: RecordFormat.word(.claimed, length: length),
            desired: RecordFormat.word(.published, length: length),
            ordering: .sequentiallyConsistent
        )
        if done { notifyReaders() }
        return done
    }

    /// Ends the segment at `offset` (this producer's claim was the first that did not fit).
    func seal(at offset: Int) {
        let (done, _) = commit(at: offset).compareExchange(expected: 0, desired: RecordFormat.word(.end, length: 0), ordering: .sequentiallyConsistent)
        if done { sealedAtWord.store(UInt64(offset), ordering: .sequentiallyConsistent) }
        notifyReaders()
    }
}

extension Journal {
    /// The segment to claim in: the newest this process knows (a full one sends the producer on).
    func appendSegment() throws(JournalError) -> Segment? {
        if let known = try segment(appendTarget.load(ordering: .relaxed)) { return known }
        return try activeSegment()
    }

    /// Moves this process's producers on to segment `number` (never back).
    func raise(appendTargetTo number: UInt32) {
        var current = appendTarget.load(ordering: .relaxed)
        while current < number {
            let (done, seen) = appendTarget.compareExchange(expected: current, desired: number, ordering: .relaxed)
            if done { return }
            current = seen
        }
    }

    /// The largest payload a record may have in this journal's segments.
    public var maximumPayload: Int {
        let newest = (try? newestSegment()) ?? nil
        let geometry = SegmentFormat.geometry(segmentSize: newest?.segmentSize ?? options.segmentSize, stride: newest?.indexStride ?? options.indexStride)
        return (geometry.dataEnd - geometry.dataStart) / 2 - RecordFormat.headerSize
    }

    /// Appends one record and returns its index.
    ///
    /// Guarantee: when this returns, the record is complete and visible to every reader in every
    /// process, after all records that precede it in the journal's order; it survives the crash of
    /// this process but not power loss until ``sync(upTo:)`` covers it. Lock-free in the shared
    /// segment: one atomic add on the segment's tail word and two compare-and-swaps on the record's
    /// commit word; a futex wake only when a reader is asleep. The producer whose claim crosses the
    /// middle of a segment has the next segment created (file creation, fsync, directory fsync:
    /// milliseconds) on a background queue (``JournalOptions/prepareAhead``; else itself), which also
    /// faults in the pages appends are about to write, so that an append usually neither creates a
    /// file nor takes a page fault. Cost otherwise: one CRC32C pass, one copy of the payload, one
    /// read of the wall clock, and a short lock of this `Journal` value to find the segment appended
    /// to (a ``JournalAppender``, one per thread, keeps it instead and takes no lock at all).
    ///
    /// - Throws: `.payloadTooLarge` (payloads may use up to half a segment), `.readOnly`, and system
    ///   errors from creating a segment (e.g. `ENOSPC`, with nothing appended).
    @discardableResult
    public func append(_ payload: UnsafeRawBufferPointer) throws(JournalError) -> JournalIndex {
        try requireWritable("append")
        let target = appendTarget.load(ordering: .relaxed)
        var start: Segment
        if let cached = appendCache.withLock({ $0 }), cached.number == target {
            start = cached
        } else {
            start = try currentAppendSegment()
            let known = start
            appendCache.withLock { cache in if cache.map({ $0.number <= known.number }) ?? true { cache = known } }
        }
        let (index, used) = try append(payload, startingIn: start)
        if used !== start {
            appendCache.withLock { cache in if cache.map({ $0.number <= used.number }) ?? true { cache = used } }
        }
        return index
    }

    /// The segment this process's producers claim in now.
    func currentAppendSegment() throws(JournalError) -> Segment {
        guard let segment = try appendSegment() else {
            throw JournalError(operation: "append", path: directory, reason: .system(.system("open", path: directory, errno: ENOENT)))
        }
        return segment
    }

    /// Appends `payload`, claiming in `start` (or the segments after it when it is full). Returns the
    /// index and the segment the record went to.
    func append(_ payload: UnsafeRawBufferPointer, startingIn start: Segment) throws(JournalError) -> (JournalIndex, Segment) {
        var segment = start
        let length = RecordFormat.frameLength(payload: payload.count)
        let maximum = (segment.dataEnd - segment.dataStart) / 2
        guard length <= maximum else {
            throw JournalError(operation: "append", path: directory, reason: .payloadTooLarge(size: payload.count, maximum: maximum - RecordFormat.headerSize))
        }
        while true {
            var claim = Claim.full
            if let interval = options.rollInterval, segment.isOlder(than: interval, now: wallClockNanoseconds()) {
                claim = segment.claimRemainder()
            } else {
                claim = segment.claim(length: length)
            }
            switch claim {
            case .claimed(let offset, let claim):
                if segment.publish(at: offset, claim: claim, length: length, payload: payload) {
                    // The one claim that crosses the middle of the segment has the next segment
                    // created (in the background, or now), so that the roll does not stop every
                    // producer for a file creation and fsync.
                    let middle = (segment.dataStart + segment.dataEnd) / 2
                    if offset < middle && offset + length >= middle {
                        if table.prepareAhead {
                            table.prepare(after: segment)
                        } else {
                            _ = try? self.segment(segment.number &+ 1, creatingAfter: segment)
                        }
                    }
                    table.prefaultAhead(of: offset + length, in: segment)
                    return (JournalIndex(segment: segment.number, claim: UInt32(claim)), segment)
                }
            case .lost:
                continue
            case .closer(let offset):
                // End the segment first: readers stop waiting for this claim, and producers that
                // find the segment full go on to the next one (creating it if it is still missing)
                // instead of waiting for this producer, which may be stopped at any moment.
                segment.seal(at: offset)
                // The next segment was created ahead (or is being created in the background, or
                // by another process: waited for); if not, now. On failure (e.g. a full disk)
                // nothing was appended, and the next producer tries to create it again.
                let next = try self.segment(segment.number &+ 1, creatingAfter: segment)
                segment = next
                raise(appendTargetTo: next.number)
            case .full:
                segment = try nextSegment(after: segment)
                raise(appendTargetTo: segment.number)
            }
        }
    }

    /// A producer handle for one thread: appends like ``append(_:)-(UnsafeRawBufferPointer)`` and
    /// keeps the segment it appends to, so that an append takes no lock at all.
    ///
    /// - Throws: `.readOnly` in a read-only journal.
    public func appender() throws(JournalError) -> JournalAppender {
        try requireWritable("append")
        return JournalAppender(journal: self)
    }

    /// The segment after the full `segment`. The producer whose claim overflowed it ends it and then
    /// looks for (or creates) the next one; wait for that end a little (so that racing producers do
    /// not all write a segment file), then create the next segment here (that producer may have died).
    func nextSegment(after segment: Segment) throws(JournalError) -> Segment {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: min(options.padTimeout, .seconds(1)))
        while clock.now < deadline {
            if let next = try self.segment(segment.number &+ 1) { return next }
            // Ended but no successor: its closer could not create it, or recovery ended it.
            if segment.sealedAt != nil { break }
            FileLockSleep.sleep(.microseconds(200))
        }
        return try self.segment(segment.number &+ 1, creatingAfter: segment)
    }

    /// Appends one record with the bytes of `payload`; see ``append(_:)-(UnsafeRawBufferPointer)``.
    @discardableResult
    public func append(_ payload: some Collection<UInt8>) throws(JournalError) -> JournalIndex {
        let bytes = Array(payload)
        var result: Result<JournalIndex, JournalError> = .failure(JournalError(operation: "append", path: directory, reason: .invalidArgument("no payload")))
        bytes.withUnsafeBytes { buffer in
            do throws(JournalError) { result = .success(try append(buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// For tests: claims space for a record of `payloadLength` bytes and never publishes it, as a
    /// producer that dies between claiming and publishing. Returns the claimed position.
    /// With `markingCommitWord` false, it stops even earlier: after the atomic add on the tail,
    /// before the commit word says "claimed" (the frame's length is then unknown to readers).
    @_spi(Testing)
    public func claimWithoutPublishing(payloadLength: Int, markingCommitWord: Bool = true) throws(JournalError) -> JournalPosition {
        try requireWritable("append")
        guard var segment = try appendSegment() else { throw JournalError(operation: "append", path: directory, reason: .readOnly) }
        let length = RecordFormat.frameLength(payload: payloadLength)
        if !markingCommitWord {
            let old = segment.tail.loadThenWrappingIncrement(by: 1 << SegmentFormat.claimShift | UInt64(length), ordering: .acquiringAndReleasing)
            return JournalPosition(segment: segment.number, offset: Int(old & SegmentFormat.offsetMask))
        }
        while true {
            switch segment.claim(length: length) {
            case .claimed(let offset, _):
                return JournalPosition(segment: segment.number, offset: offset)
            case .lost:
                continue
            case .closer(let offset):
                segment.seal(at: offset)
                segment = try self.segment(segment.number &+ 1, creatingAfter: segment)
            case .full:
                segment = try self.segment(segment.number &+ 1, creatingAfter: segment)
            }
        }
    }
}

/// A producer for one thread at a time (like a ``Tailer`` for consumers, or Chronicle Queue's
/// appenders): ``append(_:)-(UnsafeRawBufferPointer)`` is `Journal`'s append without the lookup of
/// the segment to append to. The appender keeps that segment and checks with one relaxed atomic
/// load that it is still the one this process's producers claim in; the claim itself moves on
/// when another producer (in any process) has filled it. Make one per thread with
/// ``Journal/appender()``; several appenders and `Journal.append` calls may run at once.
public final class JournalAppender {
    /// The journal appended to.
    public let journal: Journal
    private var segment: Segment?

    init(journal: Journal) {
        self.journal = journal
    }

    /// Appends one record and returns its index; see ``Journal/append(_:)-(UnsafeRawBufferPointer)``
    /// for the guarantee. Cost: no lock; one atomic add, two compare-and-swaps, one CRC32C pass and
    /// one copy of the payload.
    @discardableResult
    public func append(_ payload: UnsafeRawBufferPointer) throws(JournalError) -> JournalIndex {
        let start: Segment
        if let segment, segment.number == journal.appendTarget.load(ordering: .relaxed) {
            start = segment
        } else {
            start = try journal.currentAppendSegment()
            segment = start
        }
        let (index, used) = try journal.append(payload, startingIn: start)
        if used !== start { segment = used }
        return index
    }

    /// Appends one record with the bytes of `payload`; see ``append(_:)-(UnsafeRawBufferPointer)``.
    @discardableResult
    public func append(_ payload: some Collection<UInt8>) throws(JournalError) -> JournalIndex {
        let bytes = Array(payload)
        var result: Result<JournalIndex, JournalError> = .failure(JournalError(operation: "append", path: journal.directory, reason: .invalidArgument("no payload")))
        bytes.withUnsafeBytes { buffer in
            do throws(JournalError) { result = .success(try append(buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}
