/// The page cache seen file by file, as `vmtouch` and `fincore` see it.
///
/// Each call maps the file read-only for its duration; nothing is read unless asked.
public enum PageCache {
    /// Which pages of the file at `path` are in the page cache. An empty file has no pages.
    ///
    /// Cost: one `mmap` and one `mincore` (one byte per page); reads nothing.
    /// - Throws: `ENOENT`, `EACCES`, `EISDIR`, … with the path.
    public static func residency(ofFileAt path: String, system: SystemCalls = .live) throws(MappedMemoryError) -> PageResidency {
        try MappedFile(path: path, system: system).residency()
    }

    /// Reads the whole file into the page cache (read-ahead, then every page faulted in),
    /// and returns the residency afterwards.
    ///
    /// Cost: reading the uncached part of the file from disk.
    public static func warm(fileAt path: String, system: SystemCalls = .live) throws(MappedMemoryError) -> PageResidency {
        let file = try MappedFile(path: path, system: system)
        try file.advise(.willNeed)
        try file.prefault()
        return try file.residency()
    }

    /// Drops the file's clean pages from the page cache and returns the residency afterwards.
    /// Pages that other processes map or lock stay resident; dirty pages are written back first
    /// only by their writers' flushes, so they may stay too.
    public static func evict(fileAt path: String, system: SystemCalls = .live) throws(MappedMemoryError) -> PageResidency {
        let file = try MappedFile(path: path, system: system)
        try file.evict()
        return try file.residency()
    }
}
