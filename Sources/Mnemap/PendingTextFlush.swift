import Foundation
import MappedStore

/// Writes the text index's pending documents into its postings on a background thread when
/// single adds pause, once ``threshold`` are pending, so that the add which would make
/// ``TextIndex/pendingLimit`` pending (and write them all itself: the slowest add of a series)
/// is rarely reached.
///
/// An agent adds a memory, then thinks or talks for a while: the flush runs in that pause, in
/// its own write transaction, and the next add finds few pending documents. While adds come
/// back to back (less than ``idle`` apart) it waits, so a bulk series of single adds runs as
/// before: every 64th add writes the pending documents itself.
///
/// Nothing depends on the flush: pending documents are searched exactly like postings, and a
/// failed or skipped flush (writer busy for a second, process exiting) only leaves them for the
/// next add that fills the pending list. One flush is queued at a time per store handle.
final class PendingTextFlush: @unchecked Sendable {
    /// Pending documents from which a flush is started.
    static let threshold = 32
    /// How long no add must have started before the flush runs.
    static let idle = Duration.milliseconds(2)
    private let queue = DispatchQueue(label: "Mnemap.PendingTextFlush", qos: .utility)
    private let lock = NSLock()
    private var queued = false
    private var lastAdd = ContinuousClock.now
    private var committed = 0

    /// Flushes that committed (for tests).
    var flushes: Int {
        lock.withLock { committed }
    }

    /// Notes that an add is starting (a flush waits for a pause in adds).
    func addStarting() {
        lock.withLock { lastAdd = .now }
    }

    /// Queues a flush of `store`'s pending documents unless one is queued already; it runs at
    /// the next pause in adds, when at least ``threshold`` are pending by then.
    func schedule(_ store: MappedStore) {
        let first = lock.withLock {
            defer { queued = true }
            return !queued
        }
        guard first else { return }
        queue.async { [weak store, self] in
            // From here on an add queues another run, which looks again after this one.
            self.lock.withLock { self.queued = false }
            while true {
                guard let store else { return }
                guard (try? store.read({ tx in try TextIndex.pendingCount(in: tx) })) ?? 0 >= Self.threshold else { return }
                let sinceAdd = lock.withLock { ContinuousClock.now - lastAdd }
                if sinceAdd >= Self.idle { break }
                Thread.sleep(forTimeInterval: Double((Self.idle - sinceAdd).components.attoseconds) / 1e18 + 0.0001)
            }
            guard let store, (try? self.flush(store)) == true else { return }
            self.lock.withLock { self.committed += 1 }
        }
    }

    /// Waits until the queued flush (if any) is done.
    func wait() {
        queue.sync {}
    }

    private func flush(_ store: MappedStore) throws -> Bool {
        try store.write(timeout: .seconds(1)) { tx in
            guard try TextIndex.pendingCount(in: tx) >= Self.threshold else { return false }
            try TextIndex.flushPending(in: tx)
            return true
        }
    }
}
