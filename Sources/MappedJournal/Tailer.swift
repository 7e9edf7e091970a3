import Atomics
import MappedMemory

/// Where a tailer starts reading.
public enum TailerStart: Sendable, Equatable {
    /// The oldest record still in the journal.
    case start
    /// After the last record claimed now: only records appended from now on.
    case end
    /// The first record whose index is at least this one.
    case index(JournalIndex)
    /// The first record whose timestamp is at least this many nanoseconds since 1970 (timestamps
    /// follow the journal's order up to the clock skew between producers, microseconds on one host).
    case time(nanosecondsSince1970: Int64)
    /// A record boundary, e.g. a record's `nextPosition`.
    case position(JournalPosition)
}

/// A consumer of a journal: returns every complete record once, in the journal's order.
///
/// A tailer is used by one thread at a time. It never returns a record whose checksum does not
/// match. When it reaches a slot that a producer claimed and did not publish, it waits for it;
/// after the journal's `padTimeout` it pads the slot over (the producer is presumed dead; a
/// slow one claims again) and continues. Waiting costs nothing: a futex on the segment's notify
/// word (Linux), with a timeout on every wait.
///
/// A tailer made with a cursor name commits its position to a cursor file (``commit(state:durable:)``):
/// a restarted consumer with the same name continues after the last committed record.
public final class Tailer {
    /// The journal read.
    public let journal: Journal
    /// Where the next record is looked for.
    public private(set) var position: JournalPosition {
        get { state.pointee.position }
        set { state.pointee.position = newValue }
    }
    /// The index of the last record returned.
    public private(set) var lastIndex: JournalIndex? {
        get { state.pointee.lastIndex }
        set { state.pointee.lastIndex = newValue }
    }
    /// Skip a damaged record when the next record's position can be proven (from its frame length
    /// or the segment index), counting it in ``damagedSkipped``; when false (default) reading it throws.
    public var skipDamagedRecords = false
    /// Damaged records skipped.
    public private(set) var damagedSkipped: Int {
        get { state.pointee.damagedSkipped }
        set { state.pointee.damagedSkipped = newValue }
    }
    /// Slots this tailer padded over because their producers stopped.
    public private(set) var paddedOver: Int {
        get { state.pointee.paddedOver }
        set { state.pointee.paddedOver = newValue }
    }
    /// The application state of the cursor's last commit (empty without a cursor or a commit).
    public private(set) var committedState: [UInt8] = []

    let cursor: CursorFile?
    private var segment: Segment? {
        get { state.pointee.segment }
        set {
            state.pointee.segment = newValue
            state.pointee.segmentRef = newValue.map { Unmanaged.passUnretained($0) }
        }
    }
    /// The boundary where a slot in flight was seen, since when (read from the clock lazily), and
    /// how many times it was seen there.
    private var stuck: Stuck? {
        get { state.pointee.stuck }
        set { state.pointee.stuck = newValue }
    }

    /// What changes on every read, kept out of the object's stored properties: a tailer is used by
    /// one thread at a time, and stored `var`s of a class cost a dynamic exclusivity check on every
    /// access (a third of a read in profiles).
    private struct State {
        var position: JournalPosition
        var lastIndex: JournalIndex?
        var damagedSkipped = 0
        var paddedOver = 0
        /// The segment `position` is in, once opened; kept mapped while the tailer reads it.
        var segment: Segment?
        /// `segment`, unretained: the hot path reads through it without reference counting
        /// (atomic increments and decrements, a quarter of a read); `segment` keeps it alive.
        var segmentRef: Unmanaged<Segment>?
        var stuck: Stuck?
        /// The segment whose payload is being read in place (see ``beginReading()``).
        var reading: Unmanaged<Segment>?
    }
    private let state: UnsafeMutablePointer<State>

    struct Stuck {
        var position: JournalPosition
        /// `monotonicNanoseconds()` when first seen with the clock read.
        var since: Int64?
        var polls: Int
    }

    /// Polls of a slot in flight with `timeout: .zero` between two looks at the clock.
    static let pollsPerClockRead = 64

