import Foundation
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A checksum of the whole hot file, by every method, always with `wordSum`.
// Chunked methods (pread, FileHandle) read 1 MiB at a time and sum each chunk.

struct SequentialScan {
    let file: TestFile
    let memory: UnsafeRawBufferPointer
    let runs: Int
    static let chunkSize = 1 << 20

    func run(mapped: borrowing MappedFile, data: Data) -> [Measurement] {
        let size = file.size
        var results: [Measurement] = []
        results.append(measure(.scan, "in-memory copy", role: .memory, operations: 1, bytes: size, runs: runs) {
            wordSum(memory)
        })
        results.append(measure(.scan, "MappedFile withUnsafeBytes", role: .mappedFile, operations: 1, bytes: size, runs: runs) {
            mapped.withUnsafeBytes { wordSum($0) }
        })
        results.append(measure(.scan, "MappedFile .bytes RawSpan", operations: 1, bytes: size, runs: runs) {
            mapped.bytes.withUnsafeBytes { wordSum($0) }
        })
        results.append(measure(.scan, "MappedFile, new mapping each run", operations: 1, bytes: size, runs: runs) {
            do {
                let fresh = try MappedFile(path: file.path)
                return fresh.withUnsafeBytes { wordSum($0) }
            } catch {
                fail("MappedFile: \(error)")
            }
        })
        results.append(measure(.scan, "MappedFile, new mapping + prefault()", operations: 1, bytes: size, runs: runs) {
            do {
                let fresh = try MappedFile(path: file.path)
                try fresh.prefault()
                return fresh.withUnsafeBytes { wordSum($0) }
            } catch {
                fail("MappedFile: \(error)")
            }
        })
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
        defer { chunk.deallocate() }
        results.append(measure(.scan, "pread 1 MiB chunks", role: .pread, operations: 1, bytes: size, runs: runs) {
            let fd = openOrFail(file.path)
            defer { close(fd) }
            var sum: UInt64 = 0
            var offset = 0
            while offset < size {
                let count = min(Self.chunkSize, size - offset)
                var filled = 0
                while filled < count {
                    let result = pread(fd, chunk.baseAddress! + filled, count - filled, off_t(offset + filled))
                    guard result > 0 else { fail("pread: \(String(cString: strerror(errno)))") }
                    filled += result
                }
                sum &+= wordSum(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                offset += count
            }
            return sum
        })
        results.append(measure(.scan, "Data(.alwaysMapped) withUnsafeBytes", operations: 1, bytes: size, runs: runs) {
            data.withUnsafeBytes { wordSum($0) }
        })
        results.append(measure(.scan, "Data(.alwaysMapped), new Data each run", operations: 1, bytes: size, runs: runs) {
            do {
                let fresh = try Data(contentsOf: URL(fileURLWithPath: file.path), options: .alwaysMapped)
                return fresh.withUnsafeBytes { wordSum($0) }
            } catch {
                fail("Data(contentsOf:): \(error)")
            }
        })
        results.append(measure(.scan, "FileHandle read(upToCount:) 1 MiB", operations: 1, bytes: size, runs: runs) {
            let handle = openHandleOrFail(file.path)
            defer { try? handle.close() }
            var sum: UInt64 = 0
            do {
                while let bytes = try handle.read(upToCount: Self.chunkSize), !bytes.isEmpty {
                    sum &+= bytes.withUnsafeBytes { wordSum($0) }
                }
            } catch {
                fail("FileHandle: \(error)")
            }
            return sum
        })
        return results
    }
}
