/// How ``MappedFile/flush(range:mode:)`` waits.
public enum FlushMode: Sendable {
    /// Start writing back and wait until the data is on stable storage (`MS_SYNC`).
    case synchronous
    /// Only schedule the write-back (`MS_ASYNC`); returns at once and guarantees nothing about power loss.
    case asynchronous
}

/// What ``MappedFile/synchronize(_:)`` makes durable.
public enum SyncLevel: Sendable {
    /// The file's data and the metadata needed to read it back, such as its size
    /// (`fdatasync` on Linux; `F_FULLFSYNC` on Apple platforms).
    case data
    /// Data and all metadata, including times (`fsync` on Linux; `F_FULLFSYNC` on Apple platforms).
    case full
}

/// Durability. Stores through a `.readWrite` mapping are in the kernel's page cache at once:
/// they survive the crash of this process (or a `SIGKILL`) without any call here, and other
/// processes see them immediately. Surviving **power loss or a kernel crash** needs a
/// synchronous flush or a sync that returned without error; see `docs/mapped-memory.md`.
extension MappedFile {
    /// Writes the dirty pages of `range` (the whole view when nil) back to the file (`msync`).
    ///
    /// `range` need not be page-aligned: the pages covering it are flushed.
    /// - `.synchronous`: when this returns, the range's data is on stable storage and survives
    ///   power loss. On Linux `MS_SYNC` syncs the range like `fdatasync` (including the device
    ///   cache flush); on Apple platforms an `F_FULLFSYNC` follows, because `msync` alone stops at
    ///   the drive's volatile cache.
    /// - `.asynchronous`: schedules the write-back and returns; nothing is guaranteed after power loss.
    ///
    /// Cost: proportional to the dirty pages in the range.
    /// - Throws: `EIO` when the device failed to write: the data of the range may be lost after
    ///   power loss (the kernel may have dropped the dirty pages; do not assume a retry helps).
    ///   `.notPermittedByMode` for mappings that have no file to flush to (private, anonymous).
    public func flush(range: Range<Int>? = nil, mode flushMode: FlushMode = .synchronous) throws(MappedMemoryError) {
        guard mode == .readWrite else {
            throw MappedMemoryError(operation: "msync", path: path, reason: .notPermittedByMode(mode))
        }
        guard let span = try pageSpan("msync", range) else { return }
        let flags = flushMode == .synchronous ? Platform.msSync : Platform.msAsync
        let result = system.retryingInterrupts { system.msync(span.address, span.length, flags) }
        guard result == 0 else { throw .system("msync", path: path, errno: currentErrno) }
        if flushMode == .synchronous && !Platform.syncFlushesDriveCache {
            // Apple platforms: msync reaches the drive, not its platter.
            guard system.fullFsync(descriptor) == 0 else { throw .system("fullfsync", path: path, errno: currentErrno) }
        }
    }

    /// Makes the whole file durable through its descriptor: data written through any mapping of it
    /// and through `write`, and (with `.full`) all metadata. Survives power loss once it returns.
    ///
    /// On Linux: `fdatasync` (`.data`) or `fsync` (`.full`); both flush the device's cache.
    /// On Apple platforms: `F_FULLFSYNC` for both, since plain `fsync` does not flush the drive's cache.
    /// A file that was just created or renamed also needs its directory synced (see ``DirectorySync``).
    /// - Throws: `EIO` as for ``flush(range:mode:)``; `.notPermittedByMode` for anonymous memory.
    public func synchronize(_ level: SyncLevel = .data) throws(MappedMemoryError) {
        guard descriptor >= 0 else {
            throw MappedMemoryError(operation: "fsync", path: path, reason: .notPermittedByMode(mode))
        }
        let result: Int32
        if !Platform.syncFlushesDriveCache {
            result = system.retryingInterrupts { system.fullFsync(descriptor) }
        } else {
            switch level {
            case .data: result = system.retryingInterrupts { system.fdatasync(descriptor) }
            case .full: result = system.retryingInterrupts { system.fsync(descriptor) }
            }
        }
        guard result == 0 else { throw .system(level == .data ? "fdatasync" : "fsync", path: path, errno: currentErrno) }
    }

    /// Writes `bytes` to the file at view offset `byteOffset` with `pwrite` (not through the
    /// mapping), continuing after short writes and `EINTR`. The page cache is shared, so the
    /// bytes are visible through the mapping at once. The range must lie inside the view.
    public func write(_ bytes: UnsafeRawBufferPointer, atByteOffset byteOffset: Int) throws(MappedMemoryError) {
        guard mode == .readWrite else {
            throw MappedMemoryError(operation: "pwrite", path: path, reason: .notPermittedByMode(mode))
        }
        try checkRange("pwrite", offset: byteOffset, count: bytes.count)
        try system.writeAll(descriptor, bytes, at: offset + Int64(byteOffset), path: path)
    }
}

/// Syncing a directory, which makes the creation, removal or renaming of the files in it durable.
public enum DirectorySync {
    /// `fsync` (`F_FULLFSYNC` on Apple platforms) on the directory at `path`.
    public static func synchronize(path: String, system: SystemCalls = .live) throws(MappedMemoryError) {
        let fd = try system.openFile(path, flags: Platform.openReadOnly)
        defer { _ = system.close(fd) }
        let result = system.retryingInterrupts { system.fullFsync(fd) }
        guard result == 0 else { throw .system("fsync", path: path, errno: currentErrno) }
    }
}