    init(journal: Journal, position: JournalPosition, cursor: CursorFile?) {
        self.journal = journal
        self.cursor = cursor
        state = .allocate(capacity: 1)
        state.initialize(to: State(position: position))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// The name of this tailer's cursor, if it has one.
    public var cursorName: String? { cursor?.name }

    /// The next record, waiting up to `timeout` for one (nil: wait as long as it takes; `.zero`: do
    /// not wait). Returns nil when the time passed without a new record.
    ///
    /// Cost: a record is a CRC32C pass and a copy of its payload (``withNext(timeout:_:)`` reads
    /// it in place instead); waiting is a futex sleep (woken by the publishing producer), checked
    /// again at least every 100 ms. With `timeout: .zero` the clock is not read (except every
    /// 64th look at a slot that a producer is still writing, to pad it over after `padTimeout`).
    /// - Throws: `.damagedRecord` naming the segment and offset (unless ``skipDamagedRecords`` can
    ///   skip it), `.stalled` in a read-only journal at a slot whose producer died, system errors
    ///   from opening a segment.
    public func next(timeout: Duration? = nil) throws(JournalError) -> JournalRecord? {
        guard let view = try nextView(timeout: timeout) else { return nil }
        beginReading()
        let copy = view.copy()
        try endReading(view)
        moveOn(past: view)
        return copy
    }

    /// Calls `body` with the next record in place, without copying its payload, waiting up to
    /// `timeout` for one (nil: as long as it takes; `.zero`: not at all). Returns what `body`
    /// returned, or nil when the time passed without a new record (`body` is then not called).
    ///
    /// The record's ``JournalRecordView/payload`` points into the mapped segment: it is valid only
    /// inside `body` (copy what must outlive it). The checksum was verified before `body` runs.
    /// When `body` throws, the tailer does not move on: the next call returns the same record.
    /// If another process cuts the segment file short while `body` reads the payload, the read
    /// sees zeros instead of killing the process (SIGBUS), and this throws `.damagedRecord`
    /// (whatever `body` returned is discarded).
    /// Cost: as ``next(timeout:)`` without the copy (and without an allocation).
    /// - Throws: what ``next(timeout:)`` throws, or what `body` throws.
    @inlinable
    public func withNext<R>(timeout: Duration? = nil, _ body: (JournalRecordView) throws -> R) throws -> R? {
        guard let view = try nextView(timeout: timeout) else { return nil }
        let result: Result<R, any Error>
        beginReading()
        do { result = .success(try body(view)) } catch { result = .failure(error) }
        try endReading(view)
        let value = try result.get()
        moveOn(past: view)
        return value
    }

    /// Starts watching the current segment's mapping for SIGBUS while a payload is read in place.
    @usableFromInline
    func beginReading() {
        let current = state.pointee.segmentRef
        state.pointee.reading = current
        current?._withUnsafeGuaranteedRef { $0.file.beginFaultGuard() }
    }

    /// Stops watching (see ``beginReading()``); throws `.damagedRecord` when the file was cut short
    /// under the read of `record`.
    @usableFromInline
    func endReading(_ record: JournalRecordView) throws(JournalError) {
        guard let reading = state.pointee.reading else { return }
        state.pointee.reading = nil
        guard let faulted = reading._withUnsafeGuaranteedRef({ $0.file.endFaultGuard() }) else { return }
        let segment = reading.takeUnretainedValue()
        let text: String
        if case .damaged(let description, _) = segment.truncated(at: faulted) { text = description } else { text = "page fault" }
        throw JournalError(operation: "read", path: segment.path, offset: record.position.offset, reason: .damagedRecord(text))
    }

    /// The next record in place (the tailer keeps its segment mapped while its position is in it),
    /// without moving past it; see ``withNext(timeout:_:)``.
    @usableFromInline
    func nextView(timeout: Duration?) throws(JournalError) -> JournalRecordView? {
        let limit: Int64? = switch timeout {
        case nil: nil
        case .zero?: 0
        case let timeout?: nanoseconds(timeout)
        }
        if let record = readyRecord() { return JournalRecordView(record) }
        guard let record = try advance(timeout: limit) else { return nil }
        return JournalRecordView(record)
    }

    /// The common case without reference counting: a complete record at `position` in the segment
    /// already open. Nil for anything else (``advance(timeout:)`` then looks again and decides).
    @inline(__always)
    private func readyRecord() -> RecordFrame? {
        guard let ref = state.pointee.segmentRef else { return nil }
        let position = state.pointee.position
        return ref._withUnsafeGuaranteedRef { segment -> RecordFrame? in
            guard segment.number == position.segment, let record = segment.publishedRecord(at: position.offset) else { return nil }
            if state.pointee.stuck != nil { state.pointee.stuck = nil }
            return record
        }
    }

    /// Makes `record` (just returned by ``nextView(timeout:)``) the last one read.
    @usableFromInline
    func moveOn(past record: JournalRecordView) {
        position = record.nextPosition
        lastIndex = record.index
    }

    /// Finds the next record from ``position`` (stepping over padding, ends of segments, damage it
    /// may skip, and padding over dead producers), waiting up to `timeout`. Does not move past the
    /// record itself (see ``moveOn(past:)``); nil when the time passed. Times are nanoseconds of
    /// `CLOCK_MONOTONIC` (not `ContinuousClock.Instant`, whose resilient layout costs more than the
    /// rest of a read).
    private func advance(timeout: Int64?) throws(JournalError) -> RecordFrame? {
        let noWait = timeout == 0
        // The deadline is computed at the first wait: a record found at once costs no clock read.
        var deadline: Int64?
        func resolvedDeadline() -> Int64? {
            if deadline == nil, let timeout { deadline = monotonicNanoseconds().addingSaturating(timeout) }
            return deadline
        }
        let padTimeout = journal.padTimeoutNanoseconds
        // Before sleeping, poll the commit word for a moment (once per call): an active producer
        // publishes within microseconds, and a futex sleep and wake cost more than that.
        var spinUntil: Int64?
        func spin(_ segment: Segment, at offset: Int, while word: UInt64) -> Bool {
            let budget = journal.spinNanoseconds
            guard budget > 0 else { return false }
            let until = spinUntil ?? monotonicNanoseconds().addingSaturating(budget)
            spinUntil = until
            return segment.spin(at: offset, while: word, until: until)
        }
        while true {
            guard let segment = try currentSegment() else {
                // The segment does not exist yet (the journal is empty or a producer is creating it).
                if noWait || !pause(until: resolvedDeadline(), on: nil, inFlight: false) { return nil }
                continue
            }
            if position.offset < segment.dataStart { position.offset = segment.dataStart }
            let offset = position.offset
            // A reader polling with `timeout: .zero` at a commit word of 0 has nothing to return:
            // it looks at the tail word (space claimed or not) and at the clock only every 64th poll,
            // which keeps it off the cache line that producers change on every claim.
            var counted = false
            if noWait, offset < segment.dataEnd, segment.isPlausibleBoundary(offset), segment.guarded({ segment.commit(at: offset).load(ordering: .acquiring) }) == 0 {
                var seen = stuck.flatMap { $0.position == position ? $0 : nil } ?? Stuck(position: position, since: nil, polls: 0)
                seen.polls += 1
                stuck = seen
                if seen.polls % Self.pollsPerClockRead != 1 { return nil }
                counted = true
            }
            switch segment.frame(at: offset) {
            case .record(let record):
                if stuck != nil { stuck = nil }
                return record
            case .padding(let next):
                position.offset = next
                if stuck != nil { stuck = nil }
            case .end:
                stuck = nil
                if let following = try followingSegment(after: segment.number) {
                    position = JournalPosition(segment: following, offset: 0)
                    self.segment = nil
                } else if noWait || !pause(until: resolvedDeadline(), on: nil, inFlight: false) {
                    return nil
                }
            case .unclaimed:
                // Nothing in flight: no pad clock (the poll count goes on).
                if stuck?.since != nil { stuck?.since = nil }
                if noWait { return nil }
                if spin(segment, at: offset, while: 0) { continue }
                if !pause(until: resolvedDeadline(), on: segment, inFlight: false) { return nil }
            case .inFlight(let length):
                var seen = stuck.flatMap { $0.position == position ? $0 : nil } ?? Stuck(position: position, since: nil, polls: 0)
                if !counted {
                    seen.polls += 1
                    // A polling reader looks at the clock only now and then: the pad timeout is seconds.
                    if noWait && seen.polls % Self.pollsPerClockRead != 1 {
                        stuck = seen
                        return nil
                    }
                }
                let now = monotonicNanoseconds()
                let since = seen.since ?? now
                seen.since = since
                stuck = seen
                if now - since >= padTimeout {
                    guard segment.writable else {
                        throw JournalError(operation: "read", path: segment.path, offset: offset, reason: .stalled)
                    }
                    let padded = length.map { segment.padClaimed(at: offset, length: $0) } ?? segment.padUnwritten(from: offset)
                    if padded { paddedOver += 1 }
                    stuck = nil
                    continue
                }
                if noWait { return nil }
                if spin(segment, at: offset, while: length.map { RecordFormat.word(.claimed, length: $0) } ?? 0) { continue }
                let padAt = since.addingSaturating(padTimeout)
                let limit = resolvedDeadline()
                if !pause(until: limit.map { min($0, padAt) } ?? padAt, on: segment, inFlight: true), let limit, limit <= padAt {
                    return nil
                }
            case .damaged(let text, let next):
                let error = JournalError(operation: "read", path: segment.path, offset: offset, reason: .damagedRecord(text))
                guard skipDamagedRecords, let resume = next ?? resynchronize(segment, after: offset) else { throw error }
                damagedSkipped += 1
                position.offset = resume
            }
        }
    }

    /// Records the current position (after the last record returned) in the cursor, with
    /// `state` (application bytes, at most 448) committed atomically with it.
    ///
    /// Guarantee: after a crash of this process, a tailer opened with this cursor name continues
    /// right after the last record returned before this call, and sees `state` as
    /// ``committedState``. With `durable` (default) it also survives power loss: the cursor slot is
    /// flushed (`msync`), about one disk write; without it, the commit costs a few stores.
    /// Records returned after the last commit are returned again after a restart (at-least-once
    /// processing), so commit after the effects of a record are done, or keep them in `state`.
    /// - Throws: `.invalidArgument` without a cursor or with too much state; flush failures.
    public func commit(state: [UInt8] = [], durable: Bool = true) throws(JournalError) {
        guard let cursor else {
            throw JournalError(operation: "commit", path: journal.directory, reason: .invalidArgument("this tailer has no cursor; make it with journal.tailer(cursor:)."))
        }
        try cursor.store(position: position, lastIndex: lastIndex, state: state, durable: durable)
        committedState = state
    }

    // MARK: Moving

    private func currentSegment() throws(JournalError) -> Segment? {
        if let segment, segment.number == position.segment { return segment }
        let opened: Segment?
        do {
            opened = try journal.segment(position.segment)
        } catch where error.isDamage && skipDamagedRecords {
            // A segment whose header is damaged: its end is a provable boundary, the next segment.
            guard let following = try followingSegment(after: position.segment) else { throw error }
            damagedSkipped += 1
            position = JournalPosition(segment: following, offset: 0)
            return try currentSegment()
        }
        if let found = opened {
            segment = found
            return found
        }
        // Retired (or never existed): continue at the oldest segment after it, if any.
        if let later = try journal.segmentNumbers().first(where: { $0 > position.segment }) {
            position = JournalPosition(segment: later, offset: 0)
            segment = try journal.segment(later)
            return segment
        }
        return nil
    }

    /// The segment after `number`: the next number, or the oldest later one (after retention).
    private func followingSegment(after number: UInt32) throws(JournalError) -> UInt32? {
        do {
            if try journal.segment(number &+ 1) != nil { return number &+ 1 }
        } catch where error.isDamage {
            return number &+ 1  // it exists; reading it reports (or skips) the damage
        }
        return try journal.segmentNumbers().first(where: { $0 > number })
    }

    /// A provable record boundary after a damaged frame at `offset`: the first index entry past it
    /// whose frame is intact.
    private func resynchronize(_ segment: Segment, after offset: Int) -> Int? {
        for entry in 0..<segment.indexEntries {
            guard let candidate = segment.indexEntry(entry), candidate > offset else { continue }
            return candidate
        }
        return nil
    }

    /// Sleeps until something may have changed (a publish in `segment`, or 100 ms), but not past
    /// `deadline`. `inFlight` says what the caller saw: claimed space (true) or unclaimed space.
    /// Returns false when the deadline has passed.
    private func pause(until deadline: Int64?, on segment: Segment?, inFlight: Bool) -> Bool {
        let now = monotonicNanoseconds()
        if let deadline, now >= deadline { return false }
        var slice = Duration.milliseconds(100)
        if let deadline, deadline - now < 100_000_000 { slice = .nanoseconds(deadline - now) }
        guard let segment, segment.writable else {
            // No segment yet, or a read-only mapping (it cannot register as a waiter): poll.
            FileLockSleep.sleep(min(slice, .milliseconds(2)))
            return true
        }
        // Register as a waiter before looking again: a producer that publishes after this look sees
        // the waiter and wakes us, and the futex returns at once if notify has moved since `observed`.
        // (All of it guarded: a file cut short under the mapping makes us look again, and the frame
        // read reports it.)
        let offset = position.offset
        let observed = segment.guarded { () -> UInt32? in
            let observed = segment.announceSleep()
            let word = segment.commit(at: offset).load(ordering: .sequentiallyConsistent)
            let waitFor: Bool
            if word != 0 {
                // Published, padded or ended since: look again. Claimed: wait, unless we saw it unclaimed.
                waitFor = RecordFormat.decode(word)?.state == .claimed && inFlight
            } else {
                waitFor = inFlight || offset >= segment.tailState.offset  // else claimed since: start the pad clock
            }
            if !waitFor { segment.withdrawSleep() }
            return waitFor ? observed : nil
        }
        guard let outcome = observed else {
            // Cut short: undo the registration if it reached the file (a lost one is lost both ways).
            _ = segment.guarded { segment.withdrawSleep() }
            return true
        }
        guard let observed = outcome else { return true }
        segment.waitForPublish(observed: observed, timeout: slice)
        _ = segment.guarded { segment.withdrawSleep() }
        return true
    }

}

extension Journal {
    /// A tailer starting at `start`.
    ///
    /// Cost: `.start` and `.end` are immediate; `.index` reads the segment's index and at most
    /// `indexStride` records; `.time` adds a binary search over the segments and their indexes.
    /// - Throws: system errors opening segments.
    public func tailer(from start: TailerStart = .start) throws(JournalError) -> Tailer {
        Tailer(journal: self, position: try position(of: start), cursor: nil)
    }

