import Foundation
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Random reads of a hot file: 8-byte words at any offset (independent, then each
// depending on the last), and whole 4 KiB blocks copied into a buffer. Every method
// reads the same precomputed offsets; the checksum is the sum of the words read, so
// it must come out the same for every method.

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

/// The bounds-checked span path for the 8-byte reads, as a user would write it:
/// `RawSpan.unsafeLoadUnaligned` checks each offset against the span's count.
func sumWords(inSpanOf file: borrowing MappedFile, at offsets: [Int]) -> UInt64 {
    let span = file.bytes
    var sum: UInt64 = 0
    for offset in offsets {
        sum &+= span.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
    return sum
}

/// The library's bounds-checked, throwing load, as a user writes it in a loop over a borrowed mapping.
func sumWords(loadingFrom file: borrowing MappedFile, at offsets: [Int]) -> UInt64 {
    var sum: UInt64 = 0
    do {
        for offset in offsets {
            sum &+= try file.load(fromByteOffset: offset, as: UInt64.self)
        }
    } catch {
        fatalError("benchmark offsets are inside the file: \(error)")
    }
    return sum
}

/// The bounds-checked span path for the 4 KiB reads: `extracting` checks each range.
func copyBlocks(fromSpanOf file: borrowing MappedFile, at offsets: [Int], into buffer: UnsafeMutableRawPointer) -> UInt64 {
    let span = file.bytes
    var sum: UInt64 = 0
    for (index, offset) in offsets.enumerated() {
        span.extracting(offset..<offset + blockSize).withUnsafeBytes { block in
            buffer.copyMemory(from: block.baseAddress!, byteCount: blockSize)
        }
        sum &+= blockSink(buffer, index)
    }
    return sum
}

struct RandomReads {
    let file: OpenedFile
    let wordOffsets: [Int]
    let blockOffsets: [Int]
    /// Reads per run for FileHandle, whose reads cost microseconds each.
    let slowWordReads: Int
    let slowBlockReads: Int
    /// The destination of every 4 KiB copy.
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: blockSize)

    /// The independent 8-byte reads, one case per method.
    func wordCases() -> [Case] {
        let file = file, offsets = wordOffsets
        let n = offsets.count
        let slow = Array(offsets.prefix(slowWordReads))
        return [
            Case(workload: .random8, method: "in-memory copy (loadUnaligned)", role: .memory, operations: n, bytes: n * 8) {
                sumWords(in: file.memory, at: offsets)
            },
            Case(workload: .random8, method: "MappedFile withUnsafeBytes+loadUnaligned", role: .mappedFile, operations: n, bytes: n * 8) {
                file.mapped.withUnsafeBytes { bytes in sumWords(in: bytes, at: offsets) }
            },
            Case(workload: .random8, method: "MappedFile withUnsafeBytes, after 1 s idle", operations: n, bytes: n * 8, preparation: .idle(.seconds(1))) {
                file.mapped.withUnsafeBytes { bytes in sumWords(in: bytes, at: offsets) }
            },
            Case(workload: .random8, method: "MappedFile .bytes RawSpan (checked)", operations: n, bytes: n * 8) {
                sumWords(inSpanOf: file.mapped, at: offsets)
            },
            Case(workload: .random8, method: "MappedFile load(fromByteOffset:) (checked)", operations: n, bytes: n * 8) {
                sumWords(loadingFrom: file.mapped, at: offsets)
            },
            Case(workload: .random8, method: "pread", role: .pread, operations: n, bytes: n * 8) {
                var sum: UInt64 = 0
                var word: UInt64 = 0
                for offset in offsets {
                    guard pread(file.descriptor, &word, 8, off_t(offset)) == 8 else { fail("pread: \(String(cString: strerror(errno)))") }
                    sum &+= word
                }
                return sum
            },
            Case(workload: .random8, method: "Data(.alwaysMapped) withUnsafeBytes", operations: n, bytes: n * 8) {
                file.data.withUnsafeBytes { bytes in sumWords(in: bytes, at: offsets) }
            },
            Case(workload: .random8, method: "FileHandle seek+read(upToCount:) [\(slow.count / 1000)k reads]", operations: slow.count, bytes: slow.count * 8) {
                var sum: UInt64 = 0
                do {
                    for offset in slow {
                        try file.handle.seek(toOffset: UInt64(offset))
                        guard let bytes = try file.handle.read(upToCount: 8), bytes.count == 8 else { fail("FileHandle: short read") }
                        sum &+= bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    }
                } catch {
                    fail("FileHandle: \(error)")
                }
                return sum
            },
        ]
    }

    /// Dependent 8-byte reads over half the offsets: in-memory, MappedFile and pread only.
    func dependentWordCases() -> [Case] {
        let file = file
        let offsets = Array(wordOffsets.prefix(max(1, wordOffsets.count / 2)))
        let n = offsets.count
        return [
            Case(workload: .dependent8, method: "in-memory copy (loadUnaligned)", role: .memory, operations: n, bytes: n * 8) {
                chaseWords(in: file.memory, at: offsets)
            },
            Case(workload: .dependent8, method: "MappedFile withUnsafeBytes+loadUnaligned", role: .mappedFile, operations: n, bytes: n * 8) {
                file.mapped.withUnsafeBytes { bytes in chaseWords(in: bytes, at: offsets) }
            },
            Case(workload: .dependent8, method: "pread", role: .pread, operations: n, bytes: n * 8) {
                let last = file.size - 8
                var sum: UInt64 = 0
                var word: UInt64 = 0
                for offset in offsets {
                    let at = min(offset &+ Int(word >> 63), last)
                    guard pread(file.descriptor, &word, 8, off_t(at)) == 8 else { fail("pread: \(String(cString: strerror(errno)))") }
                    sum &+= word
                }
                return sum
            },
        ]
    }

    /// The 4 KiB block reads, one case per method.
    func blockCases() -> [Case] {
        let file = file, offsets = blockOffsets, buffer = buffer
        let n = offsets.count
        let slow = Array(offsets.prefix(slowBlockReads))
        return [
            Case(workload: .random4K, method: "in-memory copy (memcpy)", role: .memory, operations: n, bytes: n * blockSize) {
                copyBlocks(from: file.memory, at: offsets, into: buffer)
            },
            Case(workload: .random4K, method: "MappedFile withUnsafeBytes+memcpy", role: .mappedFile, operations: n, bytes: n * blockSize) {
                file.mapped.withUnsafeBytes { bytes in copyBlocks(from: bytes, at: offsets, into: buffer) }
            },
            Case(workload: .random4K, method: "MappedFile withUnsafeBytes, after 1 s idle", operations: n, bytes: n * blockSize, preparation: .idle(.seconds(1))) {
                file.mapped.withUnsafeBytes { bytes in copyBlocks(from: bytes, at: offsets, into: buffer) }
            },
            Case(workload: .random4K, method: "MappedFile .bytes RawSpan (checked)", operations: n, bytes: n * blockSize) {
                copyBlocks(fromSpanOf: file.mapped, at: offsets, into: buffer)
            },
            Case(workload: .random4K, method: "MappedFile copyBytes -> [UInt8] (checked)", operations: n, bytes: n * blockSize) {
                var sum: UInt64 = 0
                do {
                    for (index, offset) in offsets.enumerated() {
                        let block = try file.mapped.copyBytes(fromByteOffset: offset, count: blockSize)
                        sum &+= block.withUnsafeBytes { blockSink($0.baseAddress!, index) }
                    }
                } catch {
                    fail("MappedFile.copyBytes: \(error)")
                }
                return sum
            },
            Case(workload: .random4K, method: "pread", role: .pread, operations: n, bytes: n * blockSize) {
                var sum: UInt64 = 0
                for (index, offset) in offsets.enumerated() {
                    guard pread(file.descriptor, buffer, blockSize, off_t(offset)) == blockSize else { fail("pread: \(String(cString: strerror(errno)))") }
                    sum &+= blockSink(buffer, index)
                }
                return sum
            },
            Case(workload: .random4K, method: "Data(.alwaysMapped) withUnsafeBytes+memcpy", operations: n, bytes: n * blockSize) {
                file.data.withUnsafeBytes { bytes in copyBlocks(from: bytes, at: offsets, into: buffer) }
            },
            Case(workload: .random4K, method: "FileHandle seek+read(upToCount:) [\(slow.count / 1000)k reads]", operations: slow.count, bytes: slow.count * blockSize) {
                var sum: UInt64 = 0
                do {
                    for (index, offset) in slow.enumerated() {
                        try file.handle.seek(toOffset: UInt64(offset))
                        guard let block = try file.handle.read(upToCount: blockSize), block.count == blockSize else { fail("FileHandle: short read") }
                        sum &+= block.withUnsafeBytes { blockSink($0.baseAddress!, index) }
                    }
                } catch {
                    fail("FileHandle: \(error)")
                }
                return sum
            },
        ]
    }

    /// The checksum each random workload must give for its first `count` offsets,
    /// computed on the in-memory copy.
    func expectedSum(_ workload: Workload, count: Int) -> UInt64 {
        switch workload {
        case .random8: sumWords(in: file.memory, at: Array(wordOffsets.prefix(count)))
        case .dependent8: chaseWords(in: file.memory, at: Array(wordOffsets.prefix(count)))
        case .random4K: copyBlocks(from: file.memory, at: Array(blockOffsets.prefix(count)), into: buffer)
        case .scan: wordSum(file.memory)
        }
    }
}
