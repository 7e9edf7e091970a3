import CMnemapShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared (read) or exclusive (write) byte-range locks.
public enum FileLockKind: Sendable {
    /// Many holders at once; excludes exclusive holders.
    case shared
    /// One holder; excludes every other holder.
    case exclusive
}

/// Advisory byte-range locks on a file, held through a descriptor of its own.
///
/// On Linux these are open-file-description (OFD) `fcntl` locks: they belong to this
/// `FileLock` value, so two `FileLock`s in one process exclude each other just as two
/// processes do, and closing some other descriptor of the file does not drop them
/// (the trap of classic POSIX locks). Every lock is released when the value is
/// destroyed or its process dies, however it dies. On Apple platforms, which lack OFD
/// locks, they are POSIX record locks: they belong to the process.
///
/// Locks are advisory: they exclude other lockers, not readers or writers that do not lock.
public struct FileLock: ~Copyable, @unchecked Sendable {
    let descriptor: Int32
    /// The locked file.
    public let path: String
    let system: SystemCalls

    /// Opens `path` for locking, creating it (empty) when `create` is true and it does not exist.
    ///
    /// - Throws: the `open` failure, with the path (`ENOENT`, `EACCES`, …).
    public init(path: String, create: Bool = true, system: SystemCalls = .live) throws(MappedMemoryError) {
        // A write lock needs a descriptor opened for writing; fall back to read-only for read-only files.
        let flags = Platform.openReadWrite | (create ? Platform.openCreate : 0)
        let fd: Int32
        do {
            fd = try system.openFile(path, flags: flags)
        } catch let error where error.errno == EACCES || error.errno == EROFS {
            fd = try system.openFile(path, flags: Platform.openReadOnly)
        }
        self.descriptor = fd
        self.path = path
        self.system = system
    }

    deinit {
        _ = system.close(descriptor)
    }

    /// Whether locks are per open file description (Linux) rather than per process.
    public static var isPerDescriptor: Bool { mnemap_file_lock_is_ofd() != 0 }

    /// Takes a lock on `range` (the whole file, however far it grows, when nil), waiting for it.
    ///
    /// Taking a lock of the other kind on a range this value already holds converts it.
    /// - Parameter timeout: the longest wait; nil waits for as long as it takes.
    /// - Throws: `.timedOut` when the deadline passed; `EDEADLK`/`ENOLCK` from the system.
    public func lock(_ kind: FileLockKind, range: Range<Int64>? = nil, timeout: Duration? = nil) throws(MappedMemoryError) {
        let (start, length) = Self.bounds(range)
        guard let timeout else {
            let result = system.retryingInterrupts { system.fileLock(descriptor, Self.code(kind), start, length, true) }
            guard result == 0 else { throw .system("lock", path: path, errno: currentErrno) }
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pause = Duration.microseconds(50)
        while true {
            if try tryLock(kind, range: range) { return }
            let now = clock.now
            if now >= deadline {
                throw MappedMemoryError(operation: "lock", path: path, reason: .timedOut)
            }
            Self.sleep(min(pause, now.duration(to: deadline)))
            pause = min(pause * 2, .milliseconds(10))
        }
    }

    /// Takes a lock on `range` if no one holds a conflicting one; returns whether it did.
    ///
    /// - Throws: system failures other than "held by someone else".
    public func tryLock(_ kind: FileLockKind, range: Range<Int64>? = nil) throws(MappedMemoryError) -> Bool {
        let (start, length) = Self.bounds(range)
        let result = system.retryingInterrupts { system.fileLock(descriptor, Self.code(kind), start, length, false) }
        if result == 0 { return true }
        let code = currentErrno
        if code == EAGAIN || code == EACCES { return false }
        throw .system("lock", path: path, errno: code)
    }

    /// Releases this value's locks on `range` (all of them when nil).
    public func unlock(range: Range<Int64>? = nil) throws(MappedMemoryError) {
        let (start, length) = Self.bounds(range)
        let result = system.retryingInterrupts { system.fileLock(descriptor, Int32(MNEMAP_LOCK_UNLOCK), start, length, false) }
        guard result == 0 else { throw .system("unlock", path: path, errno: currentErrno) }
    }

    /// Runs `body` holding a lock on `range`, released afterwards even when `body` throws.
    public func withLock<R>(_ kind: FileLockKind, range: Range<Int64>? = nil, timeout: Duration? = nil, _ body: () throws -> R) throws -> R {
        try lock(kind, range: range, timeout: timeout)
        defer { try? unlock(range: range) }
        return try body()
    }

    private static func code(_ kind: FileLockKind) -> Int32 {
        switch kind {
        case .shared: Int32(MNEMAP_LOCK_SHARED)
        case .exclusive: Int32(MNEMAP_LOCK_EXCLUSIVE)
        }
    }

    private static func bounds(_ range: Range<Int64>?) -> (Int64, Int64) {
        guard let range else { return (0, 0) }
        return (range.lowerBound, Int64(range.count))
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
