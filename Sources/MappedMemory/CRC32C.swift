import CMnemapShims

/// CRC32C (Castagnoli), the checksum of iSCSI, ext4 metadata, LevelDB and RocksDB.
///
/// Hardware-accelerated (SSE4.2 `crc32`, ARMv8 CRC) where the CPU has it, checked once at
/// run time; slicing-by-8 tables otherwise. Cost with hardware: one `crc32` instruction per
/// 8 bytes in a single dependent chain, about 2.7 bytes per cycle (interleaving three chains,
/// as ext4 and RocksDB do, would triple it: not done yet).
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return mnemap_crc32c(crc, base, bytes.count)
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
}
