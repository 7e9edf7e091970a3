import Foundation
import MappedStore

extension MemoryStore {
    /// The agent-state value of `key` in `namespace`, or nil.
    public func state(_ key: String, in namespace: String) throws -> JSONValue? {
        try Self.validate(stateKey: key, namespace: namespace)
        return try reading { tx, _ in
            try tx.get(StoreLayout.stateKey(namespace, key), in: StoreLayout.state).map { try JSONValue(parsing: $0) }
        }
    }

    /// Sets an agent-state value (durable when this returns).
    public func setState(_ value: JSONValue, for key: String, in namespace: String) throws {
        try Self.validate(stateKey: key, namespace: namespace)
        let text = Array(value.jsonText.utf8)
        guard text.count <= 16 << 20 else { throw MemoryError.invalidField("the state value is larger than 16 MiB.") }
        try writing { writer in try writer.tx.put(StoreLayout.stateKey(namespace, key), text, in: StoreLayout.state) }
    }

    /// Reads, changes and writes a state value in one transaction (no other writer in between):
    /// `transform` gets the current value (nil when unset) and returns the new one (nil deletes).
    @discardableResult
    public func updateState(_ key: String, in namespace: String, _ transform: (JSONValue?) throws -> JSONValue?) throws -> JSONValue? {
        try Self.validate(stateKey: key, namespace: namespace)
        return try writing { writer in
            let stateKey = StoreLayout.stateKey(namespace, key)
            let current = try writer.tx.get(stateKey, in: StoreLayout.state).map { try JSONValue(parsing: $0) }
            let next = try transform(current)
            if let next { try writer.tx.put(stateKey, Array(next.jsonText.utf8), in: StoreLayout.state) }
            else { _ = try writer.tx.delete(stateKey, in: StoreLayout.state) }
            return next
        }
    }

    /// Deletes a state value; returns whether it existed.
    @discardableResult
    public func deleteState(_ key: String, in namespace: String) throws -> Bool {
        try Self.validate(stateKey: key, namespace: namespace)
        return try writing { writer in try writer.tx.delete(StoreLayout.stateKey(namespace, key), in: StoreLayout.state) }
    }

    /// The state keys and values of `namespace` in key order, a page at a time.
    public func stateEntries(in namespace: String, after: String? = nil, limit: Int = 100) throws -> Page<StateEntry> {
        try StoreLayout.validate(namespace: namespace)
        guard (1...1000).contains(limit) else { throw MemoryError.invalidField("limit \(limit) is outside 1 to 1000.") }
        return try reading { tx, _ in try stateEntries(in: namespace, after: after, limit: limit, tx: tx) }
    }

    func stateEntries(in namespace: String, after: String?, limit: Int, tx: ReadTransaction) throws -> Page<StateEntry> {
        let prefix = StoreLayout.timelinePrefix(namespace)
        var entries: [StateEntry] = []
        var more = false
        try tx.scan(in: StoreLayout.state, from: after.map { StoreLayout.stateKey(namespace, $0) + [0] }, prefix: prefix) { key, value in
            guard entries.count < limit else { more = true; return false }
            entries.append(StateEntry(key: String(decoding: key[prefix.count...], as: UTF8.self), value: try JSONValue(parsing: value)))
            return true
        }
        return Page(items: entries, next: more ? entries.last?.key : nil)
    }

    static func validate(stateKey key: String, namespace: String) throws {
        try StoreLayout.validate(namespace: namespace)
        guard !key.isEmpty, key.utf8.count <= 256 else { throw MemoryError.invalidField("a state key is 1 to 256 bytes; '\(key.prefix(40))' is not.") }
    }
}

/// One agent-state value.
public struct StateEntry: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
}
