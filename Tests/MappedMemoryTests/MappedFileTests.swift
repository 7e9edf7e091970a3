import Foundation
import Testing
@testable import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Mapping modes and views")
struct MappedFileTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func readOnlyMappingShowsTheFileThroughEveryView() throws {
        let contents = pattern(3 * 4096 + 123)
        let path = try directory.file("a", contents: contents)
        let file = try MappedFile(path: path)
        #expect(file.count == contents.count)
        #expect(file.mode == .readOnly)
        let span = file.bytes
        let spanCount = span.byteCount
        let spanByte = span.unsafeLoad(fromByteOffset: 5000, as: UInt8.self)
        #expect(spanCount == contents.count)
        #expect(spanByte == contents[5000])
        file.withUnsafeBytes { #expect(Array($0) == contents) }
        #expect(try file.copyBytes(fromByteOffset: 100, count: 50) == Array(contents[100..<150]))
        let expected = contents[4097..<4105].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(try file.load(fromByteOffset: 4097, as: UInt64.self) == expected)
    }

    @Test func anyOffsetAndLengthIsMappedWithAlignmentHandledInside() throws {
        let contents = pattern(5 * 4096)
        let path = try directory.file("b", contents: contents)
        for (offset, length) in [(1, 10), (4095, 2), (4097, 5000), (8192, 4096), (12_345, 7_000)] {
            let file = try MappedFile(path: path, offset: Int64(offset), length: length)
            #expect(file.count == length)
            file.withUnsafeBytes { #expect(Array($0) == Array(contents[offset..<offset + length])) }
            #expect(try file.load(fromByteOffset: 0, as: UInt8.self) == contents[offset])
            #expect(try file.load(fromByteOffset: length - 1, as: UInt8.self) == contents[offset + length - 1])
        }
        let tail = try MappedFile(path: path, offset: 3000)
        #expect(tail.count == contents.count - 3000)
    }

    @Test func typedLoadsAndStoresAreBoundsCheckedAndMayBeUnaligned() throws {
        let path = try directory.file("c", contents: [UInt8](repeating: 0, count: 100))
        var file = try MappedFile(path: path, mode: .readWrite)
        try file.storeBytes(of: UInt64(0x0102_0304_0506_0708), toByteOffset: 3)
        #expect(try file.load(fromByteOffset: 3, as: UInt64.self) == 0x0102_0304_0506_0708)
        try file.storeBytes(of: Float(1.5), toByteOffset: 96)
        #expect(try file.load(fromByteOffset: 96, as: Float.self) == 1.5)
        #expect(throws: MappedMemoryError.self) { try file.load(fromByteOffset: 93, as: UInt64.self) }
        #expect(throws: MappedMemoryError.self) { try file.load(fromByteOffset: -1, as: UInt8.self) }
        #expect(throws: MappedMemoryError.self) { try file.storeBytes(of: UInt32(1), toByteOffset: 97) }
        do {
            _ = try file.load(fromByteOffset: 99, as: UInt16.self)
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == .outOfBounds(offset: 99, count: 2, size: 100))
            #expect(error.description.contains(path))
        }
    }

    @Test func mutableSpanWritesReachTheFile() throws {
        let path = try directory.file("d", contents: [UInt8](repeating: 0, count: 64))
        var file = try MappedFile(path: path, mode: .readWrite)
        do {
            var span = try file.mutableBytes()
            span.storeBytes(of: UInt32(0xABCD_EF01), toByteOffset: 10, as: UInt32.self)
        }
        try file.withUnsafeMutableBytes { $0[0] = 42 }
        try file.flush()
        let onDisk = preadBytes(path, offset: 0, count: 64)
        #expect(onDisk[0] == 42)
        #expect(onDisk[10..<14].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } == 0xABCD_EF01)
    }

