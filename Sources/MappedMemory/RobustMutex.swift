#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a lock of a ``RobustMutex`` was acquired.
public enum RobustLockOutcome: Sendable, Equatable {
    /// The mutex was free, or released normally.
    case acquired
    /// The previous holder died holding it. The caller holds it now; the state it protects may be
    /// half-updated. Repair it, then call ``RobustMutex/markConsistent()`` before unlocking,
    /// or the mutex becomes unusable (`.notRecoverable`) for everyone.
    case previousOwnerDied
}

/// A mutex shared by every thread of every process that maps the same bytes, which does not
/// hang when its holder dies.
///
/// It lives inside a mapping (``MappedFile/robustMutex(at:)``), in ``byteCount`` bytes at an
/// offset aligned to ``alignment``. On Linux it is a process-shared, robust `pthread_mutex_t`:
/// when a holder dies, however it dies, the kernel hands the mutex to the next locker with
/// ``RobustLockOutcome/previousOwnerDied``. On Apple platforms, which lack robust mutexes,
/// it is an owner-pid word that lockers take over when the owner's process no longer exists.
///
/// A mutex stored in a file outlives the processes (and a reboot, which robust-list recovery
/// cannot see): call ``initialize()`` when no other process can be using the file, e.g. while
/// holding an exclusive ``FileLock`` on first open, as LMDB does. Lock with a timeout where a
/// stale holder is possible, so nobody waits forever.
///
/// The view is non-escapable: it cannot outlive the borrow of the mapping it came from.
public struct RobustMutex: ~Escapable {
    /// Bytes reserved for the mutex in the mapping.
    public static let byteCount = 64
    /// Required alignment of its offset.
    public static let alignment = 16

    let address: UnsafeMutableRawPointer
    let path: String?

    @_lifetime(borrow file)
    init(file: borrowing MappedFile, offset: Int) throws(MappedMemoryError) {
        try file.checkRange("robustMutex", offset: offset, count: Self.byteCount)
        guard offset % Self.alignment == 0, let base = file.unsafeBaseAddress,
              Int(bitPattern: base + offset) % Self.alignment == 0 else {
            throw MappedMemoryError(operation: "robustMutex", path: file.path, reason: .misaligned(offset: offset, alignment: Self.alignment))
        }
        guard file.mode != .privateCopyOnWrite else {
            throw MappedMemoryError(operation: "robustMutex", path: file.path, reason: .notPermittedByMode(file.mode))
        }
        self.address = base + offset
        self.path = file.path
    }

    /// Writes a fresh, unlocked mutex. Call it once, while no other thread or process uses these bytes.
    public func initialize() throws(MappedMemoryError) {
        let code = Self.platformInitialize(address)
        guard code == 0 else { throw .system("pthread_mutex_init", path: path, errno: code) }
    }

    /// Locks, waiting at most `timeout` (forever when nil).
    ///
    /// - Returns: `.previousOwnerDied` when the holder died: you hold the lock and must repair.
    /// - Throws: `.timedOut`; `.notRecoverable` when an earlier recovery was abandoned;
    ///   `EDEADLK` when this thread already holds it.
    @discardableResult
    public func lock(timeout: Duration? = nil) throws(MappedMemoryError) -> RobustLockOutcome {
        try Self.outcome(Self.platformLock(address, timeout: timeout), operation: "lock", path: path)!
    }

    /// Locks if the mutex is free (or its holder died); returns nil when someone holds it.
    public func tryLock() throws(MappedMemoryError) -> RobustLockOutcome? {
        try Self.outcome(Self.platformTryLock(address), operation: "tryLock", path: path)
    }

    /// Declares the protected state repaired after `.previousOwnerDied`. Call before ``unlock()``.
    public func markConsistent() throws(MappedMemoryError) {
        let code = Self.platformMarkConsistent(address)
        guard code == 0 else { throw .system("pthread_mutex_consistent", path: path, errno: code) }
    }

    /// Unlocks. Only the holder may unlock (`EPERM` otherwise).
    public func unlock() throws(MappedMemoryError) {
        let code = Self.platformUnlock(address)
        guard code == 0 else { throw .system("unlock", path: path, errno: code) }
    }

    /// Runs `body` holding the mutex. When the previous holder died, `recover` runs first (holding
    /// the mutex) to repair the protected state, and the mutex is then marked consistent; if
    /// `recover` throws, the mutex is released unrepaired and becomes `.notRecoverable`.
    public func withLock<R>(timeout: Duration? = nil, recover: () throws -> Void = {}, _ body: () throws -> R) throws -> R {
        let outcome = try lock(timeout: timeout)
        defer { try? unlock() }
        if outcome == .previousOwnerDied {
            try recover()
            try markConsistent()
        }
        return try body()
    }

    private static func outcome(_ code: Int32, operation: String, path: String?) throws(MappedMemoryError) -> RobustLockOutcome? {
        switch code {
        case 0: return .acquired
        case EOWNERDEAD: return .previousOwnerDied
        case EBUSY: return nil
        case ETIMEDOUT: throw MappedMemoryError(operation: operation, path: path, reason: .timedOut)
        case ENOTRECOVERABLE: throw MappedMemoryError(operation: operation, path: path, reason: .notRecoverable)
        default: throw .system(operation, path: path, errno: code)
        }
    }
}

