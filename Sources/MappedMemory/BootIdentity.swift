#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which boot of the machine this is. Engines store it beside state that lives in the page
/// cache: the same boot means the page cache (and everything written to it) survived; another
/// boot means only what was synced can be trusted.
public enum BootIdentity {
    /// 16 bytes identifying this boot (Linux `/proc/sys/kernel/random/boot_id`); all zeros where
    /// unknown, which engines must treat as "maybe another boot".
    public static let current: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 16)
        #if os(Linux)
        let fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY)
        guard fd >= 0 else { return bytes }
        defer { close(fd) }
        var text = [UInt8](repeating: 0, count: 64)
        let count = text.withUnsafeMutableBytes { read(fd, $0.baseAddress, 64) }
        let hex = text.prefix(max(0, count)).filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: "\n") }
        func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : (c >= 65 ? c - 55 : c &- 48) }
        for index in 0..<min(16, hex.count / 2) {
            bytes[index] = nibble(hex[hex.startIndex + 2 * index]) << 4 | nibble(hex[hex.startIndex + 2 * index + 1])
        }
        #endif
        return bytes
    }()

    /// Whether `identifier` is this boot's (never true when the boot is unknown).
    public static func isCurrent(_ identifier: [UInt8]) -> Bool {
        current != [UInt8](repeating: 0, count: 16) && identifier == current
    }
}
