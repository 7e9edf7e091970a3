import Foundation
import MappedStore

/// One page of a listing and where the next one starts.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass this to get the next page; nil on the last page.
    public var next: String?
}

extension MemoryStore {
    /// The memories of `namespace` in time order, a page at a time.
    ///
    /// Cost: a range scan of the timeline tree (a merge across namespaces with `includingChildren`).
    /// - Parameters:
    ///   - includingChildren: also the namespaces below `namespace` (`user/alice` gives `user/alice/session/1`…).
    ///   - after: the `next` of the previous page.
    ///   - limit: 1 to 1,000 memories per page.
    ///   - newestFirst: newest memory first.
    public func timeline(namespace: String, includingChildren: Bool = false, after: String? = nil, limit: Int = 50, newestFirst: Bool = false) throws -> Page<Memory> {
        try StoreLayout.validate(namespace: namespace)
        guard (1...1000).contains(limit) else { throw MemoryError.invalidField("limit \(limit) is outside 1 to 1000.") }
        let cursor = try after.map { try MemoryID($0) }
        return try reading { tx, _ in
            try timeline(namespace: namespace, includingChildren: includingChildren, after: cursor, limit: limit, newestFirst: newestFirst, in: tx)
        }
    }

    func timeline(namespace: String, includingChildren: Bool, after cursor: MemoryID?, limit: Int, newestFirst: Bool, in tx: ReadTransaction) throws -> Page<Memory> {
        let namespaces = includingChildren ? try self.namespaces(under: namespace, in: tx) : [namespace]
        var merged: [MemoryID] = []
        for name in namespaces {
            let prefix = StoreLayout.timelinePrefix(name)
            var taken = 0
            let bound = cursor.map { prefix + $0.bytes }
            try tx.scan(in: StoreLayout.timeline, from: newestFirst ? nil : bound, to: newestFirst ? bound : nil, prefix: prefix, reverse: newestFirst) { key, _ in
                let id = MemoryID(unchecked: Array(key[(key.count - 16)...]))
                if let cursor, id == cursor { return true }
                merged.append(id)
                taken += 1
                return taken <= limit
            }
        }
        merged.sort()
        if newestFirst { merged.reverse() }
        let page = merged.prefix(limit + 1)
        var items: [Memory] = []
        for id in page.prefix(limit) {
            if let stored = try load(id, in: tx) { items.append(stored.memory) }
        }
        return Page(items: items, next: page.count > limit ? items.last?.id.description : nil)
    }

    /// A memory by id, or nil.
    public func get(_ id: MemoryID) throws -> Memory? {
        try reading { tx, _ in try load(id, in: tx)?.memory }
    }

    /// The namespaces (all, or those under `prefix`) with how many memories each holds, a page at a time.
    public func namespaces(under prefix: String? = nil, after: String? = nil, limit: Int = 1000) throws -> Page<NamespaceCount> {
        if let prefix { try StoreLayout.validate(namespace: prefix) }
        return try reading { tx, _ in
            var counts = try namespaceCounts(under: prefix, in: tx)
            if let after { counts = counts.filter { $0.namespace > after } }
            let page = counts.prefix(limit).map { NamespaceCount(namespace: $0.namespace, count: $0.count) }
            return Page(items: page, next: counts.count > limit ? page.last?.namespace : nil)
        }
    }
}

/// A namespace and how many memories it holds.
public struct NamespaceCount: Sendable, Hashable {
    public var namespace: String
    public var count: Int
}
