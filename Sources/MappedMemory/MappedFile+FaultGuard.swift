import CMnemapShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Guarded access: SIGBUS turned into a thrown error.
///
/// A read or store of a mapped page that the file no longer backs (another process
/// truncated the file; on some file systems, a full disk or an I/O error) raises
/// SIGBUS, which kills the process. The guarded paths below keep it alive: while
/// they run, a SIGBUS inside this mapping is answered by mapping a private zero page
/// over the faulting page, so the access completes (reads see zeros, stores are lost).
/// When the guarded work ends, the file is mapped over those pages again and
/// `.pageFault` is thrown, naming the file and the first faulting offset.
///
/// Nothing unwinds through the signal handler, so Swift code in a guarded closure runs
/// to its end normally. Caveats: while a fault is being handled, other threads that
/// read the same page see zeros instead of dying; results computed inside a closure that
/// faulted must be discarded (the throw makes that the default). Faults outside the
/// mapping, and outside guarded paths, behave as without Mnemap.
///
/// Cost: two thread-local stores per guarded call, plus a signal and two `mmap` calls per faulting page.
extension MappedFile {
    /// Runs `body` on the mapped bytes with SIGBUS turned into ``MappedMemoryError/Reason/pageFault(offset:)``.
    ///
    /// - Throws: `.pageFault` when any page `body` touched was not backed by the file
    ///   (whatever `body` returned is discarded), or what `body` throws.
    public func withGuardedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try guarded("guarded read") {
            try body(UnsafeRawBufferPointer(start: unsafeBaseAddress, count: count))
        }
    }

    /// Runs `body` on the mapped bytes, writable, with SIGBUS turned into `.pageFault`.
    ///
    /// - Throws: `.pageFault` (stores to unbacked pages were lost), `.notPermittedByMode`
    ///   for read-only mappings, or what `body` throws.
    public mutating func withGuardedMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        try checkWritable("guarded write")
        let buffer = UnsafeMutableRawBufferPointer(start: unsafeBaseAddress, count: count)
        return try guarded("guarded write") { try body(buffer) }
    }

    /// Copies `destination.count` bytes from view offset `byteOffset`; a truncated file gives an error, not a crash.
    ///
    /// - Throws: `.outOfBounds`, or `.pageFault` (the destination then holds zeros for unbacked pages).
    public func guardedCopyBytes(fromByteOffset byteOffset: Int, into destination: UnsafeMutableRawBufferPointer) throws(MappedMemoryError) {
        try checkRange("guarded read", offset: byteOffset, count: destination.count)
        guard !destination.isEmpty else { return }
        let source = UnsafeRawPointer(unsafeBaseAddress!) + byteOffset
        try guardedNoThrow("guarded read") {
            destination.baseAddress!.copyMemory(from: source, byteCount: destination.count)
        }
    }

    /// Copies `count` bytes from view offset `byteOffset` into a new array, with SIGBUS turned into `.pageFault`.
    public func guardedCopyBytes(fromByteOffset byteOffset: Int, count length: Int) throws(MappedMemoryError) -> [UInt8] {
        try checkRange("guarded read", offset: byteOffset, count: length)
        var result = [UInt8](repeating: 0, count: length)
        let failure = result.withUnsafeMutableBytes { buffer -> MappedMemoryError? in
            do {
                try guardedCopyBytes(fromByteOffset: byteOffset, into: buffer)
                return nil
            } catch let error as MappedMemoryError {
                return error
            } catch {
                return nil
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Loads a `T` from any byte offset, with SIGBUS turned into `.pageFault`.
    public func guardedLoad<T: BitwiseCopyable>(fromByteOffset byteOffset: Int, as type: T.Type = T.self) throws(MappedMemoryError) -> T {
        try checkRange("guarded load", offset: byteOffset, count: MemoryLayout<T>.size)
        let source = UnsafeRawPointer(unsafeBaseAddress!)
        var value: T? = nil
        try guardedNoThrow("guarded load") {
            value = source.loadUnaligned(fromByteOffset: byteOffset, as: T.self)
        }
        return value!
    }

    /// Stores `value` at any byte offset, with SIGBUS turned into `.pageFault` (the store was lost).
    public mutating func guardedStoreBytes<T: BitwiseCopyable>(of value: T, toByteOffset byteOffset: Int) throws(MappedMemoryError) {
        try checkWritable("guarded store")
        try checkRange("guarded store", offset: byteOffset, count: MemoryLayout<T>.size)
        let target = unsafeBaseAddress!
        try guardedNoThrow("guarded store") {
            target.storeBytes(of: value, toByteOffset: byteOffset, as: T.self)
        }
    }

    /// Copies `source` into the mapping at `byteOffset`, with SIGBUS turned into `.pageFault`.
    public mutating func guardedCopyBytes(from source: UnsafeRawBufferPointer, toByteOffset byteOffset: Int) throws(MappedMemoryError) {
        try checkWritable("guarded write")
        try checkRange("guarded write", offset: byteOffset, count: source.count)
        guard !source.isEmpty else { return }
        let target = unsafeBaseAddress! + byteOffset
        try guardedNoThrow("guarded write") {
            target.copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
    }

    /// Runs `body`, which reads or writes this mapping through pointers, with SIGBUS turned into
    /// ``MappedMemoryError/Reason/pageFault(offset:)``: for hot paths, specialised in the caller,
    /// at the cost of two thread-local stores and a check. Whatever `body` computed is discarded
    /// when a page faulted (and the file is mapped over the patched pages again).
    ///
    /// Only this mapping is watched; inside the guard of another mapping (on the same thread) this
    /// adds nothing and the outer guard reports the faults in its own range.
    @inlinable
    public func withFaultGuard<R>(_ operation: String, _ body: () -> R) throws(MappedMemoryError) -> R {
        beginFaultGuard()
        let result = body()
        if let offset = endFaultGuard() {
            throw MappedMemoryError(operation: operation, path: path, reason: .pageFault(offset: offset))
        }
        return result
    }

    /// Starts watching this mapping for SIGBUS on this thread, for code that cannot run in one
    /// closure; every call must be followed by ``endFaultGuard()`` on the same thread.
    /// Cost: a few stores to thread-local storage (inlined into the caller).
    @inlinable
    public func beginFaultGuard() {
        guard let mapping else { return }
        if !FaultGuard.isInstalled { FaultGuard.install() }
        mnemap_fault_guard_begin(mapping, mappingLength)
    }

    /// Stops watching (see ``beginFaultGuard()``). Returns the view offset of the first page that
    /// faulted since, after mapping the file over the patched pages again, or nil when none did.
    @inlinable
    public func endFaultGuard() -> Int? {
        guard mapping != nil else { return nil }
        var firstPage: UInt = 0
        var lastPage: UInt = 0
        guard mnemap_fault_guard_end(&firstPage, &lastPage) > 0 else { return nil }
        return recoverFromFaults(firstPage: firstPage, lastPage: lastPage)
    }

    /// Maps the file over the pages the fault handler patched; returns the first one's view offset.
    @usableFromInline
    func recoverFromFaults(firstPage: UInt, lastPage: UInt) -> Int {
        guard let mapping else { return 0 }
        restoreFileBacking(from: firstPage, through: lastPage)
        return max(0, Int(firstPage) - Int(bitPattern: mapping) - delta)
    }

    private func guardedNoThrow(_ operation: String, _ body: () -> Void) throws(MappedMemoryError) {
        do {
            try guarded(operation, body)
        } catch let error as MappedMemoryError {
            throw error
        } catch {
            fatalError("unreachable: the guarded body does not throw")
        }
    }

    private func guarded<R>(_ operation: String, _ body: () throws -> R) throws -> R {
        guard let mapping else { return try body() }
        FaultGuard.installOnce()
        mnemap_fault_guard_begin(mapping, mappingLength)
        var outcome: Result<R, any Error>
        do { outcome = .success(try body()) } catch { outcome = .failure(error) }
        var firstPage: UInt = 0
        var lastPage: UInt = 0
        let faults = mnemap_fault_guard_end(&firstPage, &lastPage)
        if faults > 0 {
            restoreFileBacking(from: firstPage, through: lastPage)
            let firstOffset = max(0, Int(firstPage) - Int(bitPattern: mapping) - delta)
            throw MappedMemoryError(operation: operation, path: path, reason: .pageFault(offset: firstOffset))
        }
        return try outcome.get()
    }

    /// Maps the file again over the pages the fault handler patched with zeros, so that
    /// they show the file (or fault again) once it is extended.
    private func restoreFileBacking(from firstPage: UInt, through lastPage: UInt) {
        guard let mapping else { return }
        let start = Int(firstPage) - Int(bitPattern: mapping)
        let length = Int(lastPage) - Int(firstPage) + Platform.pageSize
        let fileOffset = alignedOffset + Int64(start)
        let restored = system.mmap(mapping + start, length, protection, mapFlags | MAP_FIXED, descriptor, fileOffset)
        assert(restored == nil || restored == mapping + start)
    }
}

@usableFromInline
enum FaultGuard {
    static let installation: Int32 = mnemap_fault_guard_install()

    /// Set once the handler is installed: inlined guards test this plain flag instead of a `static
    /// let` (a `swift_once` call). A stale `false` only costs one more call to `install()`.
    @usableFromInline
    nonisolated(unsafe) static var isInstalled = false

    static func installOnce() {
        _ = installation
    }

    @usableFromInline
    static func install() {
        _ = installation
        isInstalled = true
    }
}
