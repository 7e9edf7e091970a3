#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owner of one memory mapping of a file (or of anonymous shared memory).
///
/// `MappedFile` is `~Copyable`: exactly one value owns the mapping and unmaps it
/// (and closes its descriptor) when it is destroyed. Bytes are lent out as
/// ``bytes`` (`RawSpan`) and ``mutableBytes()`` (`MutableRawSpan`), whose
/// lifetimes the compiler ties to the owner, or through `withUnsafe…` closures.
/// Operations that can move the mapping (``resize(to:)``, ``remap(length:)``)
/// are `mutating`, so no view can outlive them.
///
/// Any offset and length can be mapped: page alignment is handled inside, and
/// offset 0 of every view is the requested file offset. An empty file maps to
/// an empty view. Mappings may be far larger than physical memory: nothing is
/// read until it is touched.
///
/// Cost: opening is one `open`, one `fstat` and one `mmap`, independent of the
/// file's size. Reads of resident pages cost what reads of RAM cost; the first
/// touch of a page that is not in the page cache waits for the disk.
public struct MappedFile: ~Copyable, @unchecked Sendable {
    /// How the file is mapped.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Readable only; writes through the mapping are impossible.
        case readOnly
        /// Shared and writable: stores reach the page cache at once, are seen by every
        /// process that maps the file, and reach the disk at the next flush or sync
        /// (or whenever the kernel writes back).
        case readWrite
        /// Private copy-on-write: stores are visible only to this mapping and never reach the file.
        case privateCopyOnWrite
        /// Anonymous shared memory without a file: shared with `fork`ed children, gone when the last one exits.
        case anonymousShared

        public var description: String {
            switch self {
            case .readOnly: "read-only"
            case .readWrite: "read-write shared"
            case .privateCopyOnWrite: "private copy-on-write"
            case .anonymousShared: "anonymous shared"
            }
        }

