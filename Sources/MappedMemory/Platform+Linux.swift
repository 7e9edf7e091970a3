#if os(Linux)
import Glibc

/// The Linux edge: every platform-specific constant and call in one place.
enum Platform {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func open(_ path: String, _ flags: Int32, _ permissions: mode_t) -> Int32 {
        Glibc.open(path, flags, permissions)
    }
    static func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    static func mmap(_ address: UnsafeMutableRawPointer?, _ length: Int, _ protection: Int32, _ flags: Int32, _ fd: Int32, _ offset: off_t) -> UnsafeMutableRawPointer? {
        Glibc.mmap(address, length, protection, flags, fd, offset)
    }
    static func munmap(_ address: UnsafeMutableRawPointer, _ length: Int) -> Int32 { Glibc.munmap(address, length) }
    static func msync(_ address: UnsafeMutableRawPointer, _ length: Int, _ flags: Int32) -> Int32 { Glibc.msync(address, length, flags) }
    static func madvise(_ address: UnsafeMutableRawPointer, _ length: Int, _ advice: Int32) -> Int32 { Glibc.madvise(address, length, advice) }
    static func mlock(_ address: UnsafeRawPointer, _ length: Int) -> Int32 { Glibc.mlock(address, length) }
    static func munlock(_ address: UnsafeRawPointer, _ length: Int) -> Int32 { Glibc.munlock(address, length) }
    static func mincore(_ address: UnsafeMutableRawPointer, _ length: Int, _ vector: UnsafeMutablePointer<UInt8>) -> Int32 {
        Glibc.mincore(address, length, vector)
    }
    static func fsync(_ fd: Int32) -> Int32 { Glibc.fsync(fd) }
    static func fdatasync(_ fd: Int32) -> Int32 { Glibc.fdatasync(fd) }
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int { Glibc.pread(fd, buffer, count, offset) }
    static func pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int { Glibc.pwrite(fd, buffer, count, offset) }
    static func pwritev(_ fd: Int32, _ buffers: UnsafePointer<iovec>, _ count: Int32, _ offset: off_t) -> Int { Glibc.pwritev(fd, buffers, count, offset) }
    static func shmOpen(_ name: String, _ flags: Int32, _ permissions: mode_t) -> Int32 { Glibc.shm_open(name, flags, permissions) }
    static func shmUnlink(_ name: String) -> Int32 { Glibc.shm_unlink(name) }

    static let protRead = PROT_READ
    static let protWrite = PROT_WRITE
    static let mapShared = MAP_SHARED
    static let mapPrivate = MAP_PRIVATE
    static let mapAnonymous = MAP_ANONYMOUS
    /// Fault the whole mapping in at mmap time.
    static let mapPopulate: Int32 = 0x08000
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
    static let adviceHugePage: Int32? = 14      // MADV_HUGEPAGE
    static let adviceNoHugePage: Int32? = 15    // MADV_NOHUGEPAGE
    /// MADV_POPULATE_READ / MADV_POPULATE_WRITE (Linux 5.14): prefault without touching.
    static let advicePopulateRead: Int32? = 22
    static let advicePopulateWrite: Int32? = 23

    /// Grows the mapping in place or moves it (`mremap`), keeping its pages.
    static let canRemapInPlace = true
    /// Whether fsync and msync(MS_SYNC) flush the drive's volatile cache themselves.
    static let syncFlushesDriveCache = true

    static var processID: Int32 { getpid() }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
#endif
