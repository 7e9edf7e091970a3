/// Views of the mapped bytes. Offset 0 is the file offset the mapping was opened at.
extension MappedFile {
    /// The mapped bytes, readable for as long as this borrow of the owner lasts.
    ///
    /// The compiler stops the span from outliving the owner or a `resize`/`remap`.
    /// Accessing a page whose backing was truncated away by another process raises
    /// SIGBUS; use ``withGuardedBytes(_:)`` where that can happen.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        get {
            let buffer = UnsafeRawBufferPointer(start: unsafeBaseAddress, count: count)
            let span = RawSpan(_unsafeBytes: buffer)
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// The mapped bytes, writable, for as long as this exclusive access to the owner lasts.
    ///
    /// - Throws: `.notPermittedByMode` for a read-only mapping.
    @_lifetime(&self)
    public mutating func mutableBytes() throws(MappedMemoryError) -> MutableRawSpan {
        try checkWritable("mutableBytes")
        let buffer = UnsafeMutableRawBufferPointer(start: unsafeBaseAddress, count: count)
        let span = MutableRawSpan(_unsafeBytes: buffer)
        return _overrideLifetime(span, mutating: &self)
    }

    /// Calls `body` with the mapped bytes. The pointer is valid only inside `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: unsafeBaseAddress, count: count))
    }

    /// Calls `body` with the mapped bytes, writable. The pointer is valid only inside `body`.
    ///
    /// - Throws: `.notPermittedByMode` for a read-only mapping, or what `body` throws.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        try checkWritable("withUnsafeMutableBytes")
        return try body(UnsafeMutableRawBufferPointer(start: unsafeBaseAddress, count: count))
    }

    /// Loads a `T` from any byte offset (no alignment needed).
    ///
    /// - Throws: `.outOfBounds` when the value would pass the end of the mapping.
    @inlinable
    public func load<T: BitwiseCopyable>(fromByteOffset byteOffset: Int, as type: T.Type = T.self) throws(MappedMemoryError) -> T {
        try checkRange("load", offset: byteOffset, count: MemoryLayout<T>.size)
        return unsafeBaseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: byteOffset, as: T.self)
    }

    /// Stores `value` at any byte offset (no alignment needed).
    ///
    /// - Throws: `.outOfBounds` past the end, `.notPermittedByMode` for a read-only mapping.
    @inlinable
    public mutating func storeBytes<T: BitwiseCopyable>(of value: T, toByteOffset byteOffset: Int) throws(MappedMemoryError) {
        try checkWritable("store")
        try checkRange("store", offset: byteOffset, count: MemoryLayout<T>.size)
        unsafeBaseAddress.unsafelyUnwrapped.storeBytes(of: value, toByteOffset: byteOffset, as: T.self)
    }

    /// Copies `count` bytes starting at `byteOffset` out of the mapping.
    ///
    /// - Throws: `.outOfBounds` when the range passes the end of the mapping.
    public func copyBytes(fromByteOffset byteOffset: Int, count length: Int) throws(MappedMemoryError) -> [UInt8] {
        try checkRange("copyBytes", offset: byteOffset, count: length)
        guard length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: unsafeBaseAddress! + byteOffset, count: length))
    }

    /// Copies `source` into the mapping at `byteOffset`.
    ///
    /// - Throws: `.outOfBounds` past the end, `.notPermittedByMode` for a read-only mapping.
    public mutating func copyBytes(from source: some Collection<UInt8>, toByteOffset byteOffset: Int) throws(MappedMemoryError) {
        try checkWritable("copyBytes")
        try checkRange("copyBytes", offset: byteOffset, count: source.count)
        let target = UnsafeMutableRawBufferPointer(start: unsafeBaseAddress.map { $0 + byteOffset }, count: source.count)
        target.copyBytes(from: source)
    }
}
