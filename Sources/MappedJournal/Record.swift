/// The identity of a record: its segment's number (high 32 bits) and its claim number in the
/// segment (low 32 bits), as in Chronicle Queue's cycle and sequence.
///
/// Indexes are unique and increase along the journal's one total order. Inside a segment they
/// count up by one per claim; a claim whose producer died (padded over) leaves its number unused,
/// and the first record of each segment starts at claim 0 of the next segment number.
public struct JournalIndex: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The index of claim `claim` in segment `segment`.
    public init(segment: UInt32, claim: UInt32) {
        self.init(rawValue: UInt64(segment) << 32 | UInt64(claim))
    }

    /// The segment the record is in.
    public var segment: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    /// The claim number inside the segment.
    public var claim: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    public static func < (lhs: JournalIndex, rhs: JournalIndex) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(segment):\(claim)" }

    /// Parses `segment:claim` or a plain raw value.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let segment = UInt32(parts[0]), let claim = UInt32(parts[1]) {
            self.init(segment: segment, claim: claim)
        } else if parts.count == 1, let raw = UInt64(parts[0]) {
            self.init(rawValue: raw)
        } else {
            return nil
        }
    }
}

/// A place in the journal: a segment and the byte offset of a record boundary in it.
public struct JournalPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The segment's number.
    public var segment: UInt32
    /// The byte offset in the segment file (0: the segment's first record).
    public var offset: Int

    public init(segment: UInt32, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (lhs: JournalPosition, rhs: JournalPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }
    public var description: String { "segment \(segment) offset \(offset)" }
}

/// One record as a reader sees it: complete, its checksum verified.
public struct JournalRecord: Sendable, Equatable {
    /// Its identity; increases along the journal.
    public var index: JournalIndex
    /// When the producer wrote it, in nanoseconds since 1970 (taken after claiming its space).
    public var timestamp: Int64
    /// The bytes the producer appended.
    public var payload: [UInt8]
    /// Where it starts.
    public var position: JournalPosition
    /// Where the next record starts (possibly in the next segment).
    public var nextPosition: JournalPosition
}

/// A record read in place by ``Tailer/withNext(timeout:_:)``: its header, and its payload in the
/// mapped segment, valid only inside the closure it is passed to.
public struct JournalRecordView {
    /// Its identity; increases along the journal.
    public let index: JournalIndex
    /// When the producer wrote it, in nanoseconds since 1970 (taken after claiming its space).
    public let timestamp: Int64
    /// Where it starts.
    public let position: JournalPosition
    /// Where the next record starts (possibly in the next segment).
    public let nextPosition: JournalPosition
    /// The payload, in the mapped segment (checksum verified). Valid only inside the closure the
    /// view was passed to: copy what must outlive it.
    public let payload: UnsafeRawBufferPointer

    init(_ record: RecordFrame) {
        index = record.index
        timestamp = record.timestamp
        position = record.position
        nextPosition = record.nextPosition
        payload = UnsafeRawBufferPointer(start: record.payload, count: record.payloadLength)
    }

    /// The payload as a span, for as long as this view is borrowed (and only inside the closure).
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        get {
            let span = RawSpan(_unsafeBytes: payload)
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// A copy of the record that may outlive the closure.
    public func copy() -> JournalRecord {
        JournalRecord(index: index, timestamp: timestamp, payload: [UInt8](payload), position: position, nextPosition: nextPosition)
    }
}
