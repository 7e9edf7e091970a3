import Foundation
import Synchronization
import Testing
@testable import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Injected system-call failures")
struct FaultInjectionTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func fullDiskOnGrowIsAnErrorAndLeavesFileAndMappingUsable() throws {
        var system = SystemCalls.live
        system.allocate = { _, _, _ in ENOSPC }
        let path = try directory.file("enospc", contents: pattern(4096))
        var file = try MappedFile(path: path, mode: .readWrite, system: system)
        do {
            try file.resize(to: 1 << 20)
            Issue.record("expected ENOSPC")
        } catch {
            #expect(error.errno == ENOSPC)
            #expect(error.operation == "grow")
            #expect(error.description.contains("Free disk space"))
        }
        #expect(file.count == 4096)
        #expect(fileSize(path) == 4096)
        try file.storeBytes(of: UInt64(5), toByteOffset: 4088)
        #expect(try file.copyBytes(fromByteOffset: 0, count: 100) == Array(pattern(4096).prefix(100)))
        #expect(throws: MappedMemoryError.self) { _ = try MappedFile.create(path: directory.file("new"), size: 1 << 20, system: system) }
    }

    @Test func ioErrorOnFlushIsReportedAndTheMappingStaysUsable() throws {
        let failures = Atomic<Int>(1)
        var system = SystemCalls.live
        system.msync = { address, length, flags in
            if failures.subtract(1, ordering: .relaxed).oldValue > 0 {
                currentErrno = EIO
                return -1
            }
            return SystemCalls.live.msync(address, length, flags)
        }
        let path = try directory.file("eio", contents: pattern(8192))
        var file = try MappedFile(path: path, mode: .readWrite, system: system)
        try file.storeBytes(of: UInt64(9), toByteOffset: 0)
        do {
            try file.flush()
            Issue.record("expected EIO")
        } catch {
            #expect(error.errno == EIO)
            #expect(error.description.contains("I/O error"))
        }
        try file.storeBytes(of: UInt64(10), toByteOffset: 8)
        try file.flush()
        #expect(preadBytes(path, offset: 8, count: 1) == [10])
    }

    @Test func interruptedCallsAreRetried() throws {
        let interruptions = Atomic<Int>(3)
        var system = SystemCalls.live
        system.fdatasync = { fd in
            if interruptions.subtract(1, ordering: .relaxed).oldValue > 0 {
                currentErrno = EINTR
                return -1
            }
            return SystemCalls.live.fdatasync(fd)
        }
        system.truncate = { fd, size in
            if interruptions.subtract(1, ordering: .relaxed).oldValue > 0 {
                currentErrno = EINTR
                return -1
            }
            return SystemCalls.live.truncate(fd, size)
        }
        let path = try directory.file("eintr", contents: pattern(4096))
        var file = try MappedFile(path: path, mode: .readWrite, system: system)
        try file.synchronize(.data)
        try file.resize(to: 8192)
        #expect(fileSize(path) == 8192)
    }

    @Test func shortWritesAreContinuedUntilEverythingIsWritten() throws {
        let calls = Atomic<Int>(0)
        var system = SystemCalls.live
        system.pwrite = { fd, buffer, count, offset in
            calls.add(1, ordering: .relaxed)
            return SystemCalls.live.pwrite(fd, buffer, min(count, 1000), offset)
        }
        let path = try directory.file("short", contents: [UInt8](repeating: 0, count: 10_000))
        let file = try MappedFile(path: path, mode: .readWrite, system: system)
        let data = pattern(9_500, seed: 1)
        try data.withUnsafeBytes { try file.write($0, atByteOffset: 200) }
        #expect(calls.load(ordering: .relaxed) == 10)
        #expect(preadBytes(path, offset: 200, count: 9_500) == data)
    }

    @Test func shortVectoredWritesAreContinuedUntilEveryBufferIsWritten() throws {
        let calls = Atomic<Int>(0)
        var system = SystemCalls.live
        // At most 700 bytes per call, so writes stop inside buffers and between them.
        system.pwritev = { fd, buffers, count, offset in
            calls.add(1, ordering: .relaxed)
            var limited: [iovec] = []
            var budget = 700
            for vector in UnsafeBufferPointer(start: buffers, count: Int(count)) where budget > 0 {
                limited.append(iovec(iov_base: vector.iov_base, iov_len: min(vector.iov_len, budget)))
                budget -= min(vector.iov_len, budget)
            }
            return SystemCalls.live.pwritev(fd, limited, Int32(limited.count), offset)
        }
        let path = try directory.file("vectored", contents: [UInt8](repeating: 0, count: 10_000))
        let file = try SystemFile(path: path, system: system)
        let pieces = [pattern(1_000, seed: 1), [], pattern(300, seed: 2), pattern(2_500, seed: 3), pattern(1, seed: 4)]
        try pieces[0].withUnsafeBytes { a in try pieces[1].withUnsafeBytes { b in try pieces[2].withUnsafeBytes { c in
            try pieces[3].withUnsafeBytes { d in try pieces[4].withUnsafeBytes { e in try file.write([a, b, c, d, e], at: 100) } }
        } } }
        let expected = pieces.flatMap { $0 }
        #expect(calls.load(ordering: .relaxed) == (expected.count + 699) / 700)
        #expect(preadBytes(path, offset: 100, count: expected.count) == expected)
        #expect(preadBytes(path, offset: 100 + Int64(expected.count), count: 10) == [UInt8](repeating: 0, count: 10))
    }

    @Test func failedMmapDuringRemapKeepsTheOldMapping() throws {
        var system = SystemCalls.live
        system.mremap = { _, _, _ in currentErrno = ENOMEM; return nil }
        system.mmap = { address, length, protection, flags, fd, offset in
            if length > 4096 { currentErrno = ENOMEM; return nil }
            return SystemCalls.live.mmap(address, length, protection, flags, fd, offset)
        }
        let path = try directory.file("enomem", contents: pattern(4096))
        var file = try MappedFile(path: path, mode: .readWrite, system: system)
        #expect(throws: MappedMemoryError.self) { try file.resize(to: 1 << 20) }
        #expect(file.count == 4096)
        #expect(fileSize(path) == 4096, "a failed remap rolls the file size back")
        #expect(try file.copyBytes(fromByteOffset: 0, count: 4096) == pattern(4096))
    }

    @Test func failedFsyncIsAnError() throws {
        var system = SystemCalls.live
        system.fsync = { _ in currentErrno = EIO; return -1 }
        let path = try directory.file("fsync", contents: pattern(10))
        let file = try MappedFile(path: path, mode: .readWrite, system: system)
        #expect(throws: MappedMemoryError(operation: "fsync", path: path, reason: .system(errno: EIO))) {
            try file.synchronize(.full)
        }
    }
}
