import Foundation
import Testing
@testable import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Sharing between real processes")
struct MultiProcessTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func writesThroughASharedMappingAreSeenBothWays() throws {
        let path = directory.file("shared")
        var file = try MappedFile.create(path: path, size: 4096)
        #expect(try Helper.run("store", path, "16", "123456789") == "stored")
        #expect(try file.load(fromByteOffset: 16, as: UInt64.self) == 123_456_789)
        try file.storeBytes(of: UInt64(987_654_321), toByteOffset: 24)
        #expect(try Helper.run("load", path, "24") == "987654321")
    }

    @Test func anAtomicCounterIncrementedByManyProcessesIsExact() throws {
        let path = directory.file("counter")
        let file = try MappedFile.create(path: path, size: 4096)
        let perProcess = 200_000
        let helpers = try (0..<4).map { _ in try Helper("increment", path, "64", String(perProcess)) }
        let counter = try file.atomic(UInt64.self, at: 64)
        for _ in 0..<perProcess { counter.wrappingIncrement(by: 1, ordering: .relaxed) }
        for helper in helpers {
            #expect(helper.readLine() == "done")
            #expect(helper.wait() == 0)
        }
        #expect(counter.load() == UInt64(5 * perProcess))
        #expect(throws: MappedMemoryError.self) { _ = try file.atomic(UInt64.self, at: 60) }
        #expect(throws: MappedMemoryError.self) { _ = try file.atomic(UInt64.self, at: 4096) }
    }

    @Test func theRobustMutexExcludesOtherProcesses() throws {
        let path = directory.file("mutex")
        let file = try MappedFile.create(path: path, size: 4096)
        try file.robustMutex(at: 0).initialize()
        let perProcess = 20_000
        let helpers = try (0..<3).map { _ in try Helper("mutex-increment", path, "0", "128", String(perProcess)) }
        for helper in helpers {
            #expect(helper.readLine() == "done")
            #expect(helper.wait() == 0)
        }
        #expect(try file.load(fromByteOffset: 128, as: UInt64.self) == UInt64(3 * perProcess))
    }

    @Test func theRobustMutexSurvivesSigkillOfItsHolder() throws {
        let path = directory.file("robust")
        let file = try MappedFile.create(path: path, size: 4096)
        let mutex = try file.robustMutex(at: 64)
        try mutex.initialize()
        let holder = try Helper("hold-mutex", path, "64")
        #expect(holder.readLine() == "ready")
        #expect(try mutex.tryLock() == nil)
        #expect(throws: MappedMemoryError(operation: "lock", path: path, reason: .timedOut)) {
            try mutex.lock(timeout: .milliseconds(50))
        }
        holder.kill()
        #expect(try mutex.lock(timeout: .seconds(10)) == .previousOwnerDied)
        try mutex.markConsistent()
        try mutex.unlock()
        #expect(try mutex.lock(timeout: .seconds(10)) == .acquired)
        try mutex.unlock()

        // A recovery that does not mark the state consistent leaves the mutex unusable, loudly.
        let second = try Helper("hold-mutex", path, "64")
        #expect(second.readLine() == "ready")
        second.kill()
        var recovered = false
        try mutex.withLock(timeout: .seconds(10), recover: { recovered = true }) {}
        #expect(recovered)
        let third = try Helper("hold-mutex", path, "64")
        #expect(third.readLine() == "ready")
        third.kill()
        #expect(try mutex.lock(timeout: .seconds(10)) == .previousOwnerDied)
        try mutex.unlock()
        #expect(throws: MappedMemoryError(operation: "lock", path: path, reason: .notRecoverable)) {
            try mutex.lock(timeout: .seconds(1))
        }
        #expect(throws: MappedMemoryError.self) { _ = try file.robustMutex(at: 8) }
    }

    @Test func aMutexLeftLockedAcrossARebootTimesOutInsteadOfHangingAndCanBeReinitialised() throws {
        // A copy of the file taken while a holder was alive is what the disk holds after power loss:
        // the mutex is locked by a thread that no longer exists, and no kernel will report its death.
        let path = directory.file("before-reboot")
        let file = try MappedFile.create(path: path, size: 4096)
        try file.robustMutex(at: 0).initialize()
        let holder = try Helper("hold-mutex", path, "0")
        #expect(holder.readLine() == "ready")
        let image = try file.copyBytes(fromByteOffset: 0, count: 4096)
        holder.kill()
        let rebootedPath = try directory.file("after-reboot", contents: image)
        let rebooted = try MappedFile(path: rebootedPath, mode: .readWrite)
        let mutex = try rebooted.robustMutex(at: 0)
        #expect(throws: MappedMemoryError(operation: "lock", path: rebootedPath, reason: .timedOut)) {
            try mutex.lock(timeout: .milliseconds(100))
        }
        try mutex.initialize()  // the first opener, holding an exclusive FileLock, does this
        #expect(try mutex.lock(timeout: .seconds(1)) == .acquired)
        try mutex.unlock()
    }

    @Test func anExclusiveFileLockExcludesAnotherProcessAndIsReleasedWhenItDies() throws {
        let path = directory.file("lockfile")
        let holder = try Helper("hold-lock", path, "exclusive")
        #expect(holder.readLine() == "ready")
        let lock = try FileLock(path: path)
        #expect(try lock.tryLock(.shared) == false)
        #expect(try lock.tryLock(.exclusive) == false)
        #expect(throws: MappedMemoryError(operation: "lock", path: path, reason: .timedOut)) {
            try lock.lock(.exclusive, timeout: .milliseconds(100))
        }
        holder.kill()
        try lock.lock(.exclusive, timeout: .seconds(10))
        #expect(try Helper.run("try-lock", path, "shared") == "busy")
        try lock.unlock()
        #expect(try Helper.run("try-lock", path, "exclusive") == "acquired")
    }

    @Test func sharedLocksCoexistAndByteRangesAreIndependent() throws {
        let path = directory.file("ranges")
        let holder = try Helper("hold-lock", path, "shared")
        #expect(holder.readLine() == "ready")
        let lock = try FileLock(path: path)
        #expect(try lock.tryLock(.shared))
        #expect(try lock.tryLock(.exclusive) == false)
        holder.kill()
        try lock.unlock()
        let other = try FileLock(path: path)
        try lock.lock(.exclusive, range: 0..<100)
        #expect(try other.tryLock(.exclusive, range: 100..<200))
        #expect(try other.tryLock(.exclusive, range: 50..<150) == false)
        #expect(try lock.withLock(.exclusive, range: 500..<600) { 7 } == 7)
    }

    @Test func fileLocksOfOneProcessExcludeEachOther() throws {
        #expect(FileLock.isPerDescriptor)
        let path = directory.file("ofd")
        let first = try FileLock(path: path)
        let second = try FileLock(path: path)
        try first.lock(.exclusive)
        #expect(try second.tryLock(.exclusive) == false)
        // Closing another descriptor of the file does not drop the lock (unlike POSIX locks).
        do { _ = try FileLock(path: path) }
        #expect(try second.tryLock(.shared) == false)
        try first.unlock()
        #expect(try second.tryLock(.exclusive))
    }

    @Test func namedSharedMemoryIsSharedByName() throws {
        let name = "/mnemap-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? SharedMemory.remove(name: name) }
        let memory = try SharedMemory.open(name: name, count: 8192)
        #expect(memory.count == 8192)
        #expect(try Helper.run("shm-store", name, "8192", "4096", "31337") == "stored")
        #expect(try memory.load(fromByteOffset: 4096, as: UInt64.self) == 31337)
        try SharedMemory.remove(name: name)
        #expect(try memory.load(fromByteOffset: 4096, as: UInt64.self) == 31337)
        #expect(throws: MappedMemoryError.self) { _ = try SharedMemory.open(name: name, count: 10, create: false) }
        #expect(throws: MappedMemoryError.self) { _ = try SharedMemory.open(name: "no-slash", count: 10) }
    }
}
