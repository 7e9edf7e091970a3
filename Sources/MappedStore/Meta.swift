import MappedMemory

/// What a tree is: its root and its size. Stored in the meta page (the main tree and the
/// catalog of named trees) and as the catalog's values (named trees). 48 bytes on disk.
public struct TreeInfo: Equatable, Sendable {
    /// Root page, 0 for an empty tree.
    var root: PageNumber = 0
    /// Entries (key–value pairs).
    public internal(set) var entries: UInt64 = 0
    public internal(set) var branchPages: UInt64 = 0
    public internal(set) var leafPages: UInt64 = 0
    public internal(set) var overflowPages: UInt64 = 0
    /// Levels: 0 for an empty tree, 1 for a single leaf.
    public internal(set) var depth: UInt32 = 0

    static let encodedSize = 48

    func encode(into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.put64(root, at: offset)
        raw.put64(entries, at: offset + 8)
        raw.put64(branchPages, at: offset + 16)
        raw.put64(leafPages, at: offset + 24)
        raw.put64(overflowPages, at: offset + 32)
        raw.put32(depth, at: offset + 40)
        raw.put32(0, at: offset + 44)
    }

    static func decode(_ pointer: UnsafeRawPointer) -> TreeInfo {
        TreeInfo(root: pointer.le64(0), entries: pointer.le64(8), branchPages: pointer.le64(16), leafPages: pointer.le64(24), overflowPages: pointer.le64(32), depth: pointer.le32(40))
    }

    var encoded: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.encodedSize)
        bytes.withUnsafeMutableBytes { encode(into: $0, at: 0) }
        return bytes
    }

    var totalPages: UInt64 { branchPages + leafPages + overflowPages }
}

/// A committed state: the root of everything. Written to one of the two meta pages (0 and 1)
/// of the data file when it becomes durable, and to the lock file when it becomes visible.
struct Meta: Equatable {
    static let magic: UInt64 = 0x564B_5041_4D45_4E4D  // "MNEMAPKV" little-endian
    /// The format written. Version 1 stored the free list as one run; version 2 adds delta runs
    /// (`docs/store-format.md`). Version 1 stores are read and become version 2 at the next commit.
    static let version: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2

    var txnID: UInt64
    /// Pages in use, meta pages included: every live page number is below it.
    var pageCount: UInt64
    /// First page of the free-list run (0: none) and its length in pages.
    var freeListPage: PageNumber
    var freeListPages: UInt32
    var main: TreeInfo
    var catalog: TreeInfo

    /// Body layout after the page header.
    static let bodySize = 8 + 4 + 4 + 8 + 8 + 8 + 4 + 4 + TreeInfo.encodedSize * 2

    static func empty() -> Meta {
        Meta(txnID: 0, pageCount: 2, freeListPage: 0, freeListPages: 0, main: TreeInfo(), catalog: TreeInfo())
    }

    /// A run of pages a commit wrote, as listed in its meta page: where, how long, and the
    /// checksum its header must hold. See ``page(slot:written:)``.
    struct WrittenRun: Equatable {
        var first: PageNumber
        var length: UInt32
        var checksum: UInt32
    }

    /// Where the list of written runs starts in a meta page, and how many fit.
    static let writtenOffset = PageLayout.headerSize + bodySize
    static let maxWrittenRuns = (PageLayout.pageSize - writtenOffset - 8) / 16

