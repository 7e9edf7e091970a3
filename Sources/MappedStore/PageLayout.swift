import MappedMemory

/// Page numbers count pages from the start of the data file.
typealias PageNumber = UInt64

/// The on-disk page layout; see `docs/store-format.md`.
///
/// Every page starts with a 32-byte header:
/// ```
///  0 checksum   UInt32  CRC32C of the page (or run) from byte 4 to its end
///  4 kind       UInt8   PageKind
///  5 flags      UInt8
///  6 count      UInt16  entries (branch, leaf)
///  8 number     UInt64  the page's own number (catches misdirected writes)
/// 16 txnID      UInt64  the transaction that wrote it
/// 24 runLength  UInt32  pages in this run (overflow and free-list runs; 1 otherwise)
/// 28 reserved   UInt32
/// ```
enum PageLayout {
    static let pageSize = 4096
    static let headerSize = 32
    /// Leaf entry header: keyLength UInt16, flags UInt16, valueLength UInt32.
    static let leafEntryHeader = 8
    /// Branch entry header: keyLength UInt16, reserved 6 bytes, child UInt64.
    static let branchEntryHeader = 16
    static let slotSize = 2
    /// Largest leaf entry kept inline: three always fit in a page, so every split works.
    static let maxInlineEntry = (pageSize - headerSize) / 3 - slotSize
    /// Leaf entry flag: the value lives in an overflow run; the entry holds its first page number.
    static let overflowFlag: UInt16 = 1

    static let checksumOffset = 0
    static let kindOffset = 4
    static let flagsOffset = 5
    static let countOffset = 6
    static let numberOffset = 8
    static let txnOffset = 16
    static let runOffset = 24
}

enum PageKind: UInt8 {
    case meta = 1
    case branch = 2
    case leaf = 3
    case overflow = 4
    case freeList = 5
}

/// A page (or a run of pages) being built in memory before it is written.
struct PageBuffer {
    var bytes: [UInt8]
    let number: PageNumber

    init(number: PageNumber, kind: PageKind, runLength: Int = 1, txnID: UInt64) {
        bytes = [UInt8](repeating: 0, count: runLength * PageLayout.pageSize)
        self.number = number
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: kind.rawValue, toByteOffset: PageLayout.kindOffset, as: UInt8.self)
            raw.storeBytes(of: number.littleEndian, toByteOffset: PageLayout.numberOffset, as: UInt64.self)
            raw.storeBytes(of: txnID.littleEndian, toByteOffset: PageLayout.txnOffset, as: UInt64.self)
            raw.storeBytes(of: UInt32(runLength).littleEndian, toByteOffset: PageLayout.runOffset, as: UInt32.self)
        }
    }

    var runLength: Int { bytes.count / PageLayout.pageSize }

    /// Computes and stores the checksum; call last.
    mutating func seal() {
        bytes.withUnsafeMutableBytes { raw in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[4...]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
        }
    }
}

extension UnsafeRawPointer {
    @inline(__always) func le16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    @inline(__always) func le32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    @inline(__always) func le64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always) func put16(_ value: UInt16, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
    @inline(__always) func put32(_ value: UInt32, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always) func put64(_ value: UInt64, at offset: Int) { storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
}

/// Verifies a run's checksum: `run` is the whole run.
func checksumMatches(_ run: UnsafeRawBufferPointer) -> Bool {
    guard run.count >= PageLayout.headerSize else { return false }
    let stored = UInt32(littleEndian: run.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
    return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: run[4...])) == stored
}