extension MappedFile {
    /// The process-shared robust mutex stored at `offset` (``RobustMutex/byteCount`` bytes,
    /// aligned to ``RobustMutex/alignment``). Call ``RobustMutex/initialize()`` once before first use.
    ///
    /// - Throws: `.outOfBounds`, `.misaligned`, or `.notPermittedByMode` for private mappings
    ///   (a mutex there would not be shared).
    @_lifetime(borrow self)
    public func robustMutex(at offset: Int) throws(MappedMemoryError) -> RobustMutex {
        try RobustMutex(file: self, offset: offset)
    }
}

#if os(Linux)
extension RobustMutex {
    static func platformInitialize(_ address: UnsafeMutableRawPointer) -> Int32 {
        precondition(MemoryLayout<pthread_mutex_t>.size <= byteCount)
        var attributes = pthread_mutexattr_t()
        var code = pthread_mutexattr_init(&attributes)
        guard code == 0 else { return code }
        defer { pthread_mutexattr_destroy(&attributes) }
        code = pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
        guard code == 0 else { return code }
        code = pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
        guard code == 0 else { return code }
        code = pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        guard code == 0 else { return code }
        address.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return pthread_mutex_init(mutex(address), &attributes)
    }

    static func mutex(_ address: UnsafeMutableRawPointer) -> UnsafeMutablePointer<pthread_mutex_t> {
        address.assumingMemoryBound(to: pthread_mutex_t.self)
    }

    static func platformLock(_ address: UnsafeMutableRawPointer, timeout: Duration?) -> Int32 {
        guard let timeout else { return pthread_mutex_lock(mutex(address)) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let (seconds, attoseconds) = timeout.components
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var deadline = timespec(tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000, tv_nsec: 0)
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        return pthread_mutex_timedlock(mutex(address), &deadline)
    }

    static func platformTryLock(_ address: UnsafeMutableRawPointer) -> Int32 {
        pthread_mutex_trylock(mutex(address))
    }

    static func platformMarkConsistent(_ address: UnsafeMutableRawPointer) -> Int32 {
        pthread_mutex_consistent(mutex(address))
    }

    static func platformUnlock(_ address: UnsafeMutableRawPointer) -> Int32 {
        pthread_mutex_unlock(mutex(address))
    }
}
#else
import Atomics

/// Apple platforms: word 0 holds the owner's pid (0 when free), word 1 the state
/// (0 consistent, 1 owner died and not yet repaired, 2 not recoverable).
extension RobustMutex {
    static func owner(_ address: UnsafeMutableRawPointer) -> UnsafeAtomic<Int64> {
        UnsafeAtomic<Int64>(at: address.assumingMemoryBound(to: Int64.AtomicRepresentation.self))
    }
    static func state(_ address: UnsafeMutableRawPointer) -> UnsafeAtomic<Int64> {
        UnsafeAtomic<Int64>(at: (address + 8).assumingMemoryBound(to: Int64.AtomicRepresentation.self))
    }

    static func platformInitialize(_ address: UnsafeMutableRawPointer) -> Int32 {
        address.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return 0
    }

    static func platformTryLock(_ address: UnsafeMutableRawPointer) -> Int32 {
        if state(address).load(ordering: .acquiring) == 2 { return ENOTRECOVERABLE }
        let me = Int64(getpid())
        let (taken, current) = owner(address).compareExchange(expected: 0, desired: me, ordering: .acquiring)
        if taken { return 0 }
        if current == me { return EDEADLK }
        if !Platform.isAlive(Int32(current)),
           owner(address).compareExchange(expected: current, desired: me, ordering: .acquiring).exchanged {
            state(address).store(1, ordering: .releasing)
            return EOWNERDEAD
        }
        return EBUSY
    }

    static func platformLock(_ address: UnsafeMutableRawPointer, timeout: Duration?) -> Int32 {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        var pause = Duration.microseconds(20)
        while true {
            let code = platformTryLock(address)
            if code != EBUSY { return code }
            if let deadline, clock.now >= deadline { return ETIMEDOUT }
            FileLock.sleep(pause)
            pause = min(pause * 2, .milliseconds(5))
        }
    }

    static func platformMarkConsistent(_ address: UnsafeMutableRawPointer) -> Int32 {
        guard owner(address).load(ordering: .relaxed) == Int64(getpid()) else { return EPERM }
        state(address).store(0, ordering: .releasing)
        return 0
    }

    static func platformUnlock(_ address: UnsafeMutableRawPointer) -> Int32 {
        guard owner(address).load(ordering: .relaxed) == Int64(getpid()) else { return EPERM }
        if state(address).load(ordering: .relaxed) == 1 { state(address).store(2, ordering: .releasing) }
        owner(address).store(0, ordering: .releasing)
        return 0
    }
}
#endif
