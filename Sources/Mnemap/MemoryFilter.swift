import Foundation

/// Which memories a search or listing keeps: every condition that is set must hold; nil
/// conditions are not checked, so `MemoryFilter()` keeps every memory.
///
/// Cost of ``matches(_:)``: constant for everything but the namespace (linear in the prefix) and
/// the metadata expression (see ``MetadataExpression/matches(_:)``).
public struct MemoryFilter: Sendable, Hashable {
    /// The namespace and everything below it, by whole path segments: `user/alice` keeps
    /// `user/alice` and `user/alice/session/1`, not `user/alicea`. See
    /// ``namespace(_:matchesPrefix:)``.
    public var namespacePrefix: String?
    /// The kinds kept; an empty set keeps nothing.
    public var kinds: Set<MemoryKind>?
    /// Keeps memories created at or after this time (inclusive).
    public var createdAfter: Date?
    /// Keeps memories created before this time (exclusive).
    public var createdBefore: Date?
    /// Keeps memories that hold at this time (``Memory/isValid(at:)``: `validFrom` inclusive,
    /// `validUntil` exclusive, nil bounds open).
    public var validAt: Date?
    /// A condition on the memory's metadata.
    public var metadata: MetadataExpression?

    public init(
        namespacePrefix: String? = nil, kinds: Set<MemoryKind>? = nil, createdAfter: Date? = nil,
        createdBefore: Date? = nil, validAt: Date? = nil, metadata: MetadataExpression? = nil
    ) {
        self.namespacePrefix = namespacePrefix
        self.kinds = kinds
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.validAt = validAt
        self.metadata = metadata
    }

    /// Whether `memory` satisfies every condition that is set.
    public func matches(_ memory: Memory) -> Bool {
        if let kinds, !kinds.contains(memory.kind) { return false }
        if let createdAfter, memory.createdAt < createdAfter { return false }
        if let createdBefore, memory.createdAt >= createdBefore { return false }
        if let validAt, !memory.isValid(at: validAt) { return false }
        if let namespacePrefix, !Self.namespace(memory.namespace, matchesPrefix: namespacePrefix) { return false }
        if let metadata, !metadata.matches(memory.metadata) { return false }
        return true
    }

    /// Whether `namespace` is `prefix` or lies below it: equal, or continuing with `/` right after
    /// the prefix. Trailing slashes of the prefix are ignored (`user/alice/` is `user/alice`), and an
    /// empty prefix (or `/`) matches every namespace. Compared byte for byte in UTF-8, with no
    /// Unicode normalization, as the store orders namespaces.
    public static func namespace(_ namespace: String, matchesPrefix prefix: String) -> Bool {
        var prefixBytes = Substring(prefix).utf8
        while prefixBytes.last == UInt8(ascii: "/") { prefixBytes = prefixBytes.dropLast() }
        let bytes = namespace.utf8
        guard bytes.starts(with: prefixBytes) else { return false }
        if prefixBytes.isEmpty { return true }
        let rest = bytes.dropFirst(prefixBytes.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }
}

// MARK: - JSON form

extension MemoryFilter {
    /// The keys ``init(json:)`` accepts.
    public static let jsonKeys = ["namespace", "kind", "createdAfter", "createdBefore", "validAt", "where"]

    /// Parses a filter object; every key is optional and `null` means not set:
    /// - `namespace`: a namespace prefix (string), see ``namespacePrefix``.
    /// - `kind`: a kind (`"episodic"`, `"semantic"`, `"procedural"`) or an array of them.
    /// - `createdAfter`, `createdBefore`, `validAt`: an ISO-8601 time with a time zone, with or
    ///   without fractional seconds (`2025-05-01T12:00:00Z`, `2025-05-01T14:00:00.250+02:00`), a
    ///   date (`2025-05-01`, midnight UTC), or a number of seconds since 1970 (Unix time).
    /// - `where`: a metadata expression, in the JSON form of ``MetadataExpression/init(json:)`` or
    ///   as a string in the text form of ``MetadataExpression/init(parsing:)``.
    ///
    /// Example: `{"namespace": "user/alice", "kind": ["semantic"], "where": {"topic": "tea"}}`.
    /// - Throws: ``MemoryError/invalidFilter(_:)`` naming the bad key and what it accepts; an
    ///   unknown key is an error listing the accepted ones.
    public init(json: JSONValue) throws {
        guard case .object(let members) = json else {
            throw MemoryError.invalidFilter("a memory filter is a JSON object such as {\"namespace\": \"user/alice\", \"where\": {\"topic\": \"tea\"}}, not \(json.kindName)")
        }
        self.init()
        for key in members.keys.sorted() {
            let value = members[key]!
            if value.isNull, Self.jsonKeys.contains(key) { continue }
            switch key {
            case "namespace":
                guard case .string(let prefix) = value else {
                    throw MemoryError.invalidFilter("'namespace' takes a namespace prefix as a string, such as \"user/alice\", not \(value.kindName)")
                }
                namespacePrefix = prefix
            case "kind":
                kinds = try Self.kinds(from: value)
            case "createdAfter": createdAfter = try Self.date(from: value, key: key)
            case "createdBefore": createdBefore = try Self.date(from: value, key: key)
            case "validAt": validAt = try Self.date(from: value, key: key)
            case "where":
                if case .string(let text) = value {
                    metadata = try MetadataExpression(parsing: text)
                } else {
                    metadata = try MetadataExpression(json: value)
                }
            default:
                throw MemoryError.invalidFilter(
                    "unknown key '\(key)'; a memory filter takes \(Self.jsonKeys.joined(separator: ", ")) (conditions on metadata go under \"where\")"
                )
            }
        }
    }

    private static func kinds(from value: JSONValue) throws -> Set<MemoryKind> {
        let allowed = MemoryKind.allCases.map(\.rawValue).joined(separator: ", ")
        func kind(_ element: JSONValue) throws -> MemoryKind {
            guard case .string(let name) = element else {
                throw MemoryError.invalidFilter("'kind' takes \(allowed) or an array of them, not \(element.kindName)")
            }
            guard let kind = MemoryKind(rawValue: name) else {
                throw MemoryError.invalidFilter("'kind' has '\(name)', which is not a kind; the kinds are \(allowed)")
            }
            return kind
        }
        if case .array(let elements) = value { return Set(try elements.map(kind)) }
        return [try kind(value)]
    }

    /// An ISO-8601 time with a zone (fractional seconds optional), a date (midnight UTC), or Unix seconds.
    static func date(from value: JSONValue, key: String) throws -> Date {
        switch value {
        case .number(let seconds):
            return Date(timeIntervalSince1970: seconds)
        case .string(let text):
            // The date-only style also reads the front of a longer text: keep it to dates alone.
            let styles = text.utf8.count == 10
                ? [Date.ISO8601FormatStyle().year().month().day()]
                : [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()]
            for style in styles {
                if let date = try? style.parse(text) { return date }
            }
            throw MemoryError.invalidFilter(
                "'\(key)' is \"\(text)\", which is not an ISO-8601 time; write a time with a zone such as 2025-05-01T12:00:00Z or 2025-05-01T14:00:00.250+02:00, a date such as 2025-05-01, or Unix seconds as a number"
            )
        default:
            throw MemoryError.invalidFilter("'\(key)' takes an ISO-8601 time as a string (2025-05-01T12:00:00Z) or Unix seconds as a number, not \(value.kindName)")
        }
    }
}
