/// The on-disk layout of a segment file and of a record (see `docs/journal-format.md`).
///
/// All integers are little-endian. A segment is one file of `segmentSize` bytes, fully allocated
/// at creation:
///
/// ```
/// 0        static header (64 bytes, covered by headerCRC)
/// 64       shared words: tail, notify/waiters, padCount, syncedUpTo, sealedAt, flags
/// 256      record index: one UInt32 offset per `indexStride` claims
/// dataStart records, 8-byte aligned, up to dataEnd
/// dataEnd  room for one end-of-segment word; the file ends at segmentSize
/// ```
enum SegmentFormat {
    /// "MNJRNL" + version byte 1 + 0, little-endian.
    static let magic: UInt64 = 0x0001_4C4E_524A_4E4D
    static let version: UInt32 = 1

    // Static header (written once before the file gets its name; covered by headerCRC).
    static let magicOffset = 0
    static let versionOffset = 8
    static let headerCRCOffset = 12
    static let segmentNumberOffset = 16      // UInt64
    static let segmentSizeOffset = 24        // UInt64
    static let dataStartOffset = 32          // UInt32
    static let dataEndOffset = 36            // UInt32
    static let indexStrideOffset = 40        // UInt32
    static let indexEntriesOffset = 44       // UInt32
    static let createdAtOffset = 48          // Int64, nanoseconds since 1970
    static let staticEnd = 64

    // Shared words, changed while the segment is in use (not covered by the header CRC).
    /// UInt64: claims so far (high 24 bits) and the next free offset (low 40 bits); producers add to it.
    static let tailOffset = 64
    /// UInt32 readers sleep on with a futex: bit 31 says a reader is going to sleep (set by readers,
    /// cleared by the producer that wakes them), bits 0-30 count wake-ups.
    static let notifyOffset = 128
    static let notifySleeper: UInt32 = 1 << 31
    /// UInt32: readers currently asleep on `notify` (kept for producers of the first protocol, which
    /// woke when it was above 0; see `Segment.notifyReaders`).
    static let waitersOffset = 132
    /// UInt64: slots padded over after their producer stopped.
    static let padCountOffset = 192
    /// UInt64: every byte of records below this offset is final and on stable storage.
    static let syncedUpToOffset = 200
    /// UInt64: the offset of the end-of-segment word, once written (0 before).
    static let sealedAtOffset = 208
    /// UInt64: `durableEnd` and `directorySynced` bits.
    static let flagsOffset = 216
    static let flagDurableEnd: UInt64 = 1
    static let flagDirectorySynced: UInt64 = 2

    static let indexStart = 256

    static let claimShift: UInt64 = 40
    static let offsetMask: UInt64 = (1 << 40) - 1

    /// Bytes reserved after `dataEnd` for the end-of-segment word.
    static let endReserve = 64

    static let minimumSegmentSize = 64 << 10
    /// Keeps claim numbers (24 bits, one per 32 bytes at least) from overflowing.
    static let maximumSegmentSize = 256 << 20

    /// The geometry of a segment of `segmentSize` bytes with one index entry per `stride` claims.
    static func geometry(segmentSize: Int, stride: Int) -> (dataStart: Int, dataEnd: Int, indexEntries: Int) {
        let dataEnd = segmentSize - endReserve
        // At most one claim per 32 bytes of data; the index is sized for that.
        let maxClaims = (dataEnd - indexStart) / RecordFormat.headerSize + 1
        let entries = maxClaims / stride + 1
        let dataStart = roundUp(indexStart + entries * 4, to: 4096)
        return (dataStart, dataEnd, entries)
    }

    static func roundUp(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    static func fileName(_ number: UInt32) -> String {
        let digits = String(number)
        return "segment-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".mnj"
    }

    /// The segment number in a file name made by ``fileName(_:)``, or nil.
    static func number(fromFileName name: String) -> UInt32? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".mnj") else { return nil }
        let digits = name.dropFirst(8).dropLast(4)
        guard digits.count == 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }
}

/// The 32-byte record header and its commit word.
///
/// ```
/// +0  UInt64  commit word: state (bits 56-59), magic 0x4A52 (bits 32-47), frame length (bits 0-31)
/// +8  UInt32  CRC32C of bytes +12 ..< +32+payloadLength
/// +12 UInt32  payload length
/// +16 UInt64  index: segment number << 32 | claim number
/// +24 Int64   timestamp, nanoseconds since 1970 (taken after the claim)
/// +32         payload, then zeros up to the next multiple of 8
/// ```
enum RecordFormat {
    static let headerSize = 32
    static let crcOffset = 8
    static let lengthOffset = 12
    static let indexOffset = 16
    static let timestampOffset = 24
    static let alignment = 8

    static let commitMagic: UInt64 = 0x4A52

    /// The states of a commit word. 0 (no bits at all) means nothing was claimed here yet.
    enum State: UInt64 {
        /// A producer owns the frame and is writing it.
        case claimed = 1
        /// The frame is complete: readers may return it.
        case published = 2
        /// The frame is to be skipped (its producer stopped, or a gap of 8 bytes nobody claimed).
        case padding = 3
        /// No more records in this segment: continue in the next one.
        case end = 4
    }

    static func word(_ state: State, length: Int) -> UInt64 {
        state.rawValue << 56 | commitMagic << 32 | UInt64(UInt32(truncatingIfNeeded: length))
    }

    /// The state and frame length of a commit word, or nil when it is not a valid commit word.
    static func decode(_ word: UInt64) -> (state: State, length: Int)? {
        guard (word >> 32) & 0xFFFF == commitMagic, (word >> 48) & 0xFF == 0, word >> 60 == 0,
              let state = State(rawValue: (word >> 56) & 0xF)
        else { return nil }
        return (state, Int(word & 0xFFFF_FFFF))
    }

    /// The frame length of a record with `payload` bytes.
    static func frameLength(payload: Int) -> Int {
        SegmentFormat.roundUp(headerSize + payload, to: alignment)
    }
}