    /// The meta page image for slot `slot` (0 or 1), sealed with its checksum. `written` lists
    /// every run the commit wrote (at most ``maxWrittenRuns``) when the commit syncs its pages
    /// and this page together: opening then accepts this meta only if each run is on disk
    /// whole (see `docs/store-format.md`, "Commit").
    func page(slot: PageNumber, written: [WrittenRun] = []) -> PageBuffer {
        precondition(written.count <= Self.maxWrittenRuns)
        var buffer = PageBuffer(number: slot, kind: .meta, txnID: txnID)
        buffer.bytes.withUnsafeMutableBytes { raw in
            let base = PageLayout.headerSize
            raw.put64(Meta.magic, at: base)
            raw.put32(Meta.version, at: base + 8)
            raw.put32(UInt32(PageLayout.pageSize), at: base + 12)
            raw.put64(txnID, at: base + 16)
            raw.put64(pageCount, at: base + 24)
            raw.put64(freeListPage, at: base + 32)
            raw.put32(freeListPages, at: base + 40)
            raw.put32(0, at: base + 44)
            main.encode(into: raw, at: base + 48)
            catalog.encode(into: raw, at: base + 48 + TreeInfo.encodedSize)
            raw.put32(UInt32(written.count), at: Self.writtenOffset)
            var offset = Self.writtenOffset + 8
            for run in written {
                raw.put64(run.first, at: offset)
                raw.put32(run.length, at: offset + 8)
                raw.put32(run.checksum, at: offset + 12)
                offset += 16
            }
        }
        buffer.seal()
        return buffer
    }

    /// The runs a meta page lists as written with it (empty for a commit that synced its pages
    /// before writing the meta), or nil when the list is damaged. Call after ``decode(_:slot:)``
    /// succeeded (the page's checksum covers the list).
    static func writtenRuns(_ page: UnsafeRawBufferPointer) -> [WrittenRun]? {
        guard let base = page.baseAddress, page.count >= PageLayout.pageSize else { return nil }
        let count = Int(base.le32(writtenOffset))
        guard count <= maxWrittenRuns else { return nil }
        var runs: [WrittenRun] = []
        runs.reserveCapacity(count)
        var offset = writtenOffset + 8
        for _ in 0..<count {
            runs.append(WrittenRun(first: base.le64(offset), length: base.le32(offset + 8), checksum: base.le32(offset + 12)))
            offset += 16
        }
        return runs
    }

    enum DecodeFailure: Error, Equatable {
        case badMagic, badVersion(UInt32), badPageSize(UInt32), badChecksum, inconsistent(String)
    }

    /// Decodes and validates a meta page image (one page).
    static func decode(_ page: UnsafeRawBufferPointer, slot: PageNumber) -> Result<Meta, DecodeFailure> {
        guard page.count >= PageLayout.pageSize, let base = page.baseAddress else { return .failure(.badMagic) }
        let body = base + PageLayout.headerSize
        guard body.le64(0) == magic else { return .failure(.badMagic) }
        guard checksumMatches(UnsafeRawBufferPointer(rebasing: page[..<PageLayout.pageSize])) else { return .failure(.badChecksum) }
        guard readableVersions.contains(body.le32(8)) else { return .failure(.badVersion(body.le32(8))) }
        guard body.le32(12) == UInt32(PageLayout.pageSize) else { return .failure(.badPageSize(body.le32(12))) }
        guard base.load(fromByteOffset: PageLayout.kindOffset, as: UInt8.self) == PageKind.meta.rawValue,
              base.le64(PageLayout.numberOffset) == slot else { return .failure(.inconsistent("meta page header")) }
        let meta = Meta(
            txnID: body.le64(16),
            pageCount: body.le64(24),
            freeListPage: body.le64(32),
            freeListPages: body.le32(40),
            main: TreeInfo.decode(body + 48),
            catalog: TreeInfo.decode(body + 48 + TreeInfo.encodedSize)
        )
        if let problem = meta.inconsistency { return .failure(.inconsistent(problem)) }
        return .success(meta)
    }

    /// A reason the meta cannot be right, or nil.
    var inconsistency: String? {
        if pageCount < 2 || pageCount > UInt64(Int64.max) / UInt64(PageLayout.pageSize) { return "page count \(pageCount)" }
        for (name, tree) in [("main", main), ("catalog", catalog)] {
            if tree.root == 1 || (tree.root != 0 && tree.root >= pageCount) || (tree.root == 0) != (tree.depth == 0) || tree.depth > 64 {
                return "\(name) tree root \(tree.root) depth \(tree.depth)"
            }
        }
        if freeListPage != 0 && (freeListPage < 2 || freeListPage + UInt64(freeListPages) > pageCount || freeListPages == 0) {
            return "free list at \(freeListPage)+\(freeListPages)"
        }
        return nil
    }
}