        var isWritable: Bool { self != .readOnly }
    }

    /// Choices made when the mapping is created.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Create the file if it does not exist (only with `.readWrite`).
        public static let create = Options(rawValue: 1 << 0)
        /// Fault every page in while mapping (`MAP_POPULATE` on Linux; touches pages elsewhere).
        /// Opening then costs a read of the whole range.
        public static let populate = Options(rawValue: 1 << 1)
        /// Allow `length` to reach past the end of the file: the address space is reserved, and
        /// the pages past the end become readable as the file grows (by any process), with no
        /// remap. Touching a page past the end raises SIGBUS: the caller must know how far the
        /// file reaches (engines keep that in their metadata). Ignored with `.populate`.
        public static let pastEndOfFile = Options(rawValue: 1 << 2)
    }

    /// Page-aligned start of the OS mapping, or nil when nothing is mapped (empty range).
    @usableFromInline var mapping: UnsafeMutableRawPointer?
    /// Length of the OS mapping in bytes (`delta + count`, rounded up to pages).
    @usableFromInline var mappingLength: Int
    /// Distance from `mapping` to the byte at `offset`, below one page.
    @usableFromInline let delta: Int
    /// Bytes visible through the views.
    public private(set) var count: Int
    /// The file offset of view offset 0.
    public let offset: Int64
    /// How the file is mapped.
    public let mode: Mode
    /// The file's path, when it has one (used in errors).
    public let path: String?
    let descriptor: Int32
    let system: SystemCalls

    /// The system's page size in bytes.
    public static var pageSize: Int { Platform.pageSize }

    /// Maps `length` bytes of the file at `path` from `offset` (to the end of the file when `length` is nil).
    ///
    /// - Parameters:
    ///   - mode: `.readOnly`, `.readWrite` or `.privateCopyOnWrite` (not `.anonymousShared`:
    ///     use ``anonymousShared(count:)``).
    ///   - offset: Any byte offset; need not be page-aligned.
    ///   - length: Bytes to map; `offset + length` must not pass the end of the file
    ///     (grow it first with ``resize(to:)``), because touching pages past the end raises SIGBUS.
    ///   - options: ``Options/create``, ``Options/populate``.
    ///   - system: The system-call seam; tests pass one that fails on purpose.
    /// - Throws: `MappedMemoryError` with the path and `errno` when the file cannot be opened
    ///   or mapped, `.outOfBounds` when the range passes the end of the file.
    public init(
        path: String,
        mode: Mode = .readOnly,
        offset: Int64 = 0,
        length: Int? = nil,
        options: Options = [],
        system: SystemCalls = .live
    ) throws(MappedMemoryError) {
        guard mode != .anonymousShared else {
            throw MappedMemoryError(operation: "open", path: path, reason: .invalidArgument("anonymous shared memory has no file; use MappedFile.anonymousShared(count:)."))
        }
        if options.contains(.create) && mode != .readWrite {
            throw MappedMemoryError(operation: "open", path: path, reason: .invalidArgument("creating a file needs mode .readWrite, not \(mode)."))
        }
        var flags = mode == .readWrite ? Platform.openReadWrite : Platform.openReadOnly
        if options.contains(.create) { flags |= Platform.openCreate }
        let fd = try system.openFile(path, flags: flags)
        try self.init(descriptor: fd, path: path, mode: mode, offset: offset, length: length, options: options, system: system)
    }

    /// Creates (or opens) the file at `path`, makes it at least `size` bytes with every
    /// block allocated, and maps all of it read-write.
    ///
    /// - Throws: `ENOSPC` when the disk cannot hold `size` bytes (the file keeps its old size).
    public static func create(
        path: String,
        size: Int,
        permissions: mode_t = 0o644,
        system: SystemCalls = .live
    ) throws(MappedMemoryError) -> MappedFile {
        let fd = try system.openFile(path, flags: Platform.openReadWrite | Platform.openCreate, permissions: permissions)
        do {
            let current = try system.size(of: fd, path: path)
            if current < Int64(size) {
                try Growth.extend(fd: fd, from: current, to: Int64(size), path: path, system: system)
            }
        } catch {
            _ = system.close(fd)
            throw error
        }
        return try MappedFile(descriptor: fd, path: path, mode: .readWrite, offset: 0, length: nil, options: [], system: system)
    }

    /// Anonymous shared memory of `count` bytes, zero-filled, without a file.
    ///
    /// Children created with `fork` after this call share the pages with the parent
    /// (writes are seen both ways); `exec` ends the sharing. Use ``SharedMemory`` to
    /// share with unrelated processes.
    public static func anonymousShared(count: Int, system: SystemCalls = .live) throws(MappedMemoryError) -> MappedFile {
        guard count >= 0 else {
            throw MappedMemoryError(operation: "mmap", path: nil, reason: .invalidArgument("count must not be negative (got \(count))."))
        }
        var file = MappedFile(unmappedDescriptor: -1, path: nil, mode: .anonymousShared, offset: 0, delta: 0, system: system)
        try file.mapFresh(count: count, populate: false)
        return file
    }

    /// Maps an open descriptor, taking ownership of it (closed on failure too).
    init(
        descriptor fd: Int32,
        path: String?,
        mode: Mode,
        offset: Int64,
        length: Int?,
        options: Options,
        system: SystemCalls
    ) throws(MappedMemoryError) {
        let populate = options.contains(.populate) && !options.contains(.pastEndOfFile)
        let delta = Int(offset % Int64(Platform.pageSize))
        let count: Int
        let mapped: (address: UnsafeMutableRawPointer?, length: Int)
        do {
            count = try Self.validatedCount(descriptor: fd, path: path, offset: offset, length: length, pastEnd: options.contains(.pastEndOfFile), system: system)
            mapped = try Self.map(count: count, delta: delta, mode: mode, descriptor: fd, fileOffset: offset - Int64(delta), populate: populate, path: path, system: system)
        } catch {
            _ = system.close(fd)
            throw error
        }
        self.mapping = mapped.address
        self.mappingLength = mapped.length
        self.delta = delta
        self.count = count
        self.offset = offset
        self.mode = mode
        self.path = path
        self.descriptor = fd
        self.system = system
        if populate && Platform.mapPopulate == 0 {
            try? prefault()
        }
        checkInvariants()
    }

    /// The byte count to map at `offset`: `length`, or the rest of the file; throws when it passes the end.
    private static func validatedCount(descriptor fd: Int32, path: String?, offset: Int64, length: Int?, pastEnd: Bool, system: SystemCalls) throws(MappedMemoryError) -> Int {
        let fileSize = try system.size(of: fd, path: path)
        let available = fileSize - offset
        guard offset >= 0, available >= 0 else {
            throw MappedMemoryError(operation: "mmap", path: path, reason: .outOfBounds(offset: Int(offset), count: length ?? 0, size: Int(fileSize)))
        }
        let count = length ?? Int(available)
        guard count >= 0, Int64(count) <= available || pastEnd else {
            throw MappedMemoryError(operation: "mmap", path: path, reason: .outOfBounds(offset: Int(offset), count: count, size: Int(fileSize)))
        }
        return count
    }

    private init(unmappedDescriptor fd: Int32, path: String?, mode: Mode, offset: Int64, delta: Int, system: SystemCalls) {
        self.mapping = nil
        self.mappingLength = 0
        self.delta = delta
        self.count = 0
        self.offset = offset
        self.mode = mode
        self.path = path
        self.descriptor = fd
        self.system = system
    }

    deinit {
        if let mapping {
            _ = system.munmap(mapping, mappingLength)
        }
        if descriptor >= 0 {
            _ = system.close(descriptor)
        }
    }

    /// Whether the mapping shows no bytes.
    public var isEmpty: Bool { count == 0 }

    /// The address of view offset 0, for engines that coordinate their own concurrent
    /// access (e.g. many reader threads and one writer on a shared file).
    ///
    /// Valid until the mapping is resized, remapped or destroyed; nothing checks that.
    /// Prefer ``bytes`` and the `withUnsafe…` methods.
    @inlinable
    public var unsafeBaseAddress: UnsafeMutableRawPointer? {
        mapping.map { $0 + delta }
    }

    var protection: Int32 { Self.protection(mode) }
    var mapFlags: Int32 { Self.mapFlags(mode) }

    static func protection(_ mode: Mode) -> Int32 {
        switch mode {
        case .readOnly: Platform.protRead
        case .readWrite, .privateCopyOnWrite, .anonymousShared: Platform.protRead | Platform.protWrite
        }
    }

    static func mapFlags(_ mode: Mode) -> Int32 {
        switch mode {
        case .readOnly, .readWrite: Platform.mapShared
        case .privateCopyOnWrite: Platform.mapPrivate
        case .anonymousShared: Platform.mapShared | Platform.mapAnonymous
        }
    }

    /// The page-aligned file offset of `mapping`.
    var alignedOffset: Int64 { offset - Int64(delta) }

    static func roundUpToPage(_ value: Int) -> Int {
        let page = Platform.pageSize
        return (value + page - 1) / page * page
    }

    /// Maps `count` bytes when nothing is mapped yet.
    mutating func mapFresh(count newCount: Int, populate: Bool) throws(MappedMemoryError) {
        assert(mapping == nil)
        let mapped = try Self.map(count: newCount, delta: delta, mode: mode, descriptor: descriptor, fileOffset: alignedOffset, populate: populate, path: path, system: system)
        mapping = mapped.address
        mappingLength = mapped.length
        count = newCount
        checkInvariants()
    }

    /// One `mmap` of `count` bytes starting `delta` bytes into the page at `fileOffset`; nothing for 0 bytes.
    static func map(count: Int, delta: Int, mode: Mode, descriptor: Int32, fileOffset: Int64, populate: Bool, path: String?, system: SystemCalls) throws(MappedMemoryError) -> (address: UnsafeMutableRawPointer?, length: Int) {
        guard count > 0 else { return (nil, 0) }
        let length = roundUpToPage(delta + count)
        var flags = mapFlags(mode)
        if populate { flags |= Platform.mapPopulate }
        guard let address = system.mmap(nil, length, protection(mode), flags, descriptor, fileOffset) else {
            throw .system("mmap", path: path, errno: currentErrno)
        }
        return (address, length)
    }

    /// Changes the mapped length to `newCount` bytes, moving the mapping if it must.
    /// On failure the old mapping is intact.
    mutating func changeMappedCount(to newCount: Int) throws(MappedMemoryError) {
        let newLength = newCount == 0 ? 0 : Self.roundUpToPage(delta + newCount)
        guard let old = mapping else {
            try mapFresh(count: newCount, populate: false)
            return
        }
        if newLength == mappingLength {
            count = newCount
        } else if newLength == 0 {
            guard system.munmap(old, mappingLength) == 0 else { throw .system("munmap", path: path, errno: currentErrno) }
            mapping = nil
            mappingLength = 0
            count = 0
        } else if Platform.canRemapInPlace {
            guard let moved = system.mremap(old, mappingLength, newLength) else {
                throw .system("mremap", path: path, errno: currentErrno)
            }
            mapping = moved
            mappingLength = newLength
            count = newCount
        } else {
            guard let fresh = system.mmap(nil, newLength, protection, mapFlags, descriptor, alignedOffset) else {
                throw .system("mmap", path: path, errno: currentErrno)
            }
            _ = system.munmap(old, mappingLength)
            mapping = fresh
            mappingLength = newLength
            count = newCount
        }
        checkInvariants()
    }

    /// Debug-build check of the mapping's bookkeeping.
    func checkInvariants() {
        assert(delta >= 0 && delta < Platform.pageSize)
        assert(count >= 0)
        assert((mapping == nil) == (mappingLength == 0))
        assert(mapping == nil || mappingLength == Self.roundUpToPage(delta + count))
        assert(mapping.map { Int(bitPattern: $0) % Platform.pageSize == 0 } ?? true)
    }

    /// Throws `.outOfBounds` unless `offset..<offset+length` lies inside the view.
    /// Inlined: the check is two comparisons on the hot path; the error is built out of line.
    @inlinable @inline(__always)
    func checkRange(_ operation: String, offset rangeOffset: Int, count length: Int) throws(MappedMemoryError) {
        guard rangeOffset >= 0, length >= 0, rangeOffset <= count, length <= count - rangeOffset else {
            throw outOfBounds(operation, offset: rangeOffset, count: length)
        }
    }

    @usableFromInline @inline(never)
    func outOfBounds(_ operation: String, offset rangeOffset: Int, count length: Int) -> MappedMemoryError {
        MappedMemoryError(operation: operation, path: path, reason: .outOfBounds(offset: rangeOffset, count: length, size: count))
    }

    @inlinable
    func checkWritable(_ operation: String) throws(MappedMemoryError) {
        guard mode != .readOnly else {
            throw MappedMemoryError(operation: operation, path: path, reason: .notPermittedByMode(mode))
        }
    }
}