    /// A tailer for the named durable cursor: it continues after the cursor's last commit, or at
    /// `ifNew` when the cursor was never committed. One tailer per name at a time (an OFD lock on
    /// the cursor file, released when the tailer or its process ends).
    ///
    /// - Throws: `.cursorInUse` when another tailer holds the name; `.invalidArgument` for a bad
    ///   name; `.readOnly` in a read-only journal.
    public func tailer(cursor name: String, ifNew: TailerStart = .start) throws(JournalError) -> Tailer {
        try requireWritable("open cursor")
        let file = try CursorFile(journal: directory, name: name, writable: true, exclusive: true, system: system)
        if let saved = file.load() {
            // Resume by index, not by byte offset: after a power loss that took records the cursor had
            // seen, the offset may no longer be a record boundary, while "the first record after the
            // last one committed" is always well defined.
            let position = try saved.lastIndex.map { last throws(JournalError) in try self.position(of: .index(JournalIndex(rawValue: last.rawValue &+ 1))) } ?? saved.position
            let tailer = Tailer(journal: self, position: position, cursor: file)
            tailer.restore(lastIndex: saved.lastIndex, state: saved.state)
            return tailer
        }
        return Tailer(journal: self, position: try position(of: ifNew), cursor: file)
    }

    /// The record boundary where a tailer starting at `start` begins.
    func position(of start: TailerStart) throws(JournalError) -> JournalPosition {
        let numbers = try segmentNumbers()
        guard let first = numbers.first, let last = numbers.last else { return JournalPosition(segment: 0, offset: 0) }
        switch start {
        case .start:
            return JournalPosition(segment: first, offset: 0)
        case .position(let position):
            return position
        case .end:
            guard let segment = try activeSegment() else { return JournalPosition(segment: last, offset: 0) }
            let tail = segment.tailState.offset
            if segment.isFull || tail >= segment.dataEnd { return JournalPosition(segment: segment.number &+ 1, offset: 0) }
            return JournalPosition(segment: segment.number, offset: max(tail, segment.dataStart))
        case .index(let index):
            if index.segment < first { return JournalPosition(segment: first, offset: 0) }
            guard numbers.contains(index.segment), let segment = try segment(index.segment) else {
                return JournalPosition(segment: numbers.first(where: { $0 > index.segment }) ?? last &+ 1, offset: 0)
            }
            return seekIndexed(segment, numbers: numbers, claim: index.claim) { $0.index >= index }
        case .time(let time):
            // Binary search for the last segment whose first record is older than `time`: the first
            // record at or after `time` is in it (or at the start of the next one).
            var low = 0
            var high = numbers.count - 1
            var chosen = 0
            while low <= high {
                let middle = (low + high) / 2
                if let stamp = try firstTimestamp(numbers[middle]), stamp < time {
                    chosen = middle
                    low = middle + 1
                } else {
                    high = middle - 1
                }
            }
            guard let segment = try segment(numbers[chosen]) else { return JournalPosition(segment: numbers[chosen], offset: 0) }
            return seekTime(time, in: segment, numbers: numbers)
        }
    }

