import Foundation
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Random reads of a hot file: 8-byte words at any offset, and whole 4 KiB blocks
// copied into a buffer. Every method opens its file (or mapping) once, outside the
// timed loop, and reads the same precomputed offsets; the checksum is the sum of
// the words read, so it must come out the same for every method.

/// What every pointer-based method runs for the 8-byte reads: one unaligned load per offset.
@inline(never)
func sumWords(in bytes: UnsafeRawBufferPointer, at offsets: [Int]) -> UInt64 {
    var sum: UInt64 = 0
    for offset in offsets {
        sum &+= bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
    return sum
}

/// The dependent variant: each read's offset moves by the top bit of the word read
/// before, so no read can start before the previous one has finished.
@inline(never)
func chaseWords(in bytes: UnsafeRawBufferPointer, at offsets: [Int]) -> UInt64 {
    let last = bytes.count - 8
    var sum: UInt64 = 0
    var word: UInt64 = 0
    for offset in offsets {
        word = bytes.loadUnaligned(fromByteOffset: min(offset &+ Int(word >> 63), last), as: UInt64.self)
        sum &+= word
    }
    return sum
}

/// The part of a copied block that goes into the checksum: one word whose place
/// changes with `index`, so the copy cannot be skipped and no word is favored.
@inline(__always)
func blockSink(_ block: UnsafeRawPointer, _ index: Int) -> UInt64 {
    block.load(fromByteOffset: (index & (blockSize / 8 - 1)) &* 8, as: UInt64.self)
}

/// What every pointer-based method runs for the 4 KiB reads: `memcpy` of each block into `buffer`.
@inline(never)
func copyBlocks(from bytes: UnsafeRawBufferPointer, at offsets: [Int], into buffer: UnsafeMutableRawPointer) -> UInt64 {
    let base = bytes.baseAddress!
    var sum: UInt64 = 0
    for (index, offset) in offsets.enumerated() {
        buffer.copyMemory(from: base + offset, byteCount: blockSize)
        sum &+= blockSink(buffer, index)
    }
    return sum
}

struct RandomReads {
    let file: TestFile
    let memory: UnsafeRawBufferPointer
    let runs: Int
    let wordOffsets: [Int]
    let blockOffsets: [Int]
    /// Reads per run for FileHandle, whose reads cost microseconds each.
    let slowWordReads: Int
    let slowBlockReads: Int

    /// The 8-byte reads, each method in turn.
    func words(mapped: borrowing MappedFile, data: Data) -> [Measurement] {
        let n = wordOffsets.count
        var results: [Measurement] = []
        results.append(measure(.random8, "in-memory copy (loadUnaligned)", role: .memory, operations: n, bytes: n * 8, runs: runs) {
            sumWords(in: memory, at: wordOffsets)
        })
        results.append(measure(.random8, "MappedFile withUnsafeBytes+loadUnaligned", role: .mappedFile, operations: n, bytes: n * 8, runs: runs) {
            mapped.withUnsafeBytes { bytes in sumWords(in: bytes, at: wordOffsets) }
        })
        results.append(measure(.random8, "MappedFile .bytes RawSpan (checked)", operations: n, bytes: n * 8, runs: runs) {
            let span = mapped.bytes
            var sum: UInt64 = 0
            for offset in wordOffsets {
                sum &+= span.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self)
            }
            return sum
        })
        results.append(measure(.random8, "MappedFile load(fromByteOffset:) (checked)", operations: n, bytes: n * 8, runs: runs) {
            var sum: UInt64 = 0
            do {
                for offset in wordOffsets {
                    sum &+= try mapped.load(fromByteOffset: offset, as: UInt64.self)
                }
            } catch {
                fail("MappedFile.load: \(error)")
            }
            return sum
        })
        results.append(measure(.random8, "pread", role: .pread, operations: n, bytes: n * 8, runs: runs) {
            let fd = openOrFail(file.path)
            defer { close(fd) }
            var sum: UInt64 = 0
            var word: UInt64 = 0
            for offset in wordOffsets {
                guard pread(fd, &word, 8, off_t(offset)) == 8 else { fail("pread: \(String(cString: strerror(errno)))") }
                sum &+= word
            }
            return sum
        })
        results.append(measure(.random8, "Data(.alwaysMapped) withUnsafeBytes", operations: n, bytes: n * 8, runs: runs) {
            data.withUnsafeBytes { bytes in sumWords(in: bytes, at: wordOffsets) }
        })
        let slow = Array(wordOffsets.prefix(slowWordReads))
        var handleRow = measure(.random8, "FileHandle seek+read(upToCount:)", operations: slow.count, bytes: slow.count * 8, runs: runs) {
            let handle = openHandleOrFail(file.path)
            defer { try? handle.close() }
            var sum: UInt64 = 0
            do {
                for offset in slow {
                    try handle.seek(toOffset: UInt64(offset))
                    guard let bytes = try handle.read(upToCount: 8), bytes.count == 8 else { fail("FileHandle: short read") }
                    sum &+= bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                }
            } catch {
                fail("FileHandle: \(error)")
            }
            return sum
        }
        handleRow.method += " [\(slow.count / 1000)k reads]"
        results.append(handleRow)
        return results
    }

    /// Dependent 8-byte reads (half the offsets): in-memory, MappedFile and pread only.
    func dependentWords(mapped: borrowing MappedFile) -> [Measurement] {
        let offsets = Array(wordOffsets.prefix(max(1, wordOffsets.count / 2)))
        let n = offsets.count
        var results: [Measurement] = []
        results.append(measure(.dependent8, "in-memory copy (loadUnaligned)", role: .memory, operations: n, bytes: n * 8, runs: runs) {
            chaseWords(in: memory, at: offsets)
        })
        results.append(measure(.dependent8, "MappedFile withUnsafeBytes+loadUnaligned", role: .mappedFile, operations: n, bytes: n * 8, runs: runs) {
            mapped.withUnsafeBytes { bytes in chaseWords(in: bytes, at: offsets) }
        })
        results.append(measure(.dependent8, "pread", role: .pread, operations: n, bytes: n * 8, runs: runs) {
            let fd = openOrFail(file.path)
            defer { close(fd) }
            let last = file.size - 8
            var sum: UInt64 = 0
            var word: UInt64 = 0
            for offset in offsets {
                let at = min(offset &+ Int(word >> 63), last)
                guard pread(fd, &word, 8, off_t(at)) == 8 else { fail("pread: \(String(cString: strerror(errno)))") }
                sum &+= word
            }
            return sum
        })
        return results
    }

    /// The checksum the dependent reads must give for the first `count` offsets.
    func expectedDependentSum(count: Int) -> UInt64 {
        chaseWords(in: memory, at: Array(wordOffsets.prefix(count)))
    }

    /// The checksum the 8-byte reads must give for the first `count` offsets.
    func expectedWordSum(count: Int) -> UInt64 {
        sumWords(in: memory, at: Array(wordOffsets.prefix(count)))
    }

    /// The 4 KiB block reads, each method in turn.
    func blocks(mapped: borrowing MappedFile, data: Data) -> [Measurement] {
        let n = blockOffsets.count
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: blockSize)
        defer { buffer.deallocate() }
        var results: [Measurement] = []
        results.append(measure(.random4K, "in-memory copy (memcpy)", role: .memory, operations: n, bytes: n * blockSize, runs: runs) {
            copyBlocks(from: memory, at: blockOffsets, into: buffer)
        })
        results.append(measure(.random4K, "MappedFile withUnsafeBytes+memcpy", role: .mappedFile, operations: n, bytes: n * blockSize, runs: runs) {
            mapped.withUnsafeBytes { bytes in copyBlocks(from: bytes, at: blockOffsets, into: buffer) }
        })
        results.append(measure(.random4K, "MappedFile .bytes RawSpan (checked)", operations: n, bytes: n * blockSize, runs: runs) {
            let span = mapped.bytes
            var sum: UInt64 = 0
            for (index, offset) in blockOffsets.enumerated() {
                span.extracting(offset..<offset + blockSize).withUnsafeBytes { block in
                    buffer.copyMemory(from: block.baseAddress!, byteCount: blockSize)
                }
                sum &+= blockSink(buffer, index)
            }
            return sum
        })
        results.append(measure(.random4K, "MappedFile copyBytes -> [UInt8] (checked)", operations: n, bytes: n * blockSize, runs: runs) {
            var sum: UInt64 = 0
            do {
                for (index, offset) in blockOffsets.enumerated() {
                    let block = try mapped.copyBytes(fromByteOffset: offset, count: blockSize)
                    sum &+= block.withUnsafeBytes { blockSink($0.baseAddress!, index) }
                }
            } catch {
                fail("MappedFile.copyBytes: \(error)")
            }
            return sum
        })
        results.append(measure(.random4K, "pread", role: .pread, operations: n, bytes: n * blockSize, runs: runs) {
            let fd = openOrFail(file.path)
            defer { close(fd) }
            var sum: UInt64 = 0
            for (index, offset) in blockOffsets.enumerated() {
                guard pread(fd, buffer, blockSize, off_t(offset)) == blockSize else { fail("pread: \(String(cString: strerror(errno)))") }
                sum &+= blockSink(buffer, index)
            }
            return sum
        })
        results.append(measure(.random4K, "Data(.alwaysMapped) withUnsafeBytes+memcpy", operations: n, bytes: n * blockSize, runs: runs) {
            data.withUnsafeBytes { bytes in copyBlocks(from: bytes, at: blockOffsets, into: buffer) }
        })
        let slow = Array(blockOffsets.prefix(slowBlockReads))
        var handleRow = measure(.random4K, "FileHandle seek+read(upToCount:)", operations: slow.count, bytes: slow.count * blockSize, runs: runs) {
            let handle = openHandleOrFail(file.path)
            defer { try? handle.close() }
            var sum: UInt64 = 0
            do {
                for (index, offset) in slow.enumerated() {
                    try handle.seek(toOffset: UInt64(offset))
                    guard let block = try handle.read(upToCount: blockSize), block.count == blockSize else { fail("FileHandle: short read") }
                    sum &+= block.withUnsafeBytes { blockSink($0.baseAddress!, index) }
                }
            } catch {
                fail("FileHandle: \(error)")
            }
            return sum
        }
        handleRow.method += " [\(slow.count / 1000)k reads]"
        results.append(handleRow)
        return results
    }

    /// The checksum the 4 KiB reads must give for the first `count` offsets.
    func expectedBlockSum(count: Int) -> UInt64 {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: blockSize)
        defer { buffer.deallocate() }
        return copyBlocks(from: memory, at: Array(blockOffsets.prefix(count)), into: buffer)
    }
}

func openOrFail(_ path: String) -> Int32 {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fail("open \(path): \(String(cString: strerror(errno)))") }
    return fd
}

func openHandleOrFail(_ path: String) -> FileHandle {
    guard let handle = FileHandle(forReadingAtPath: path) else { fail("FileHandle(forReadingAtPath: \(path))") }
    return handle
}
