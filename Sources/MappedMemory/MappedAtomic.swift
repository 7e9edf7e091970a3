import Atomics
import CMnemapShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An atomic integer stored inside a mapping, shared by every thread of every process that maps it.
///
/// Operations are lock-free hardware atomics with the orderings of swift-atomics (C11).
/// In a shared file mapping the value also persists in the file (flush to make it durable).
/// The view is non-escapable: it cannot outlive the borrow of the mapping it came from.
///
/// ```swift
/// let counter = try file.atomic(UInt64.self, at: 0)
/// counter.wrappingIncrement(by: 1)
/// ```
public struct MappedAtomic<Value: AtomicInteger>: ~Escapable where Value.AtomicRepresentation.Value == Value {
    let atomic: UnsafeAtomic<Value>
    let atomicAddress: UnsafeRawPointer

    @_lifetime(borrow file)
    init(file: borrowing MappedFile, offset: Int) throws(MappedMemoryError) {
        let size = MemoryLayout<Value>.size
        precondition(MemoryLayout<Value.AtomicRepresentation>.size == size, "atomic storage must have the value's layout")
        try file.checkRange("atomic", offset: offset, count: size)
        guard let base = file.unsafeBaseAddress, Int(bitPattern: base + offset) % size == 0 else {
            throw MappedMemoryError(operation: "atomic", path: file.path, reason: .misaligned(offset: offset, alignment: size))
        }
        atomic = UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Value.AtomicRepresentation.self))
        atomicAddress = UnsafeRawPointer(base + offset)
    }

    /// The current value.
    public func load(ordering: AtomicLoadOrdering = .acquiring) -> Value {
        switch ordering {
        case .relaxed: atomic.load(ordering: .relaxed)
        case .acquiring: atomic.load(ordering: .acquiring)
        default: atomic.load(ordering: .sequentiallyConsistent)
        }
    }

    /// Replaces the value.
    public func store(_ value: Value, ordering: AtomicStoreOrdering = .releasing) {
        switch ordering {
        case .relaxed: atomic.store(value, ordering: .relaxed)
        case .releasing: atomic.store(value, ordering: .releasing)
        default: atomic.store(value, ordering: .sequentiallyConsistent)
        }
    }

    /// Replaces the value and returns the one it replaced.
    @discardableResult
    public func exchange(_ value: Value, ordering: AtomicUpdateOrdering = .acquiringAndReleasing) -> Value {
        switch ordering {
        case .relaxed: atomic.exchange(value, ordering: .relaxed)
        case .acquiring: atomic.exchange(value, ordering: .acquiring)
        case .releasing: atomic.exchange(value, ordering: .releasing)
        case .acquiringAndReleasing: atomic.exchange(value, ordering: .acquiringAndReleasing)
        default: atomic.exchange(value, ordering: .sequentiallyConsistent)
        }
    }

    /// Replaces the value with `desired` if it is `expected`; returns whether it did and the value it saw.
    @discardableResult
    public func compareExchange(expected: Value, desired: Value, ordering: AtomicUpdateOrdering = .acquiringAndReleasing) -> (exchanged: Bool, original: Value) {
        switch ordering {
        case .relaxed: atomic.compareExchange(expected: expected, desired: desired, ordering: .relaxed)
        case .acquiring: atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiring)
        case .releasing: atomic.compareExchange(expected: expected, desired: desired, ordering: .releasing)
        case .acquiringAndReleasing: atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
        default: atomic.compareExchange(expected: expected, desired: desired, ordering: .sequentiallyConsistent)
        }
    }

    /// Adds `operand` (wrapping on overflow) and returns the value before the addition.
    @discardableResult
    public func loadThenWrappingIncrement(by operand: Value = 1, ordering: AtomicUpdateOrdering = .acquiringAndReleasing) -> Value {
        switch ordering {
        case .relaxed: atomic.loadThenWrappingIncrement(by: operand, ordering: .relaxed)
        case .acquiring: atomic.loadThenWrappingIncrement(by: operand, ordering: .acquiring)
        case .releasing: atomic.loadThenWrappingIncrement(by: operand, ordering: .releasing)
        case .acquiringAndReleasing: atomic.loadThenWrappingIncrement(by: operand, ordering: .acquiringAndReleasing)
        default: atomic.loadThenWrappingIncrement(by: operand, ordering: .sequentiallyConsistent)
        }
    }

    /// Adds `operand` (wrapping on overflow).
    public func wrappingIncrement(by operand: Value = 1, ordering: AtomicUpdateOrdering = .acquiringAndReleasing) {
        switch ordering {
        case .relaxed: atomic.wrappingIncrement(by: operand, ordering: .relaxed)
        case .acquiring: atomic.wrappingIncrement(by: operand, ordering: .acquiring)
        case .releasing: atomic.wrappingIncrement(by: operand, ordering: .releasing)
        case .acquiringAndReleasing: atomic.wrappingIncrement(by: operand, ordering: .acquiringAndReleasing)
        default: atomic.wrappingIncrement(by: operand, ordering: .sequentiallyConsistent)
        }
    }

    /// Subtracts `operand` (wrapping on overflow) and returns the value before the subtraction.
    @discardableResult
    public func loadThenWrappingDecrement(by operand: Value = 1, ordering: AtomicUpdateOrdering = .acquiringAndReleasing) -> Value {
        switch ordering {
        case .relaxed: atomic.loadThenWrappingDecrement(by: operand, ordering: .relaxed)
        case .acquiring: atomic.loadThenWrappingDecrement(by: operand, ordering: .acquiring)
        case .releasing: atomic.loadThenWrappingDecrement(by: operand, ordering: .releasing)
        case .acquiringAndReleasing: atomic.loadThenWrappingDecrement(by: operand, ordering: .acquiringAndReleasing)
        default: atomic.loadThenWrappingDecrement(by: operand, ordering: .sequentiallyConsistent)
        }
    }
}

