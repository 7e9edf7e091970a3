import Foundation

/// Group commit for single adds: threads of one process that call ``MemoryStore/add(_:options:)``
/// at the same time share write transactions, so N concurrent adds cost about one commit's
/// syncs instead of N.
///
/// A caller queues its memory (validated and embedded already) and, when no other caller is
/// committing, becomes the leader: it takes every queued memory with the same options, adds
/// them in one transaction (as ``MemoryStore/add(contentsOf:options:)``, whose duplicate checks
/// see earlier memories of the same batch as sequential adds would), hands each caller its
/// result, and repeats until the queue is empty. A lone caller commits alone, as before.
/// Callers whose options look for near-duplicates are never grouped: the index search that
/// finds them would not see the other memories of the group.
///
/// When the transaction fails, every memory of the group fails with its error (nothing of
/// the group is added); their inputs were checked before queueing, so such errors are the
/// engines' (a full disk, the writer timeout), which any of them would have met alone.
final class GroupCommit: @unchecked Sendable {
    private final class Entry {
        let memory: NewMemory
        let vector: [Float]
        let options: AddOptions
        var result: Result<AddResult, any Error>?

        init(memory: NewMemory, vector: [Float], options: AddOptions) {
            self.memory = memory
            self.vector = vector
            self.options = options
        }
    }

    private let condition = NSCondition()
    private var queue: [Entry] = []
    private var committing = false
    /// Transactions run and memories they added (for tests and stats).
    private(set) var transactions = 0
    private(set) var grouped = 0
    /// The most memories one transaction takes.
    static let maxGroup = 256

    /// Adds `memory` (with its `vector`) through `commit`, which runs one transaction for a group.
    func add(_ memory: NewMemory, vector: [Float], options: AddOptions, commit: ([NewMemory], [[Float]], AddOptions) throws -> [AddResult]) throws -> AddResult {
        let entry = Entry(memory: memory, vector: vector, options: options)
        condition.lock()
        queue.append(entry)
        while entry.result == nil && committing { condition.wait() }
        if let result = entry.result {
            condition.unlock()
            return try result.get()
        }
        // The leader: commit groups until the queue is empty (this caller's entry goes in the first).
        committing = true
        while !queue.isEmpty {
            let options = queue[0].options
            var group: [Entry] = []
            var rest: [Entry] = []
            for queued in queue {
                if group.count < Self.maxGroup && queued.options.groupsWith(options) && (group.isEmpty || options.nearDuplicates == .add) {
                    group.append(queued)
                } else {
                    rest.append(queued)
                }
            }
            queue = rest
            condition.unlock()
            let results: Result<[AddResult], any Error> = Result { try commit(group.map(\.memory), group.map(\.vector), options) }
            condition.lock()
            transactions += 1
            grouped += group.count
            switch results {
            case .success(let added):
                for (queued, result) in zip(group, added) { queued.result = .success(result) }
            case .failure(let error):
                for queued in group { queued.result = .failure(error) }
            }
            condition.broadcast()
        }
        committing = false
        condition.broadcast()
        condition.unlock()
        return try entry.result!.get()
    }
}

extension AddOptions {
    /// Whether adds with these options can share a transaction with adds with `other`.
    func groupsWith(_ other: AddOptions) -> Bool {
        exactDuplicates == other.exactDuplicates && nearDuplicates == other.nearDuplicates && nearDuplicateThreshold == other.nearDuplicateThreshold
    }
}
