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

@Suite("SIGBUS outside guards, and real full disks")
struct UnguardedFaultTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func unguardedAccessToATruncatedFileStillDiesOfSigbus() throws {
        let path = try directory.file("unguarded", contents: pattern(4 * MappedFile.pageSize))
        let helper = try Helper("unguarded-read-after-truncate", path)
        #expect(helper.readLine() == nil, "the process must not survive an unguarded SIGBUS")
        helper.wait()
        #expect(helper.process.terminationReason == .uncaughtSignal)
        #expect(helper.process.terminationStatus == SIGBUS)
    }

    @Test func guardedReadsOnManyThreadsDuringTruncationEndInErrorsOrData() async throws {
        let page = MappedFile.pageSize
        let path = try directory.file("threads", contents: pattern(64 * page))
        let shared = SharedFile(try MappedFile(path: path))
        try await withThrowingTaskGroup(of: (successes: Int, faults: Int).self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var successes = 0
                    var faults = 0
                    let deadline = ContinuousClock.now + .seconds(30)
                    var round = 0
                    // Read until this thread has seen the truncation several times.
                    while faults < 10 && ContinuousClock.now < deadline {
                        let offset = ((round * 7 + worker * 13) % 64) * page
                        round += 1
                        do {
                            _ = try shared.file.guardedCopyBytes(fromByteOffset: offset, count: 64)
                            successes += 1
                        } catch {
                            faults += 1
                        }
                    }
                    return (successes, faults)
                }
            }
            #expect(try Helper.run("truncate", path, String(8 * page)) == "truncated")
            for try await result in group {
                #expect(result.faults == 10, "every thread gets errors, not a crash")
                #expect(result.successes > 0)
            }
        }
        // The process is alive, and the pages still backed read correctly.
        #expect(try shared.file.guardedCopyBytes(fromByteOffset: 0, count: 8 * page) == Array(pattern(8 * page)))
        #expect(throws: MappedMemoryError.self) { _ = try shared.file.guardedLoad(fromByteOffset: 8 * page, as: UInt8.self) }
    }

    @Test(.enabled(if: SmallFileSystem.canMount, "needs permission to mount a tmpfs"))
    func onARealFullDiskGrowingIsAnErrorAndSparseStoresAreCaughtByTheGuard() throws {
        let small = try SmallFileSystem(bytes: 1 << 20)
        let path = small.path + "/data"
        var file = try MappedFile.create(path: path, size: 256 << 10)
        try file.storeBytes(of: UInt64(1), toByteOffset: 0)
        do {
            try file.resize(to: 4 << 20)
            Issue.record("expected ENOSPC")
        } catch {
            #expect(error.errno == ENOSPC)
        }
        #expect(file.count == 256 << 10)
        #expect(fileSize(path) == 256 << 10)
        try file.storeBytes(of: UInt64(2), toByteOffset: (256 << 10) - 8)
        try file.flush()

        // What resize prevents: a sparse file (ftruncate alone) dies of SIGBUS when a store finds
        // no free block. The guarded path turns it into an error.
        let sparsePath = small.path + "/sparse"
        let fd = open(sparsePath, O_RDWR | O_CREAT, 0o644)
        #expect(ftruncate(fd, off_t(8 << 20)) == 0)
        close(fd)
        var sparse = try MappedFile(path: sparsePath, mode: .readWrite)
        do {
            try sparse.withGuardedMutableBytes { bytes in
                for offset in stride(from: 0, to: bytes.count, by: MappedFile.pageSize) { bytes[offset] = 1 }
            }
            Issue.record("expected a page fault on the full file system")
        } catch let error as MappedMemoryError {
            guard case .pageFault(let offset) = error.reason else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(offset > 0 && offset < 8 << 20)
        }
    }
}

/// A mapping read by several threads at once (reads only, so sharing it is safe).
final class SharedFile: Sendable {
    let file: MappedFile
    init(_ file: consuming MappedFile) { self.file = file }
}

/// A tmpfs of a given size mounted on a temporary folder: a real disk that fills up.
final class SmallFileSystem {
    let path: String

    static let canMount: Bool = {
        guard geteuid() == 0, let probe = try? SmallFileSystem(bytes: 64 << 10) else { return false }
        _ = probe
        return true
    }()

    init(bytes: Int) throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-small-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes)") == 0 else {
            rmdir(path)
            throw POSIXError(.EPERM)
        }
    }

    deinit {
        umount(path)
        rmdir(path)
    }
}