extension MappedFile {
    /// The atomic integer stored at `offset`, which must be a multiple of the value's size.
    ///
    /// - Throws: `.outOfBounds`, `.misaligned`.
    @_lifetime(borrow self)
    public func atomic<Value: AtomicInteger>(_ type: Value.Type, at offset: Int) throws(MappedMemoryError) -> MappedAtomic<Value>
    where Value.AtomicRepresentation.Value == Value {
        try MappedAtomic(file: self, offset: offset)
    }
}

extension MappedAtomic where Value == UInt32 {
    /// Sleeps while the value equals `expected`, until ``wake(_:)`` is called by any process,
    /// the value changes, or `timeout` passes (nil: no limit). Returns whether it was woken or
    /// saw a change (false: timed out). Spurious wake-ups happen: check the value again.
    ///
    /// Linux: a shared `FUTEX_WAIT`, costing nothing while asleep. Elsewhere: polls with short sleeps.
    public func wait(whileEqualTo expected: UInt32, timeout: Duration? = nil) -> Bool {
        let address = UnsafeMutableRawPointer(mutating: atomicAddress).assumingMemoryBound(to: UInt32.self)
        let nanoseconds: Int64 = timeout.map { duration in
            let (seconds, attoseconds) = duration.components
            return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        } ?? -1
        #if os(Linux)
        let result = mnemap_futex_wait(address, expected, nanoseconds)
        return result == 0 || currentErrno == EINTR
        #else
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while load(ordering: .acquiring) == expected {
            if let deadline, clock.now >= deadline { return false }
            FileLock.sleep(.microseconds(50))
        }
        return true
        #endif
    }

    /// Wakes up to `count` processes or threads sleeping in ``wait(whileEqualTo:timeout:)`` on this word.
    @discardableResult
    public func wake(_ count: Int32 = .max) -> Int {
        #if os(Linux)
        let address = UnsafeMutableRawPointer(mutating: atomicAddress).assumingMemoryBound(to: UInt32.self)
        return Int(max(0, mnemap_futex_wake(address, count)))
        #else
        return 0
        #endif
    }
}
