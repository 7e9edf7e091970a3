import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What recovery did when the journal was opened by the first process after all others had ended.
public struct RecoveryReport: Sendable, Equatable {
    /// Segments whose unsynced part was scanned.
    public var scannedSegments: [UInt32] = []
    /// Slots that producers claimed and never published (they died), now padding.
    public var paddedClaims = 0
    /// Where segments were ended because the record there was torn or missing (a crash lost it and
    /// everything after it in that segment, none of which had been synced).
    public var sealedAt: [JournalPosition] = []
    /// Damaged records that no crash of the machine explains (the machine did not restart, so the
    /// page cache kept every store): left as they are; readers report them, `check` lists them.
    public var damaged: [JournalPosition] = []
    /// Segments whose header is damaged (or whose file was cut short): not scanned, not changed.
    /// Readers and producers that reach them get an error naming the file; move them aside.
    public var unreadableSegments: [UInt32] = []

    public init() {}

    /// Whether recovery changed nothing.
    public var isEmpty: Bool { paddedClaims == 0 && sealedAt.isEmpty && damaged.isEmpty && unreadableSegments.isEmpty }
}

/// Crash recovery, run by the first opener (no other process has the journal open).
///
/// For each segment not yet durable to its end (the tail of the journal), frames from its
/// `syncedUpTo` on are walked:
/// - published with a matching checksum, padding: kept;
/// - claimed (the producer died before publishing): padded over, the boundary is in the commit word;
/// - without a reboot (only processes died, the page cache is intact): a zero commit word where
///   space was claimed is padded over as a reader would; a damaged record is reported and left;
/// - after a reboot: a zero commit word where space was claimed, or a torn record (bad checksum,
///   impossible length), seals the segment there with an end-of-segment word. Nothing from there
///   on was synced (a sync moves `syncedUpTo` past a record only after flushing it), so only
///   unsynced records are dropped, and nothing torn is ever returned; and at the tail, bytes after
///   the last record are zeroed, so that stale unsynced frames can never reappear.
enum Recovery {
    /// `afterReboot`: the machine may have lost power since the journal was last open, so unsynced
    /// bytes may be missing or stale; otherwise only processes died and the page cache is intact.
    static func run(_ journal: Journal, numbers: [UInt32], afterReboot: Bool) throws(JournalError) -> RecoveryReport {
        var report = RecoveryReport()
        guard journal.writable, let newest = numbers.last else { return report }
        // The segments after the last one durable to its end.
        var first = numbers.startIndex
        for position in numbers.indices.reversed() {
            guard let segment = try? journal.segment(numbers[position]) else { continue }
            if segment.isDurableEnd { first = position + 1; break }
            first = position
        }
        // Claims that cursors have seen in the newest segment: new records must number above them,
        // even when a power loss took those records (and the tail word) away.
        var cursorClaims: [UInt32: UInt64] = [:]
        for name in (try? journal.cursorNames()) ?? [] {
            if let last = (try? journal.cursor(name))??.lastIndex, last.segment + 1 >= newest {
                cursorClaims[last.segment] = max(cursorClaims[last.segment] ?? 0, UInt64(last.claim) + 1)
            }
        }
        // The last segment with anything in it; the one after it may have been created ahead of
        // need and be empty. Both are "newest": their clean end is the tail, not a seal.
        var lastWithData = numbers[first]
        for number in numbers[first...] {
            if let segment = try? journal.segment(number), segment.commit(at: segment.dataStart).load(ordering: .acquiring) != 0 {
                lastWithData = number
            }
        }
        for number in numbers[first...] {
            let opened: Segment?
            do {
                opened = try journal.segment(number)
            } catch where error.reason.isDamage {
                report.unreadableSegments.append(number)
                continue
            }
            guard let segment = opened else { continue }
            // Readers killed while asleep left their registration behind; nobody is asleep now.
            segment.waiters.store(0, ordering: .relaxed)
            _ = segment.notify.loadThenBitwiseAnd(with: ~SegmentFormat.notifySleeper, ordering: .relaxed)
            report.scannedSegments.append(number)
            try recover(segment, isNewest: number >= lastWithData, seenClaims: cursorClaims[number] ?? 0, afterReboot: afterReboot, report: &report)
        }
        return report
    }

