import Foundation
import Testing
@testable import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("SIGBUS turned into errors")
struct GuardedAccessTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }
    let page = MappedFile.pageSize

    @Test func truncationByAnotherProcessDuringGuardedReadsIsAnErrorNotACrash() throws {
        let path = try directory.file("truncated", contents: pattern(16 * page))
        let file = try MappedFile(path: path)
        #expect(try file.guardedLoad(fromByteOffset: 5 * page, as: UInt8.self) == pattern(16 * page)[5 * page])
        #expect(try Helper.run("truncate", path, String(2 * page)) == "truncated")

        do {
            _ = try file.guardedLoad(fromByteOffset: 5 * page + 3, as: UInt64.self)
            Issue.record("expected a page fault error")
        } catch {
            #expect(error.reason == .pageFault(offset: 5 * page))
            #expect(error.path == path)
            #expect(error.description.contains("truncated"))
        }
        // Pages the file still backs read normally.
        #expect(try file.guardedCopyBytes(fromByteOffset: 0, count: 100) == Array(pattern(100)))
        // A guarded scan over everything reports the first unbacked offset.
        do {
            _ = try file.withGuardedBytes { bytes in bytes.reduce(0) { $0 &+ Int($1) } }
            Issue.record("expected a page fault error")
        } catch let error as MappedMemoryError {
            #expect(error.reason == .pageFault(offset: 2 * page))
        }
        #expect(throws: MappedMemoryError.self) { _ = try file.guardedCopyBytes(fromByteOffset: 3 * page, count: 2 * page) }
    }

    @Test func pagesSeenAsFaultsShowTheFileAgainOnceItIsExtended() throws {
        let path = try directory.file("regrown", contents: pattern(8 * page))
        let file = try MappedFile(path: path)
        #expect(try Helper.run("truncate", path, String(page)) == "truncated")
        #expect(throws: MappedMemoryError.self) { _ = try file.guardedLoad(fromByteOffset: 4 * page, as: UInt8.self) }
        // Another writer extends the file again with new data.
        let fd = open(path, O_WRONLY)
        let fresh = pattern(7 * page, seed: 99)
        _ = fresh.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(page)) }
        close(fd)
        #expect(try file.guardedLoad(fromByteOffset: 4 * page, as: UInt8.self) == fresh[3 * page])
        file.withUnsafeBytes { #expect($0[4 * page + 1] == fresh[3 * page + 1]) }
    }

    @Test func guardedStoresToATruncatedFileAreErrors() throws {
        let path = try directory.file("store", contents: pattern(4 * page))
        var file = try MappedFile(path: path, mode: .readWrite)
        #expect(try Helper.run("truncate", path, "0") == "truncated")
        #expect(throws: MappedMemoryError.self) { try file.guardedStoreBytes(of: UInt64(1), toByteOffset: page) }
        #expect(throws: MappedMemoryError.self) {
            try pattern(100).withUnsafeBytes { try file.guardedCopyBytes(from: $0, toByteOffset: 10) }
        }
        #expect(throws: MappedMemoryError.self) {
            try file.withGuardedMutableBytes { $0[3 * page] = 1 }
        }
        #expect(fileSize(path) == 0)
        try file.remap()
        #expect(file.count == 0)
    }

    @Test func guardedAccessWithoutFaultsReturnsTheResult() throws {
        let path = try directory.file("fine", contents: pattern(3 * page))
        var file = try MappedFile(path: path, mode: .readWrite)
        let sum = try file.withGuardedBytes { $0.reduce(0) { $0 &+ Int($1) } }
        #expect(sum == pattern(3 * page).reduce(0) { $0 &+ Int($1) })
        try file.guardedStoreBytes(of: UInt32(7), toByteOffset: 2)
        #expect(try file.guardedLoad(fromByteOffset: 2, as: UInt32.self) == 7)
        struct Expected: Error {}
        #expect(throws: Expected.self) { try file.withGuardedBytes { _ in throw Expected() } }
    }
}
