#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growing and shrinking files and their mappings.
enum Growth {
    /// Grows the file from `current` to `size` bytes with every new block allocated,
    /// so that stores through a mapping cannot hit a full disk later (a SIGBUS).
    /// On failure the file is truncated back to `current` and the error is thrown.
    static func extend(fd: Int32, from current: Int64, to size: Int64, path: String?, system: SystemCalls) throws(MappedMemoryError) {
        guard size > current else { return }
        let truncated = system.retryingInterrupts { system.truncate(fd, size) }
        guard truncated == 0 else { throw .system("grow", path: path, errno: currentErrno) }
        var result: Int32
        repeat { result = system.allocate(fd, current, size - current) } while result == EINTR
        if result != 0 {
            _ = system.retryingInterrupts { system.truncate(fd, current) }
            throw .system("grow", path: path, errno: result)
        }
    }
}

extension MappedFile {
    /// Sets the mapped length to `newCount` bytes and the file's size to `offset + newCount`.
    ///
    /// Growing reserves the new blocks (`posix_fallocate`, `F_PREALLOCATE` on Apple
    /// platforms), so a full disk is an error here, not a SIGBUS on a later store;
    /// the new bytes read as zero. Shrinking unmaps the tail, then truncates the file:
    /// other processes that still map the tail get SIGBUS on it (their guarded
    /// accesses get `.pageFault`). On Linux the mapping grows in place or moves with
    /// `mremap`; elsewhere it is mapped again. Either way the base address may change,
    /// which is why this is `mutating`: no view can be alive across it.
    ///
    /// Durability: the new size is durable after ``synchronize(_:)`` with `.full`.
    /// - Throws: `.notPermittedByMode` unless the mapping is `.readWrite`; `ENOSPC`/`EDQUOT`
    ///   when the disk is full, with the file and the mapping unchanged.
    public mutating func resize(to newCount: Int) throws(MappedMemoryError) {
        guard mode == .readWrite else {
            throw MappedMemoryError(operation: "resize", path: path, reason: .notPermittedByMode(mode))
        }
        guard newCount >= 0 else {
            throw MappedMemoryError(operation: "resize", path: path, reason: .invalidArgument("the new size must not be negative (got \(newCount))."))
        }
        let fileSize = try system.size(of: descriptor, path: path)
        let newFileSize = offset + Int64(newCount)
        if newCount >= count {
            try Growth.extend(fd: descriptor, from: fileSize, to: newFileSize, path: path, system: system)
            do {
                try changeMappedCount(to: newCount)
            } catch {
                if newFileSize > fileSize { _ = system.retryingInterrupts { system.truncate(descriptor, fileSize) } }
                throw error
            }
        } else {
            try changeMappedCount(to: newCount)
            let truncated = system.retryingInterrupts { system.truncate(descriptor, newFileSize) }
            guard truncated == 0 else { throw .system("shrink", path: path, errno: currentErrno) }
        }
    }

    /// Maps `length` bytes from ``offset`` again, without changing the file; `nil` follows
    /// the file to its current end.
    ///
    /// Readers call this after another process grew (or shrank) the file. Private
    /// copy-on-write changes survive on Linux (`mremap`) but not on Apple platforms.
    /// - Throws: `.outOfBounds` when `length` passes the end of the file;
    ///   `.notPermittedByMode` for anonymous memory.
    public mutating func remap(length: Int? = nil) throws(MappedMemoryError) {
        guard mode != .anonymousShared else {
            throw MappedMemoryError(operation: "remap", path: path, reason: .notPermittedByMode(mode))
        }
        let fileSize = try system.size(of: descriptor, path: path)
        let available = max(0, fileSize - offset)
        let newCount = length ?? Int(available)
        guard newCount >= 0, Int64(newCount) <= available else {
            throw MappedMemoryError(operation: "remap", path: path, reason: .outOfBounds(offset: Int(offset), count: newCount, size: Int(fileSize)))
        }
        try changeMappedCount(to: newCount)
    }

    /// The file's current size in bytes (it can differ from `offset + count` when another process resized it).
    public func fileSize() throws(MappedMemoryError) -> Int64 {
        guard descriptor >= 0 else { return Int64(count) }
        return try system.size(of: descriptor, path: path)
    }
}
