import MappedMemory

extension Segment {
    /// Walks record boundaries from `offset` until `target` (or the end of the segment, or the tail),
    /// waiting for slots in flight and padding them over after `padTimeout`. Returns the boundary
    /// reached: every frame below it is final (published or padding) and will never change again.
    func finalize(from offset: Int, to target: Int, padTimeout: Duration) -> Int {
        finalizeReportingEnd(from: offset, to: target, padTimeout: padTimeout).boundary
    }

    /// ``finalize(from:to:padTimeout:)``, also saying whether the walk reached the segment's end.
    func finalizeReportingEnd(from offset: Int, to target: Int, padTimeout: Duration) -> (boundary: Int, ended: Bool) {
        let clock = ContinuousClock()
        var position = offset
        var stuckSince: ContinuousClock.Instant?
        while position < target {
            switch boundary(at: position) {
            case .record(let record):
                position = record.nextPosition.offset
                stuckSince = nil
            case .padding(let next):
                position = next
                stuckSince = nil
            case .end:
                return (position, true)
            case .unclaimed, .damaged:
                return (position, false)
            case .inFlight(let length):
                let now = clock.now
                let since = stuckSince ?? now
                stuckSince = since
                if now - since >= padTimeout && writable {
                    if let length { padClaimed(at: position, length: length) } else { padUnwritten(from: position) }
                    stuckSince = nil
                } else if !writable && now - since >= padTimeout {
                    return (position, false)
                } else {
                    let observed = announceSleep()
                    if commit(at: position).load(ordering: .sequentiallyConsistent) == RecordFormat.word(.claimed, length: length ?? 0) || length == nil {
                        waitForPublish(observed: observed, timeout: .milliseconds(10))
                    }
                    withdrawSleep()
                }
            }
        }
        return (position, position >= dataEnd)
    }
}

extension Journal {
    /// Makes every record up to and including `index` (and every record before it in the journal)
    /// survive power loss.
    ///
    /// Guarantee: when this returns, a crash of the machine at any later moment loses none of those
    /// records. Records of other producers that precede `index` and are still being written are
    /// waited for (padded over after `padTimeout` if their producer died), because a durable
    /// prefix must be complete. Cost: `msync(MS_SYNC)` of the bytes written since the last sync
    /// (Linux: like `fdatasync`), plus one of the segment's header page; for every segment
    /// finished since, a flush of the whole segment. Segment files are made durable in their
    /// directory (fsync) when they are created, so a sync never waits for that.
    /// - Throws: `.invalidArgument` when `index` is not in the journal; flush failures (`EIO`): then
    ///   assume that records since the last successful sync may be lost after power loss.
    public func sync(upTo index: JournalIndex) throws(JournalError) {
        try requireWritable("sync")
        guard let segment = try segment(index.segment) else {
            throw JournalError(operation: "sync", path: directory, reason: .invalidArgument("record \(index) is not in the journal (segment \(index.segment) does not exist)."))
        }
        var offset = segment.boundary(before: index.claim)
        var end: Int?
        search: while true {
            switch segment.frame(at: offset) {
            case .record(let record):
                offset = record.nextPosition.offset
                if record.index >= index {
                    end = offset
                    break search
                }
            case .padding(let next):
                offset = next
            case .inFlight:
                offset = segment.finalize(from: offset, to: offset + 8, padTimeout: options.padTimeout)
            case .end, .unclaimed, .damaged:
                break search
            }
        }
        guard let end else {
            throw JournalError(operation: "sync", path: segment.path, offset: offset, reason: .invalidArgument("record \(index) was not found in the segment; sync only indexes returned by append."))
        }
        try sync(through: JournalPosition(segment: index.segment, offset: end))
    }

    /// Makes every record appended so far (by any process) survive power loss; see ``sync(upTo:)``.
    public func sync() throws(JournalError) {
        try requireWritable("sync")
        guard let newest = try newestSegment() else { return }
        try sync(through: JournalPosition(segment: newest.number, offset: min(newest.tailState.offset, newest.dataEnd)))
    }

    /// Flushes every segment before `target.segment` that is not yet durable to its end, then
    /// `target.segment` up to `target.offset`, recording how far each is durable in its header.
    func sync(through target: JournalPosition) throws(JournalError) {
        // Earlier segments not yet durable to their end, oldest first.
        var pending: [Segment] = []
        var number = target.segment
        while number > 0 {
            number -= 1
            guard let earlier = try segment(number), !earlier.isDurableEnd else { break }
            pending.insert(earlier, at: 0)
        }
        for earlier in pending {
            let (end, ended) = earlier.finalizeReportingEnd(from: earlier.syncedUpTo, to: earlier.dataEnd, padTimeout: options.padTimeout)
            try earlier.flush(earlier.syncedUpTo..<min(end + 8, earlier.segmentSize))
            earlier.raiseSyncedUpTo(end)
            // Durable to its end only when it has one: a segment still being appended to (the next
            // was created ahead) is synced as far as it goes.
            if ended { _ = earlier.flags.loadThenBitwiseOr(with: SegmentFormat.flagDurableEnd, ordering: .acquiringAndReleasing) }
            try earlier.flushHeader()
        }
        guard let segment = try segment(target.segment) else { return }
        let start = segment.syncedUpTo
        guard target.offset > start else { return }
        let end = segment.finalize(from: start, to: target.offset, padTimeout: options.padTimeout)
        try segment.flush(start..<max(end, start + 8))
        segment.raiseSyncedUpTo(end)
        try segment.flushHeader()
    }
}