    @Test func emptyFileMapsToAnEmptyViewAndCanGrow() throws {
        let path = try directory.file("empty", contents: [])
        let readOnly = try MappedFile(path: path)
        #expect(readOnly.count == 0)
        let emptySpan = readOnly.bytes
        let emptyCount = emptySpan.byteCount
        #expect(emptyCount == 0)
        readOnly.withUnsafeBytes { #expect($0.isEmpty) }
        #expect(try readOnly.residentPageCount() == 0)
        #expect(throws: MappedMemoryError.self) { try readOnly.load(fromByteOffset: 0, as: UInt8.self) }

        var writable = try MappedFile(path: path, mode: .readWrite)
        try writable.resize(to: 10)
        try writable.storeBytes(of: UInt8(9), toByteOffset: 9)
        #expect(fileSize(path) == 10)
        try writable.resize(to: 0)
        #expect(writable.count == 0)
        #expect(fileSize(path) == 0)
    }

    @Test func rangesPastTheEndAndMissingFilesAreClearErrors() throws {
        let path = try directory.file("short", contents: pattern(100))
        #expect(throws: MappedMemoryError(operation: "mmap", path: path, reason: .outOfBounds(offset: 50, count: 51, size: 100))) {
            _ = try MappedFile(path: path, offset: 50, length: 51)
        }
        #expect(throws: MappedMemoryError.self) { _ = try MappedFile(path: path, offset: 101) }
        let missing = directory.file("missing")
        do {
            _ = try MappedFile(path: missing)
            Issue.record("expected an error")
        } catch {
            #expect(error.errno == ENOENT)
            #expect(error.description.contains(missing))
            #expect(error.description.contains("ENOENT"))
            #expect(error.description.contains("Check that the path exists"))
        }
        #expect(throws: MappedMemoryError.self) { _ = try MappedFile(path: directory.path, mode: .readWrite) }
    }

    @Test func readOnlyMappingsRefuseWrites() throws {
        let path = try directory.file("ro", contents: pattern(10))
        var file = try MappedFile(path: path)
        #expect(throws: MappedMemoryError(operation: "store", path: path, reason: .notPermittedByMode(.readOnly))) {
            try file.storeBytes(of: UInt8(1), toByteOffset: 0)
        }
        #expect(throws: MappedMemoryError.self) { _ = try file.mutableBytes() }
        #expect(throws: MappedMemoryError.self) { try file.withUnsafeMutableBytes { _ in } }
        #expect(throws: MappedMemoryError.self) { try file.resize(to: 20) }
        #expect(throws: MappedMemoryError.self) { try file.flush() }
    }

    @Test func privateCopyOnWriteMappingNeverChangesTheFile() throws {
        let contents = pattern(8192)
        let path = try directory.file("cow", contents: contents)
        var privateMap = try MappedFile(path: path, mode: .privateCopyOnWrite)
        try privateMap.storeBytes(of: UInt64.max, toByteOffset: 4000)
        try privateMap.copyBytes(from: [1, 2, 3], toByteOffset: 0)
        #expect(try privateMap.load(fromByteOffset: 4000, as: UInt64.self) == .max)
        #expect(throws: MappedMemoryError.self) { try privateMap.flush() }
        #expect(preadBytes(path, offset: 0, count: 8192) == contents)
        let shared = try MappedFile(path: path)
        shared.withUnsafeBytes { #expect(Array($0) == contents) }
    }

    @Test func dataFlushedThroughTheMapIsReadBackByPreadFromAnotherDescriptor() throws {
        let path = try directory.file("flush", contents: [UInt8](repeating: 0, count: 3 * 4096))
        var file = try MappedFile(path: path, mode: .readWrite, offset: 100, length: 10_000)
        let data = pattern(5000, seed: 3)
        try file.copyBytes(from: data, toByteOffset: 1234)
        try file.flush(range: 1234..<6234)
        try file.flush(mode: .asynchronous)
        try file.synchronize(.data)
        try file.synchronize(.full)
        #expect(preadBytes(path, offset: 1334, count: 5000) == data)
        // And writes through the descriptor are visible through the map (one page cache).
        let more = pattern(300, seed: 9)
        try more.withUnsafeBytes { try file.write($0, atByteOffset: 9000) }
        file.withUnsafeBytes { #expect(Array($0[9000..<9300]) == more) }
    }

    @Test func anonymousSharedMemoryIsSharedWithForkedChildren() throws {
        var shared = try MappedFile.anonymousShared(count: 4096)
        #expect(shared.mode == .anonymousShared)
        try shared.storeBytes(of: UInt64(1), toByteOffset: 0)
        let base = shared.unsafeBaseAddress!
        let child = fork()
        if child == 0 {
            // Only async-signal-safe work between fork and _exit.
            base.storeBytes(of: base.load(as: UInt64.self) + 41, toByteOffset: 8, as: UInt64.self)
            _exit(0)
        }
        #expect(child > 0)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        #expect(try shared.load(fromByteOffset: 8, as: UInt64.self) == 42)
        #expect(throws: MappedMemoryError.self) { try shared.resize(to: 8192) }
        #expect(throws: MappedMemoryError.self) { try shared.synchronize() }
    }
}
