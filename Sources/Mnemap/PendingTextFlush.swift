import Foundation
import MappedStore

/// Writes the text index's pending documents into its postings on a background thread, soon
/// after single adds have left ``threshold`` of them waiting, so that the add which would make
/// ``TextIndex/pendingLimit`` pending (and write them all itself, the slowest add of a series)
/// is rarely reached.
///
/// An agent adds a memory, then thinks or talks for a while: the flush runs in that pause, in
/// its own write transaction, and the next add finds few pending documents. Back-to-back adds
/// still meet it: the next add waits for the writer lock while the flush commits.
///
/// Nothing depends on the flush: pending documents are searched exactly like postings, and a
/// failed or skipped flush (writer busy for a second, process exiting) only leaves them for the
/// next add that fills the pending list. One flush is queued at a time per store handle.
final class PendingTextFlush: @unchecked Sendable {
    /// Pending documents from which a flush is started.
    static let threshold = 32
    private let queue = DispatchQueue(label: "Mnemap.PendingTextFlush", qos: .utility)
    private let lock = NSLock()
    private var queued = false
    private var committed = 0
    /// Flushes that committed (for tests).
    var flushes: Int {
        lock.lock()
        defer { lock.unlock() }
        return committed
    }

    /// Queues a flush of `store`'s pending documents unless one is queued already; it runs
    /// only when at least ``threshold`` are pending by then.
    func schedule(_ store: MappedStore) {
        lock.lock()
        defer { lock.unlock() }
        guard !queued else { return }
        queued = true
        queue.async { [weak store, self] in
            self.lock.lock()
            self.queued = false
            self.lock.unlock()
            guard let store else { return }
            if (try? self.flush(store)) == true {
                self.lock.lock()
                self.committed += 1
                self.lock.unlock()
            }
        }
    }

    /// Waits until the queued flush (if any) is done.
    func wait() {
        queue.sync {}
    }

    private func flush(_ store: MappedStore) throws -> Bool {
        guard try store.read({ tx in try TextIndex.pendingCount(in: tx) }) >= Self.threshold else { return false }
        return try store.write(timeout: .seconds(1)) { tx in
            guard try TextIndex.pendingCount(in: tx) >= Self.threshold else { return false }
            try TextIndex.flushPending(in: tx)
            return true
        }
    }
}
