#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file used through explicit reads, writes and syncs (not through a mapping),
/// with every call going through the ``SystemCalls`` seam.
///
/// Engines write with `pwrite` and read through a mapping of the same file: the page
/// cache is shared, so written bytes are visible through every mapping at once, and a
/// stray store through a mapping cannot corrupt the file. Owning the descriptor, it
/// closes it when destroyed.
public struct SystemFile: ~Copyable, @unchecked Sendable {
    /// The descriptor (for `FileLock`-style uses; do not close it).
    public let descriptor: Int32
    /// The path, used in errors.
    public let path: String
    /// The seam every call goes through.
    public let system: SystemCalls

    /// Opens `path` for reading and writing, creating it (with `permissions`) when `create` is true.
    public init(path: String, create: Bool = false, readOnly: Bool = false, permissions: mode_t = 0o644, system: SystemCalls = .live) throws(MappedMemoryError) {
        var flags = readOnly ? Platform.openReadOnly : Platform.openReadWrite
        if create { flags |= Platform.openCreate }
        descriptor = try system.openFile(path, flags: flags, permissions: permissions)
        self.path = path
        self.system = system
    }

    deinit {
        _ = system.close(descriptor)
    }

    /// The file's size in bytes.
    public func size() throws(MappedMemoryError) -> Int64 {
        try system.size(of: descriptor, path: path)
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes and `EINTR`.
    /// The bytes are in the page cache when this returns (visible to mappings, lost on power loss until synced).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(MappedMemoryError) {
        try system.writeAll(descriptor, bytes, at: offset, path: path)
    }

    /// Writes `buffers` back to back from `offset` (a vectored write: no copy into one buffer),
    /// continuing after short writes and `EINTR`. Visible and durable as ``write(_:at:)``.
    public func write(_ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(MappedMemoryError) {
        try system.writeAll(descriptor, buffers, at: offset, path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count read (fewer only at the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(MappedMemoryError) -> Int {
        try system.readAll(descriptor, buffer, at: offset, path: path)
    }

    /// Grows the file to `size` bytes with every new block allocated (a full disk is `ENOSPC` here,
    /// and the file keeps its old size). Does nothing when the file is already that large.
    public func grow(to size: Int64) throws(MappedMemoryError) {
        let current = try self.size()
        try Growth.extend(fd: descriptor, from: current, to: size, path: path, system: system)
    }

    /// Sets the file's size (shrinking drops the tail).
    public func truncate(to size: Int64) throws(MappedMemoryError) {
        let result = system.retryingInterrupts { system.truncate(descriptor, size) }
        guard result == 0 else { throw .system("truncate", path: path, errno: currentErrno) }
    }

    /// Makes everything written so far durable: `.data` (`fdatasync`: data and size) or `.full`
    /// (`fsync`); `F_FULLFSYNC` for both on Apple platforms. Survives power loss once it returns.
    public func synchronize(_ level: SyncLevel = .data) throws(MappedMemoryError) {
        let result: Int32
        if !Platform.syncFlushesDriveCache {
            result = system.retryingInterrupts { system.fullFsync(descriptor) }
        } else if level == .data {
            result = system.retryingInterrupts { system.fdatasync(descriptor) }
        } else {
            result = system.retryingInterrupts { system.fsync(descriptor) }
        }
        guard result == 0 else { throw .system(level == .data ? "fdatasync" : "fsync", path: path, errno: currentErrno) }
    }
}
