import Foundation

/// What kind of memory a record is, in the usual agent-memory taxonomy.
public enum MemoryKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Something that happened: a turn of a conversation, an observation, an action.
    case episodic
    /// A fact or belief ("Alice prefers tea").
    case semantic
    /// How to do something: an instruction, a learned procedure.
    case procedural
}

/// One memory: a piece of text an agent keeps, with what it needs to be found again.
///
/// Times are `Date`s stored with millisecond precision.
public struct Memory: Sendable, Hashable {
    /// Unique and sortable by creation time (see ``MemoryID``).
    public var id: MemoryID
    /// A path such as `user/alice/session/42`; queries select namespaces by prefix.
    public var namespace: String
    public var kind: MemoryKind
    public var text: String
    /// Any JSON object (filters address its members by dotted path).
    public var metadata: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date
    public var lastAccessedAt: Date
    public var accessCount: UInt32
    /// 0 to 1; search can weight it.
    public var importance: Double
    /// The time from which the memory holds (nil: always held).
    public var validFrom: Date?
    /// The time until which it held (nil: still holds). A superseded fact gets a `validUntil`
    /// instead of being deleted.
    public var validUntil: Date?
    /// After this time the memory is expired: search skips it and a purge deletes it.
    public var expiresAt: Date?
    /// Where the memory came from (a tool, a document, a user), free text.
    public var source: String?
    /// The episode (conversation, task run) it belongs to.
    public var episode: String?
    /// How many times the memory was updated (0 for a new one); earlier versions are in its history.
    public var version: UInt32

    public init(
        id: MemoryID, namespace: String, kind: MemoryKind, text: String, metadata: [String: JSONValue] = [:],
        createdAt: Date, updatedAt: Date? = nil, lastAccessedAt: Date? = nil, accessCount: UInt32 = 0,
        importance: Double = 0.5, validFrom: Date? = nil, validUntil: Date? = nil, expiresAt: Date? = nil,
        source: String? = nil, episode: String? = nil, version: UInt32 = 0
    ) {
        self.id = id
        self.namespace = namespace
        self.kind = kind
        self.text = text
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.lastAccessedAt = lastAccessedAt ?? createdAt
        self.accessCount = accessCount
        self.importance = importance
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.expiresAt = expiresAt
        self.source = source
        self.episode = episode
        self.version = version
    }

    /// Whether the memory holds at `instant` (its validity window contains it).
    public func isValid(at instant: Date) -> Bool {
        if let validFrom, instant < validFrom { return false }
        if let validUntil, instant >= validUntil { return false }
        return true
    }

    /// Whether the memory has expired at `instant`.
    public func isExpired(at instant: Date) -> Bool {
        if let expiresAt { return instant >= expiresAt }
        return false
    }
}
