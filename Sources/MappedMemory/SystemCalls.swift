import CMnemapShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one seam where MappedMemory meets the kernel.
///
/// Every system call MappedMemory makes goes through a value of this type. `live`
/// calls the operating system; tests copy it and replace members to force any
/// `errno` (`ENOSPC` on grow, `EIO` on flush, `EINTR`), short writes, or to trace
/// calls. Each member follows its C counterpart: it returns -1 (or `MAP_FAILED`)
/// and sets `errno` on failure, except `allocate` and `fadviseDontNeed`, which
/// return the error number like `posix_fallocate`.
///
/// ```swift
/// var failing = SystemCalls.live
/// failing.allocate = { _, _, _ in ENOSPC }
/// var file = try MappedFile(path: p, mode: .readWrite, system: failing)
/// try file.resize(to: 1 << 20)   // throws ENOSPC, file and mapping unchanged
/// ```
public struct SystemCalls: Sendable {
    public var open: @Sendable (_ path: String, _ flags: Int32, _ permissions: mode_t) -> Int32
    public var close: @Sendable (_ fd: Int32) -> Int32
    public var fileSize: @Sendable (_ fd: Int32) -> Int64
    public var truncate: @Sendable (_ fd: Int32, _ size: Int64) -> Int32
    /// Reserve blocks; returns 0 or an errno value.
    public var allocate: @Sendable (_ fd: Int32, _ offset: Int64, _ length: Int64) -> Int32
    public var mmap: @Sendable (_ address: UnsafeMutableRawPointer?, _ length: Int, _ protection: Int32, _ flags: Int32, _ fd: Int32, _ offset: Int64) -> UnsafeMutableRawPointer?
    public var munmap: @Sendable (_ address: UnsafeMutableRawPointer, _ length: Int) -> Int32
    /// Linux `mremap(MREMAP_MAYMOVE)`; `nil` with errno on failure (`ENOTSUP` elsewhere).
    public var mremap: @Sendable (_ address: UnsafeMutableRawPointer, _ oldLength: Int, _ newLength: Int) -> UnsafeMutableRawPointer?
    public var msync: @Sendable (_ address: UnsafeMutableRawPointer, _ length: Int, _ flags: Int32) -> Int32
    public var madvise: @Sendable (_ address: UnsafeMutableRawPointer, _ length: Int, _ advice: Int32) -> Int32
    public var mlock: @Sendable (_ address: UnsafeRawPointer, _ length: Int) -> Int32
    public var munlock: @Sendable (_ address: UnsafeRawPointer, _ length: Int) -> Int32
    public var mincore: @Sendable (_ address: UnsafeMutableRawPointer, _ length: Int, _ vector: UnsafeMutablePointer<UInt8>) -> Int32
    public var fsync: @Sendable (_ fd: Int32) -> Int32
    public var fdatasync: @Sendable (_ fd: Int32) -> Int32
    /// `F_FULLFSYNC` on Apple platforms, `fsync` elsewhere.
    public var fullFsync: @Sendable (_ fd: Int32) -> Int32
    /// Returns 0 or an errno value.
    public var fadviseDontNeed: @Sendable (_ fd: Int32, _ offset: Int64, _ length: Int64) -> Int32
    /// An fcntl byte-range lock (`CMnemapShims.mnemap_file_lock`).
    public var fileLock: @Sendable (_ fd: Int32, _ kind: Int32, _ start: Int64, _ length: Int64, _ wait: Bool) -> Int32
    public var pread: @Sendable (_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> Int
    public var pwrite: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> Int
    /// Writes `count` buffers back to back at `offset` in one call (a seam that records writes
    /// must replace this as well as `pwrite`).
    public var pwritev: @Sendable (_ fd: Int32, _ buffers: UnsafePointer<iovec>, _ count: Int32, _ offset: Int64) -> Int
    public var shmOpen: @Sendable (_ name: String, _ flags: Int32, _ permissions: mode_t) -> Int32
    public var shmUnlink: @Sendable (_ name: String) -> Int32

    /// The operating system itself.
    public static let live = SystemCalls(
        open: { path, flags, permissions in Platform.open(path, flags, permissions) },
        close: { fd in Platform.close(fd) },
        fileSize: { fd in
            var info = stat()
            guard fstat(fd, &info) == 0 else { return -1 }
            return Int64(info.st_size)
        },
        truncate: { fd, size in ftruncate(fd, off_t(size)) },
        allocate: { fd, offset, length in mnemap_allocate(fd, offset, length) },
        mmap: { address, length, protection, flags, fd, offset in
            let result = Platform.mmap(address, length, protection, flags, fd, off_t(offset))
            return result == MAP_FAILED ? nil : result
        },
        munmap: { address, length in Platform.munmap(address, length) },
        mremap: { address, oldLength, newLength in
            let result = mnemap_mremap(address, oldLength, newLength, 1)
            return result == MAP_FAILED ? nil : result
        },
        msync: { address, length, flags in Platform.msync(address, length, flags) },
        madvise: { address, length, advice in Platform.madvise(address, length, advice) },
        mlock: { address, length in Platform.mlock(address, length) },
        munlock: { address, length in Platform.munlock(address, length) },
        mincore: { address, length, vector in Platform.mincore(address, length, vector) },
        fsync: { fd in Platform.fsync(fd) },
        fdatasync: { fd in Platform.fdatasync(fd) },
        fullFsync: { fd in mnemap_full_fsync(fd) },
        fadviseDontNeed: { fd, offset, length in mnemap_fadvise_dontneed(fd, offset, length) },
        fileLock: { fd, kind, start, length, wait in mnemap_file_lock(fd, kind, start, length, wait ? 1 : 0) },
        pread: { fd, buffer, count, offset in Platform.pread(fd, buffer, count, off_t(offset)) },
        pwrite: { fd, buffer, count, offset in Platform.pwrite(fd, buffer, count, off_t(offset)) },
        pwritev: { fd, buffers, count, offset in Platform.pwritev(fd, buffers, count, off_t(offset)) },
        shmOpen: { name, flags, permissions in Platform.shmOpen(name, flags, permissions) },
        shmUnlink: { name in Platform.shmUnlink(name) }
    )
}

/// `errno` of the calling thread.
var currentErrno: Int32 {
    get { errno }
    set { errno = newValue }
}

extension SystemCalls {
    /// Runs `call` until it does not fail with `EINTR`.
    @inline(__always)
    func retryingInterrupts(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result == -1 && currentErrno == EINTR { continue }
            return result
        }
    }

