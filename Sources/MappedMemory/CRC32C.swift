import CMnemapShims

/// CRC32C (Castagnoli), the checksum of iSCSI, ext4 metadata, LevelDB and RocksDB.
///
/// Hardware-accelerated (SSE4.2 `crc32`, ARMv8 CRC) where the CPU has it, checked once at
/// run time; slicing-by-8 tables otherwise. Cost with hardware: one `crc32` instruction per
/// 8 bytes. Below 128 bytes that is one dependent chain (about 2.7 bytes per cycle); from 128
/// bytes on, on x86-64 with PCLMULQDQ, three chains run interleaved and are combined with a
/// carry-less multiply, as in Intel's `crc_pcl` and Linux's `crc32c-pcl-intel` (about 8 bytes
/// per cycle for long buffers; a 1 KiB buffer takes about 2.3 times less than one chain).
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return mnemap_crc32c(crc, base, bytes.count)
    }

    /// Copies `source` to `destination` (`source.count` bytes, not overlapping) and returns the
    /// checksum of `source`, continuing from `crc`: one pass that reads each byte once, for a
    /// writer that checksums what it copies (about the cost of the checksum alone).
    @inlinable
    public static func copy(_ source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = source.baseAddress, !source.isEmpty else { return crc }
        return mnemap_crc32c_copy(crc, destination, base, source.count)
    }

    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return result
        }
        return checksum(Array(bytes), continuing: crc)
    }

    /// The checksum of the bytes of `span`, continuing from `crc` (0 to start).
    public static func checksum(_ span: RawSpan, continuing crc: UInt32 = 0) -> UInt32 {
        span.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// Whether the hardware instruction is used on this machine.
    public static var isHardwareAccelerated: Bool { mnemap_crc32c_is_hardware() != 0 }

    /// Whether buffers of 128 bytes and more are checksummed in three interleaved chains.
    public static var isInterleaved: Bool { mnemap_crc32c_is_interleaved() != 0 }

    /// The implementations, for tests that compare them.
    enum Implementation: Int32 {
        case software = 0
        case oneChain = 1
        case threeChains = 2
    }

    /// The checksum computed by one implementation (falling back to what the CPU has), at any length.
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0, using implementation: Implementation) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return mnemap_crc32c_variant(implementation.rawValue, crc, base, bytes.count)
    }
}
