import Dispatch
import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The segments this process has mapped, and the work done ahead of the producers: creating the
/// next segment and faulting in the pages they are about to write, on a background queue.
///
/// Owned by a `Journal`; background work holds the table (not the journal), so that releasing the
/// journal releases its lock at once.
final class SegmentTable: Sendable {
    let directory: String
    let writable: Bool
    let system: SystemCalls
    /// Whether to create segments and fault pages in ahead of the producers (`JournalOptions.prepareAhead`).
    let prepareAhead: Bool
    private let cache = Mutex<[UInt32: Segment]>([:])
    /// The highest segment number known to exist.
    let latest = Atomic<UInt32>(0)

    /// Segments whose creation was handed to the background queue and has not finished.
    private let creating = Mutex<[UInt32: DispatchGroup]>([:])
    private let queue = DispatchQueue(label: "Mnemap.MappedJournal.prepare")
    /// What the background work did, for tests and `stat`.
    let createdAhead = Atomic<Int>(0)
    let createdOnAppend = Atomic<Int>(0)
    let prefaultedBytes = Atomic<Int>(0)

    /// Pages faulted in per background request, ahead of the producers: a request is made when
    /// less than this much is prefaulted beyond the end of the last append, for this much more.
    /// At 1 GB/s of appends that leaves the queue 8 ms to start, a few scheduler time slices on
    /// a busy machine; for a slow producer it is the most zero pages that may be written back
    /// before the records that overwrite them.
    static let prefaultWindow = 8 << 20

    init(directory: String, writable: Bool, system: SystemCalls, prepareAhead: Bool) {
        self.directory = directory
        self.writable = writable
        self.system = system
        self.prepareAhead = prepareAhead && writable
    }

    func path(_ number: UInt32) -> String {
        directory + "/" + SegmentFormat.fileName(number)
    }

    /// Segment `number`, mapped once per process; nil when its file does not exist.
    func segment(_ number: UInt32) throws(JournalError) -> Segment? {
        if let cached = cache.withLock({ $0[number] }) { return cached }
        let opened: Segment
        do {
            opened = try Segment(path: path(number), number: number, writable: writable, system: system)
        } catch {
            if error.systemError?.errno == ENOENT { return nil }
            throw error
        }
        raise(latestTo: number)
        let newest = latest.load(ordering: .relaxed)
        return cache.withLock { cache in
            if let raced = cache[number] { return raced }
            cache[number] = opened
            // Keep the mappings producers need (the newest two) and a few for readers; tailers hold
            // their own reference, and a dropped mapping of a retired file frees its disk space.
            if cache.count > 6 {
                for old in cache.keys.sorted().prefix(cache.count - 6) where old + 1 < newest && old != number {
                    cache[old] = nil
                }
            }
            return opened
        }
    }

    func raise(latestTo number: UInt32) {
        var current = latest.load(ordering: .relaxed)
        while current < number {
            let (done, seen) = latest.compareExchange(expected: current, desired: number, ordering: .relaxed)
            if done { return }
            current = seen
        }
    }

    /// Forgets the mapping of segment `number` (its file was removed).
    func forget(_ number: UInt32) {
        _ = cache.withLock { $0.removeValue(forKey: number) }
    }

    // MARK: Work ahead of the producers

    /// Creates segment `previous.number + 1` (with the geometry of `previous`) in the background,
    /// unless it exists or is being created, and faults in its first pages. Returns at once.
    func prepare(after previous: Segment) {
        guard prepareAhead else { return }
        let number = previous.number &+ 1
        let group = DispatchGroup()
        let started = creating.withLock { creating -> Bool in
            if creating[number] != nil { return false }
            creating[number] = group
            return true
        }
        guard started else { return }
        group.enter()
        let (segmentSize, indexStride) = (previous.segmentSize, previous.indexStride)
        queue.async { [self] in
            defer {
                _ = creating.withLock { $0.removeValue(forKey: number) }
                group.leave()
            }
            do throws(JournalError) {
                var created = false
                if try segment(number) == nil {
                    try Segment.create(directory: directory, number: number, segmentSize: segmentSize, indexStride: indexStride, system: system)
                    created = true
                }
                guard let next = try segment(number) else { return }
                if created { createdAhead.add(1, ordering: .relaxed) }
                prefault(next, upTo: next.dataStart + 2 * Self.prefaultWindow)
            } catch {
                // The producer that ends the segment creates it itself and reports the error.
            }
        }
    }

    /// Waits (up to `timeout`) for a background creation of segment `number`, if one is running.
    func awaitCreation(of number: UInt32, timeout: Duration) {
        guard let group = creating.withLock({ $0[number] }) else { return }
        let (seconds, attoseconds) = timeout.components
        _ = group.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }

    /// Called after an append that ended at `end` in `segment`: when less than a window of pages is
    /// faulted in beyond it, asks the background queue for the next window. Cost otherwise: one
    /// relaxed load of a process-local word.
    @inline(__always)
    func prefaultAhead(of end: Int, in segment: Segment) {
        guard prepareAhead, end &+ Self.prefaultWindow > segment.prefaultRequested.load(ordering: .relaxed) else { return }
        requestPrefault(beyond: end, in: segment)
    }

    private func requestPrefault(beyond end: Int, in segment: Segment) {
        let limit = segment.dataEnd + SegmentFormat.endReserve
        var requested = segment.prefaultRequested.load(ordering: .relaxed)
        while end + Self.prefaultWindow > requested && requested < limit {
            let from = max(requested, end)
            let to = min(limit, end + 2 * Self.prefaultWindow)
            let (done, seen) = segment.prefaultRequested.compareExchange(expected: requested, desired: to, ordering: .relaxed)
            if done {
                queue.async { [self] in prefault(segment, range: from..<to) }
                return
            }
            requested = seen
        }
    }

    /// Faults in `segment`'s pages from its start up to `end` (those not requested yet), now.
    private func prefault(_ segment: Segment, upTo end: Int) {
        var requested = segment.prefaultRequested.load(ordering: .relaxed)
        while requested < end {
            let (done, seen) = segment.prefaultRequested.compareExchange(expected: requested, desired: end, ordering: .relaxed)
            if done {
                prefault(segment, range: requested..<end)
                return
            }
            requested = seen
        }
    }

    /// Faults in `range` of `segment` for writing (page cache pages allocated, zeroed, mapped
    /// writable in this process), so that appends there take no page fault. Best effort.
    private func prefault(_ segment: Segment, range: Range<Int>) {
        let range = range.clamped(to: 0..<segment.segmentSize)
        guard !range.isEmpty else { return }
        if (try? segment.file.prefault(range: range, forWriting: true)) != nil {
            prefaultedBytes.add(range.count, ordering: .relaxed)
        }
    }

    /// Waits until the background work requested so far is done (for tests).
    func drain() {
        queue.sync {}
    }
}