    /// The timestamp of segment `number`'s first record (nil: none yet, or unreadable).
    func firstTimestamp(_ number: UInt32) throws(JournalError) -> Int64? {
        guard let segment = try? segment(number) else { return nil }
        var offset = segment.dataStart
        for _ in 0..<64 {
            switch segment.frame(at: offset) {
            case .record(let record): return record.timestamp
            case .padding(let next): offset = next
            default: return nil
            }
        }
        return nil
    }

    /// The first boundary in `segment` (from the index on) whose record satisfies `isTarget`, or
    /// where the scan has to stop (a slot in flight, the tail, the end: the target is there or later).
    private func seek(in segment: Segment, from start: Int? = nil, numbers: [UInt32], _ isTarget: (RecordFrame) -> Bool) -> JournalPosition {
        var offset = start ?? segment.dataStart
        while true {
            switch segment.frame(at: offset) {
            case .record(let record):
                if isTarget(record) { return record.position }
                offset = record.nextPosition.offset
            case .padding(let next):
                offset = next
            case .end:
                return JournalPosition(segment: numbers.first(where: { $0 > segment.number }) ?? segment.number &+ 1, offset: 0)
            case .damaged(_, let next):
                guard let next else { return JournalPosition(segment: segment.number, offset: offset) }
                offset = next
            case .unclaimed, .inFlight:
                return JournalPosition(segment: segment.number, offset: offset)
            }
        }
    }

    private func seekIndexed(_ segment: Segment, numbers: [UInt32], claim: UInt32, _ isTarget: (RecordFrame) -> Bool) -> JournalPosition {
        seek(in: segment, from: segment.boundary(before: claim), numbers: numbers, isTarget)
    }

    private func seekTime(_ time: Int64, in segment: Segment, numbers: [UInt32]) -> JournalPosition {
        // Binary search over the index entries for the last indexed record older than `time`.
        var low = 0
        var high = segment.indexEntries - 1
        var start = segment.dataStart
        while low <= high {
            let middle = (low + high) / 2
            guard let offset = segment.indexEntry(middle), case .record(let record) = segment.frame(at: offset) else {
                high = middle - 1
                continue
            }
            if record.timestamp < time {
                start = offset
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return seek(in: segment, from: start, numbers: numbers) { $0.timestamp >= time }
    }
}

extension Tailer {
    func restore(lastIndex: JournalIndex?, state: [UInt8]) {
        self.lastIndex = lastIndex
        self.committedState = state
    }
}