    private static func recover(_ segment: Segment, isNewest: Bool, seenClaims: UInt64, afterReboot: Bool, report: inout RecoveryReport) throws(JournalError) {
        var offset = segment.syncedUpTo
        var claims = seenClaims
        var padded = false
        while true {
            switch segment.frame(at: offset) {
            case .record(let record):
                claims = max(claims, UInt64(record.index.claim) + 1)
                offset = record.nextPosition.offset
            case .padding(let next):
                offset = next
            case .end:
                if padded { try segment.flush(0..<segment.segmentSize) }
                return
            case .inFlight(let length?):
                segment.padClaimed(at: offset, length: length)
                report.paddedClaims += 1
                padded = true
                offset += length
            case .inFlight(nil) where !afterReboot:
                // A producer died between its claim and its mark; the stores after it are intact.
                segment.padUnwritten(from: offset)
                report.paddedClaims += 1
                padded = true
            case .inFlight(nil):
                seal(segment, at: offset, claims: claims)
                report.sealedAt.append(JournalPosition(segment: segment.number, offset: offset))
                try segment.flush(0..<segment.segmentSize)
                return
            case .unclaimed:
                if isNewest {
                    if resetTail(segment, at: offset, claims: claims, zeroingAfter: afterReboot) || padded { try segment.flush(0..<segment.segmentSize) }
                    return
                } else {
                    seal(segment, at: offset, claims: claims)
                    report.sealedAt.append(JournalPosition(segment: segment.number, offset: offset))
                }
                try segment.flush(0..<segment.segmentSize)
                return
            case .damaged(_, let next):
                if !afterReboot {
                    // No crash of the machine explains it (the page cache kept every store): media
                    // damage or a foreign write. Leave it for readers to report and `check` to list.
                    report.damaged.append(JournalPosition(segment: segment.number, offset: offset))
                    guard let next else {
                        if padded { try segment.flush(0..<segment.segmentSize) }
                        return
                    }
                    offset = next
                } else {
                    seal(segment, at: offset, claims: claims)
                    report.sealedAt.append(JournalPosition(segment: segment.number, offset: offset))
                    try segment.flush(0..<segment.segmentSize)
                    return
                }
            }
        }
    }

    /// Clears index entries that point at or past `offset` (records a crash took away).
    @discardableResult
    private static func clearIndex(_ segment: Segment, from offset: Int) -> Bool {
        var changed = false
        for entry in 0..<segment.indexEntries {
            let word = segment.atomic32(SegmentFormat.indexStart + entry * 4)
            if Int(word.load(ordering: .relaxed)) >= offset {
                word.store(0, ordering: .relaxed)
                changed = true
            }
        }
        return changed
    }

    /// Ends the segment at `offset`: producers move to the next segment, readers stop here.
    private static func seal(_ segment: Segment, at offset: Int, claims: UInt64) {
        clearIndex(segment, from: offset)
        segment.commit(at: offset).store(RecordFormat.word(.end, length: 0), ordering: .releasing)
        segment.sealedAtWord.store(UInt64(offset), ordering: .releasing)
        let (_, tailClaims) = segment.tailState
        segment.tail.store(max(claims, tailClaims) << SegmentFormat.claimShift | UInt64(segment.dataEnd + 8), ordering: .releasing)
    }

    /// Makes `offset` the newest segment's tail, zeroing whatever a crash left after it.
    /// Returns whether anything changed.
    private static func resetTail(_ segment: Segment, at offset: Int, claims: UInt64, zeroingAfter: Bool) -> Bool {
        var changed = clearIndex(segment, from: offset)
        // Without a reboot nothing was ever stored past the tail; after one, stale sectors may be there.
        let end = zeroingAfter ? segment.segmentSize : offset
        let zeros = [UInt8](repeating: 0, count: 4096)
        zeros.withUnsafeBytes { zeros in
            var page = offset
            while page < end {
                let limit = min(end, (page / 4096 + 1) * 4096)
                if memcmp(segment.base + page, zeros.baseAddress!, limit - page) != 0 {
                    memset(segment.base + page, 0, limit - page)
                    changed = true
                }
                page = limit
            }
        }
        let (tailOffset, tailClaims) = segment.tailState
        if tailOffset != offset || tailClaims < claims {
            segment.tail.store(max(claims, tailClaims) << SegmentFormat.claimShift | UInt64(offset), ordering: .releasing)
            changed = true
        }
        return changed
    }
}
