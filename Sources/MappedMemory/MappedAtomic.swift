import Atomics

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

    @_lifetime(borrow file)
    init(file: borrowing MappedFile, offset: Int) throws(MappedMemoryError) {
        let size = MemoryLayout<Value>.size
        precondition(MemoryLayout<Value.AtomicRepresentation>.size == size, "atomic storage must have the value's layout")
        try file.checkRange("atomic", offset: offset, count: size)
        guard let base = file.unsafeBaseAddress, Int(bitPattern: base + offset) % size == 0 else {
            throw MappedMemoryError(operation: "atomic", path: file.path, reason: .misaligned(offset: offset, alignment: size))
        }
        atomic = UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Value.AtomicRepresentation.self))
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
