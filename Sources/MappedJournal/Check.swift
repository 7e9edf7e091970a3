import MappedMemory

/// What ``Journal/check()`` found in one segment.
public struct SegmentReport: Sendable, Equatable {
    /// The segment's number (from its file name).
    public var number: UInt32
    /// The segment file.
    public var path: String
    /// The size of the file.
    public var bytes: Int
    /// Bytes of records and padding (from the start of the data to the last record boundary reached).
    public var usedBytes: Int
    /// Published records whose checksum matched.
    public var records: Int
    /// Padding frames (slots of stopped producers, 8-byte gaps).
    public var paddings: Int
    /// Slots claimed and not yet published (producers at work, or stopped and not yet padded).
    public var inFlight: Int
    /// Slots padded over since the segment was created (from its header).
    public var paddedOver: Int
    /// The first and last record's index, when there are records.
    public var firstIndex: JournalIndex?
    public var lastIndex: JournalIndex?
    /// The first and last record's timestamp (nanoseconds since 1970), when there are records.
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    /// Whether an end-of-segment word was reached (producers continue in the next segment).
    public var ended: Bool
    /// Offset below which records are durable.
    public var syncedUpTo: Int
    /// Offset of the first record.
    public var dataStart: Int
    /// Bytes of records known durable (from the first record to `syncedUpTo`).
    public var durableBytes: Int { max(0, syncedUpTo - dataStart) }
    /// When the segment was created, nanoseconds since 1970.
    public var createdAt: Int64
}

/// What ``Journal/check()`` found.
public struct CheckReport: Sendable {
    /// One report per segment file that could be opened, in order.
    public var segments: [SegmentReport] = []
    /// Every damaged record, segment header or index entry, with the segment and offset.
    public var problems: [JournalError] = []
    /// Intact records in all segments.
    public var records: Int { segments.reduce(0) { $0 + $1.records } }
    /// Whether nothing is damaged.
    public var isHealthy: Bool { problems.isEmpty }
}

extension Journal {
    /// Verifies every segment header, every record's length and CRC32C, the order of the indexes,
    /// and every entry of each segment's index. Changes nothing.
    ///
    /// Cost: a read of the whole journal and one CRC32C pass over it (about 2.7 bytes per cycle).
    /// Damage is reported in ``CheckReport/problems`` (never thrown); the walk continues after a
    /// damaged record where the next boundary is provable (its frame length, or the segment index).
    /// - Throws: only when the directory cannot be listed.
    public func check() throws(JournalError) -> CheckReport {
        var report = CheckReport()
        for number in try segmentNumbers() {
            let segment: Segment
            do {
                guard let opened = try self.segment(number) else { continue }
                segment = opened
            } catch {
                report.problems.append(error)
                continue
            }
            report.segments.append(check(segment, problems: &report.problems))
        }
        return report
    }

    func check(_ segment: Segment, problems: inout [JournalError]) -> SegmentReport {
        // The header words, unless the file was cut short even there (reported by the walk below).
        let (paddedOver, syncedUpTo) = segment.guarded { (Int(segment.padCount.load(ordering: .relaxed)), segment.syncedUpTo) } ?? (0, segment.dataStart)
        var result = SegmentReport(
            number: segment.number, path: segment.path, bytes: segment.segmentSize, usedBytes: 0,
            records: 0, paddings: 0, inFlight: 0, paddedOver: paddedOver,
            ended: false, syncedUpTo: syncedUpTo, dataStart: segment.dataStart, createdAt: segment.createdAt
        )
        var boundaries: Set<Int> = []
        var offset = segment.dataStart
        func problem(_ text: String, at offset: Int) {
            problems.append(JournalError(operation: "check", path: segment.path, offset: offset, reason: .damagedRecord(text)))
        }
        walk: while true {
            boundaries.insert(offset)
            switch segment.frame(at: offset) {
            case .record(let record):
                if let last = result.lastIndex, record.index <= last {
                    problem("index \(record.index) does not follow \(last)", at: offset)
                }
                result.records += 1
                result.firstIndex = result.firstIndex ?? record.index
                result.lastIndex = record.index
                result.firstTimestamp = result.firstTimestamp ?? record.timestamp
                result.lastTimestamp = record.timestamp
                offset = record.nextPosition.offset
            case .padding(let next):
                result.paddings += 1
                offset = next
            case .inFlight(let length?):
                result.inFlight += 1
                offset += length
            case .inFlight(nil):
                result.inFlight += 1
                break walk
            case .end:
                result.ended = true
                break walk
            case .unclaimed:
                break walk
            case .damaged(let text, let next):
                problem(text, at: offset)
                if let next {
                    offset = next
                } else if let resume = (0..<segment.indexEntries).lazy.compactMap({ segment.indexEntry($0) }).first(where: { $0 > offset }) {
                    offset = resume
                } else {
                    break walk
                }
            }
        }
        result.usedBytes = offset - segment.dataStart
        let walked = offset
        let indexProblems = segment.guarded { () -> [JournalError] in
            var found: [JournalError] = []
            for entry in 0..<segment.indexEntries {
                let raw = Int(segment.atomic32(SegmentFormat.indexStart + entry * 4).load(ordering: .relaxed))
                guard raw != 0, raw < walked else { continue }  // entries past the walk: claims still in flight
                if segment.indexEntry(entry) == nil || !boundaries.contains(raw) {
                    found.append(JournalError(operation: "check", path: segment.path, offset: SegmentFormat.indexStart + entry * 4, reason: .damagedRecord("index entry \(entry) points to offset \(raw), which is not the start of claim \(entry * segment.indexStride)")))
                }
            }
            return found
        }
        if let indexProblems {
            problems += indexProblems
        } else if case .damaged(let text, _) = segment.truncated(at: SegmentFormat.indexStart) {
            problems.append(JournalError(operation: "check", path: segment.path, offset: SegmentFormat.indexStart, reason: .damagedRecord(text)))
        }
        return result
    }
}
