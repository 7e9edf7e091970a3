import Foundation
import Testing
@testable import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Growth, paging and residency")
struct GrowthAndPagingTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }
    let page = MappedFile.pageSize

    @Test func growingAllocatesTheNewSpaceAndKeepsTheContents() throws {
        let path = directory.file("grow")
        var file = try MappedFile.create(path: path, size: 4096)
        try file.copyBytes(from: pattern(4096), toByteOffset: 0)
        try file.resize(to: 10 << 20)
        #expect(file.count == 10 << 20)
        #expect(fileSize(path) == 10 << 20)
        // Allocated, not sparse: a full disk would have failed here, not later with SIGBUS.
        #expect(allocatedBytes(path) >= 10 << 20)
        #expect(try file.copyBytes(fromByteOffset: 0, count: 4096) == pattern(4096))
        #expect(try file.load(fromByteOffset: (10 << 20) - 8, as: UInt64.self) == 0)
        try file.storeBytes(of: UInt64(77), toByteOffset: (10 << 20) - 8)
        try file.resize(to: 100)
        #expect(fileSize(path) == 100)
        #expect(try file.copyBytes(fromByteOffset: 0, count: 100) == Array(pattern(4096).prefix(100)))
    }

    @Test func growingAMappingAtAnUnalignedOffsetSetsTheFileSizeToOffsetPlusCount() throws {
        let path = try directory.file("offset", contents: pattern(5000))
        var file = try MappedFile(path: path, mode: .readWrite, offset: 4999, length: 1)
        try file.resize(to: 3 * page)
        #expect(fileSize(path) == Int64(4999 + 3 * page))
        #expect(try file.load(fromByteOffset: 0, as: UInt8.self) == pattern(5000)[4999])
        try file.storeBytes(of: UInt8(5), toByteOffset: 3 * page - 1)
        #expect(preadBytes(path, offset: Int64(4999 + 3 * page - 1), count: 1) == [5])
    }

    @Test func readersRemapWhenAnotherMappingGrewTheFile() throws {
        let path = directory.file("remap")
        var writer = try MappedFile.create(path: path, size: page)
        var reader = try MappedFile(path: path)
        try writer.resize(to: 64 * page)
        try writer.storeBytes(of: UInt64(0xFEED), toByteOffset: 63 * page)
        #expect(reader.count == page)
        #expect(try reader.fileSize() == Int64(64 * page))
        try reader.remap()
        #expect(reader.count == 64 * page)
        #expect(try reader.load(fromByteOffset: 63 * page, as: UInt64.self) == 0xFEED)
        try reader.remap(length: 10)
        #expect(reader.count == 10)
        #expect(throws: MappedMemoryError.self) { try reader.remap(length: 65 * page) }
    }

    @Test func aReservationPastTheEndShowsWhatAnotherWriterAppendsWithoutRemapping() throws {
        let path = try directory.file("reserved", contents: pattern(page))
        let reader = try MappedFile(path: path, length: 1 << 30, options: .pastEndOfFile)
        #expect(reader.count == 1 << 30)
        let writer = try SystemFile(path: path)
        try writer.grow(to: Int64(200 * page))
        #expect(allocatedBytes(path) >= Int64(200 * page))
        let data = pattern(page, seed: 42)
        try data.withUnsafeBytes { try writer.write($0, at: Int64(150 * page)) }
        try writer.synchronize()
        #expect(try reader.copyBytes(fromByteOffset: 150 * page, count: page) == data)
        var buffer = [UInt8](repeating: 0, count: page)
        let read = try buffer.withUnsafeMutableBytes { try writer.read(into: $0, at: Int64(150 * page)) }
        #expect(read == page && buffer == data)
        #expect(throws: MappedMemoryError.self) { _ = try MappedFile(path: path, length: 1 << 30) }
    }

    @Test func aSparseMappingFarLargerThanMemoryIsTouchedSparsely() throws {
        // 64 GiB of address space on a machine with less RAM: only touched pages cost memory.
        let size: Int64 = 64 << 30
        let path = directory.file("sparse")
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        #expect(ftruncate(fd, off_t(size)) == 0)
        close(fd)
        var file = try MappedFile(path: path, mode: .readWrite)
        #expect(file.count == Int(size))
        try file.advise(.random)
        for gibibyte in stride(from: 0, to: Int(size), by: 1 << 30) {
            #expect(try file.load(fromByteOffset: gibibyte + 12_345, as: UInt64.self) == 0)
            try file.storeBytes(of: UInt64(gibibyte), toByteOffset: gibibyte + 8)
        }
        for gibibyte in stride(from: 0, to: Int(size), by: 1 << 30) {
            #expect(try file.load(fromByteOffset: gibibyte + 8, as: UInt64.self) == UInt64(gibibyte))
        }
        let resident = try file.residentPageCount(range: 0..<(1 << 30))
        #expect(resident < 1024, "touching 2 pages of a GiB must not fault the GiB in (\(resident) pages resident)")
        #expect(allocatedBytes(path) < 256 << 20)
    }

    @Test func everyPagingAdviceIsAcceptedOnAnyRange() throws {
        let path = try directory.file("advice", contents: pattern(16 * page))
        let file = try MappedFile(path: path, offset: 100, length: 10 * page)
        for advice in PagingAdvice.allCases {
            try file.advise(advice)
            try file.advise(advice, range: 1..<(3 * page + 7))
            try file.advise(advice, range: 5..<5)
        }
        #expect(throws: MappedMemoryError.self) { try file.advise(.willNeed, range: 0..<(11 * page)) }
        // Advice never changes a shared mapping's bytes.
        file.withUnsafeBytes { #expect(Array($0) == Array(pattern(16 * page)[100..<(100 + 10 * page)])) }
    }

    @Test func residencyFollowsEvictAndPrefaultPageByPage() throws {
        let path = try directory.file("residency", contents: pattern(32 * page))
        let file = try MappedFile(path: path)
        try file.advise(.random)  // no read-around: fault exactly the pages asked for
        try file.evict()
        let evicted = try file.residency()
        #expect(evicted.totalPages == 32)
        #expect(evicted.residentPages == 0)
        try file.prefault(range: (4 * page)..<(8 * page))
        let partial = try file.residency()
        #expect(partial.pages == (0..<32).map { (4..<8).contains($0) })
        #expect(try file.residentPageCount(range: (4 * page + 1)..<(5 * page)) == 1)
        try file.prefault()
        #expect(try file.residentPageCount() == 32)
    }

    @Test func populateOptionFaultsThePagesInWhileMapping() throws {
        let path = try directory.file("populate", contents: pattern(16 * page))
        do { try MappedFile(path: path).evict() }
        let file = try MappedFile(path: path, options: .populate)
        #expect(try file.residentPageCount() == 16)
    }

    @Test func lockedPagesAreResidentAndCanBeUnlocked() throws {
        let path = try directory.file("lock", contents: pattern(16 * page))
        let file = try MappedFile(path: path)
        try file.evict()
        try file.lock(range: 0..<(4 * page))
        #expect(try file.residentPageCount(range: 0..<(4 * page)) == 4)
        try file.unlock(range: 0..<(4 * page))
        try file.lock()
        try file.unlock()
    }

    @Test func dontNeedOnAPrivateMappingDropsOnlyWholePagesInsideTheRange() throws {
        let contents = pattern(4 * page)
        let path = try directory.file("private-dontneed", contents: contents)
        var file = try MappedFile(path: path, mode: .privateCopyOnWrite)
        try file.storeBytes(of: UInt8(0xAA), toByteOffset: 10)
        try file.storeBytes(of: UInt8(0xBB), toByteOffset: 2 * page + 10)
        try file.advise(.dontNeed, range: 20..<(3 * page))
        #expect(try file.load(fromByteOffset: 10, as: UInt8.self) == 0xAA)
        #expect(try file.load(fromByteOffset: 2 * page + 10, as: UInt8.self) == contents[2 * page + 10])
    }
}
