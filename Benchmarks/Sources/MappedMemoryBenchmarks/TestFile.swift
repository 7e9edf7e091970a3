import Foundation
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data file: pseudo-random words, written once, synced, then read fully so it is hot.
struct TestFile {
    let path: String
    let size: Int
    /// `wordSum` of the whole file, computed while writing it.
    let expectedSum: UInt64

    static let chunkSize = 1 << 20

    /// Writes `size` bytes of SplitMix64 output to `path` and syncs them, so that
    /// no write-back runs during the measurements.
    static func create(path: String, size: Int) -> TestFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { fail("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var generator = SplitMix64(seed: 0x6D6E_656D_6170)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { chunk.deallocate() }
        var sum: UInt64 = 0
        var written = 0
        while written < size {
            let count = min(chunkSize, size - written)
            for word in 0..<(chunkSize / 8) {
                chunk.storeBytes(of: generator.next(), toByteOffset: word * 8, as: UInt64.self)
            }
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
            sum &+= wordSum(bytes)
            var done = 0
            while done < count {
                let result = write(fd, bytes.baseAddress! + done, count - done)
                guard result > 0 else { fail("write \(path): \(String(cString: strerror(errno)))") }
                done += result
            }
            written += count
        }
        guard fsync(fd) == 0 else { fail("fsync \(path): \(String(cString: strerror(errno)))") }
        return TestFile(path: path, size: size, expectedSum: sum)
    }

    /// Reads the whole file into fresh anonymous memory with `pread`, which also puts
    /// every page in the page cache. The copy is the in-memory baseline.
    func readIntoMemory() -> UnsafeMutableRawBufferPointer {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { fail("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < size {
            let result = pread(fd, memory.baseAddress! + done, min(TestFile.chunkSize, size - done), off_t(done))
            guard result > 0 else { fail("pread \(path): \(String(cString: strerror(errno)))") }
            done += result
        }
        guard wordSum(UnsafeRawBufferPointer(memory)) == expectedSum else {
            fail("the file read back does not match what was written")
        }
        return memory
    }

    /// Pages of the file in the page cache, and all of its pages.
    func residency() -> (resident: Int, total: Int) {
        do {
            let file = try MappedFile(path: path)
            let residency = try file.residency()
            return (residency.residentPages, residency.totalPages)
        } catch {
            fail("residency of \(path): \(error)")
        }
    }

    func remove() {
        unlink(path)
    }
}

/// SplitMix64: a tiny deterministic generator for the file contents and the offsets.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (the tiny modulo bias does not matter here).
    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}

/// `count` random byte offsets at which 8 bytes can be read: any offset, aligned or not.
func randomWordOffsets(count: Int, fileSize: Int) -> [Int] {
    var generator = SplitMix64(seed: 8)
    return (0..<count).map { _ in generator.next(below: fileSize - 7) }
}

/// `count` random 4 KiB-aligned offsets of whole 4 KiB blocks.
func randomBlockOffsets(count: Int, fileSize: Int) -> [Int] {
    var generator = SplitMix64(seed: 4096)
    return (0..<count).map { _ in generator.next(below: fileSize / blockSize) * blockSize }
}

let blockSize = 4096

/// The data file opened every way under test, once, outside every timed loop;
/// plus the in-memory copy. A class so that the timed closures can share it.
final class OpenedFile {
    let path: String
    let size: Int
    /// The MappedFile under test (read-only, the whole file).
    let mapped: MappedFile
    /// `Data(contentsOf:options: .alwaysMapped)`.
    let data: Data
    /// A descriptor for `pread`.
    let descriptor: Int32
    let handle: FileHandle
    /// The whole file in anonymous memory: the memory-bandwidth limit.
    let memory: UnsafeRawBufferPointer

    init(_ file: TestFile, memory: UnsafeRawBufferPointer) {
        path = file.path
        size = file.size
        self.memory = memory
        do {
            mapped = try MappedFile(path: file.path)
            data = try Data(contentsOf: URL(fileURLWithPath: file.path), options: .alwaysMapped)
        } catch {
            fail("opening \(file.path): \(error)")
        }
        descriptor = open(file.path, O_RDONLY)
        guard descriptor >= 0 else { fail("open \(file.path): \(String(cString: strerror(errno)))") }
        guard let handle = FileHandle(forReadingAtPath: file.path) else { fail("FileHandle(forReadingAtPath: \(file.path))") }
        self.handle = handle
    }

    deinit {
        close(descriptor)
        try? handle.close()
    }
}
