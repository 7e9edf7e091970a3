import MappedStore

/// The memories of the namespaces under a filter's prefix, as one search needs them: how many
/// there are (from the `namespaces` tree), and, read from their timelines once however many
/// parts of the search ask, their vector slots and text document numbers.
final class NamespaceTimeline {
    /// Each namespace under the prefix and its count of memories.
    let counts: [(namespace: String, count: Int)]
    /// The memories in them.
    let total: Int
    private let tx: ReadTransaction
    private var read: Entries?

    /// What the timeline entries hold.
    struct Entries {
        var slots: [UInt32] = []
        /// The text document numbers of the entries that hold one.
        var textNumbers: [UInt32] = []
        /// The ids (16 bytes each, back to back) of entries written before the number was kept.
        var unnumberedIDs: [UInt8] = []
    }

    init(prefix: String, store: MemoryStore, tx: ReadTransaction) throws {
        counts = try store.namespaceCounts(under: prefix, in: tx)
        total = counts.reduce(0) { $0 + $1.count }
        self.tx = tx
    }

    /// The entries of every namespace (one scan of their timelines, on first use).
    func entries() throws -> Entries {
        if let read { return read }
        var entries = Entries()
        entries.slots.reserveCapacity(total)
        entries.textNumbers.reserveCapacity(total)
        for (namespace, _) in counts {
            let prefix = StoreLayout.timelinePrefix(namespace)
            try tx.scan(in: StoreLayout.timeline, prefix: prefix) { key, value in
                if let slot = StoreLayout.timelineSlot(value) { entries.slots.append(slot) }
                if let number = StoreLayout.timelineTextNumber(value) {
                    entries.textNumbers.append(number)
                } else if key.count == prefix.count + 16 {
                    entries.unnumberedIDs.append(contentsOf: key[prefix.count...])
                }
                return true
            }
        }
        read = entries
        return entries
    }
}
