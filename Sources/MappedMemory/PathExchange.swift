import CMnemapShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic replacement of a whole folder (or file) by another.
public enum PathExchange {
    /// Swaps what `first` and `second` name, atomically: every process sees either the old
    /// pair or the new one. Both must exist on the same file system. Not durable until the
    /// parent folder is synced (``DirectorySync``).
    public static func exchange(_ first: String, _ second: String) throws(MappedMemoryError) {
        guard mnemap_exchange_paths(first, second) == 0 else {
            throw .system("exchange", path: first + " <-> " + second, errno: errno)
        }
    }
}
