#if canImport(Darwin)
import Darwin

/// The Apple-platform edge: every platform-specific constant and call in one place.
///
/// Differences from Linux that the rest of MappedMemory relies on:
/// - no `mremap`: growing a mapping unmaps and maps again (the address changes);
/// - no OFD locks: `FileLock` uses POSIX record locks, which belong to the process;
/// - `fsync` does not flush the drive's cache: durability calls use `F_FULLFSYNC`;
/// - no robust mutexes: `RobustMutex` uses an owner-pid word and liveness checks.
enum Platform {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func open(_ path: String, _ flags: Int32, _ permissions: mode_t) -> Int32 {
        Darwin.open(path, flags, permissions)
    }
    static func close(_ fd: Int32) -> Int32 { Darwin.close(fd) }
    static func mmap(_ address: UnsafeMutableRawPointer?, _ length: Int, _ protection: Int32, _ flags: Int32, _ fd: Int32, _ offset: off_t) -> UnsafeMutableRawPointer? {
        Darwin.mmap(address, length, protection, flags, fd, offset)
    }
    static func munmap(_ address: UnsafeMutableRawPointer, _ length: Int) -> Int32 { Darwin.munmap(address, length) }
    static func msync(_ address: UnsafeMutableRawPointer, _ length: Int, _ flags: Int32) -> Int32 { Darwin.msync(address, length, flags) }
    static func madvise(_ address: UnsafeMutableRawPointer, _ length: Int, _ advice: Int32) -> Int32 { Darwin.madvise(address, length, advice) }
    static func mlock(_ address: UnsafeRawPointer, _ length: Int) -> Int32 { Darwin.mlock(address, length) }
    static func munlock(_ address: UnsafeRawPointer, _ length: Int) -> Int32 { Darwin.munlock(address, length) }
    static func mincore(_ address: UnsafeMutableRawPointer, _ length: Int, _ vector: UnsafeMutablePointer<UInt8>) -> Int32 {
        vector.withMemoryRebound(to: CChar.self, capacity: length) { Darwin.mincore(address, length, $0) }
    }
    static func fsync(_ fd: Int32) -> Int32 { Darwin.fsync(fd) }
    /// Darwin has no public fdatasync; fsync gives at least as much.
    static func fdatasync(_ fd: Int32) -> Int32 { Darwin.fsync(fd) }
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int { Darwin.pread(fd, buffer, count, offset) }
    static func pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int { Darwin.pwrite(fd, buffer, count, offset) }
    static func pwritev(_ fd: Int32, _ buffers: UnsafePointer<iovec>, _ count: Int32, _ offset: off_t) -> Int { Darwin.pwritev(fd, buffers, count, offset) }
    static func shmOpen(_ name: String, _ flags: Int32, _ permissions: mode_t) -> Int32 { Darwin.shm_open(name, flags, permissions) }
    static func shmUnlink(_ name: String) -> Int32 { Darwin.shm_unlink(name) }

    static let protRead = PROT_READ
    static let protWrite = PROT_WRITE
    static let mapShared = MAP_SHARED
    static let mapPrivate = MAP_PRIVATE
    static let mapAnonymous = MAP_ANON
    static let mapPopulate: Int32 = 0
    static let msSync = MS_SYNC
    static let msAsync = MS_ASYNC
    static let openReadOnly = O_RDONLY
    static let openReadWrite = O_RDWR
    static let openCreate = O_CREAT

    static let adviceNormal = MADV_NORMAL
    static let adviceRandom = MADV_RANDOM
    static let adviceSequential = MADV_SEQUENTIAL
    static let adviceWillNeed = MADV_WILLNEED
    static let adviceDontNeed = MADV_DONTNEED
    static let adviceHugePage: Int32? = nil
    static let adviceNoHugePage: Int32? = nil
    static let advicePopulateRead: Int32? = nil
    static let advicePopulateWrite: Int32? = nil

    static let canRemapInPlace = false
    /// Whether fsync and msync(MS_SYNC) flush the drive's volatile cache themselves (no: F_FULLFSYNC does).
    static let syncFlushesDriveCache = false

    static var processID: Int32 { getpid() }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
#endif