    /// Opens `path`, retrying on `EINTR`; throws with the path on failure.
    func openFile(_ path: String, flags: Int32, permissions: mode_t = 0o644) throws(MappedMemoryError) -> Int32 {
        let fd = retryingInterrupts { open(path, flags | O_CLOEXEC, permissions) }
        guard fd >= 0 else { throw .system("open", path: path, errno: currentErrno) }
        return fd
    }

    func size(of fd: Int32, path: String?) throws(MappedMemoryError) -> Int64 {
        let size = fileSize(fd)
        guard size >= 0 else { throw .system("fstat", path: path, errno: currentErrno) }
        return size
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes and `EINTR`.
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String?) throws(MappedMemoryError) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, offset + Int64(done))
            if written < 0 {
                if currentErrno == EINTR { continue }
                throw .system("pwrite", path: path, errno: currentErrno)
            }
            if written == 0 { throw .system("pwrite", path: path, errno: EIO) }
            done += written
        }
    }

    /// Writes `buffers` back to back from `offset` with as few `pwritev` calls as it takes
    /// (at most ``maxVectoredBuffers`` buffers each), continuing after short writes and `EINTR`.
    func writeAll(_ fd: Int32, _ buffers: [UnsafeRawBufferPointer], at offset: Int64, path: String?) throws(MappedMemoryError) {
        var vectors = buffers.filter { $0.count > 0 }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress!), iov_len: $0.count) }
        var first = 0
        var position = offset
        while first < vectors.count {
            let batch = min(vectors.count - first, Self.maxVectoredBuffers)
            let written = vectors.withUnsafeBufferPointer { pwritev(fd, $0.baseAddress! + first, Int32(batch), position) }
            if written < 0 {
                if currentErrno == EINTR { continue }
                throw .system("pwritev", path: path, errno: currentErrno)
            }
            if written == 0 { throw .system("pwritev", path: path, errno: EIO) }
            position += Int64(written)
            // Skip the buffers written whole; continue inside a partly written one.
            var remaining = written
            while remaining > 0 {
                let length = vectors[first].iov_len
                if remaining >= length {
                    remaining -= length
                    first += 1
                } else {
                    vectors[first].iov_base += remaining
                    vectors[first].iov_len -= remaining
                    remaining = 0
                }
            }
        }
    }

    /// The most buffers one `pwritev` takes (`IOV_MAX` on Linux and Apple platforms).
    static let maxVectoredBuffers = 1024

    /// Reads up to `buffer.count` bytes at `offset`, continuing after short reads and `EINTR`;
    /// returns fewer only at the end of the file.
    func readAll(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String?) throws(MappedMemoryError) -> Int {
        var done = 0
        while done < buffer.count {
            let read = pread(fd, buffer.baseAddress! + done, buffer.count - done, offset + Int64(done))
            if read < 0 {
                if currentErrno == EINTR { continue }
                throw .system("pread", path: path, errno: currentErrno)
            }
            if read == 0 { break }
            done += read
        }
        return done
    }
}
