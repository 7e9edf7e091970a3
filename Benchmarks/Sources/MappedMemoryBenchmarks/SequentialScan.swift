import Foundation
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The span path: the bytes of `file.bytes`, summed in place.
func wordSum(spanOf file: borrowing MappedFile) -> UInt64 {
    file.bytes.withUnsafeBytes { wordSum($0) }
}

/// A checksum of the whole hot file by every method, always with `wordSum`.
/// Chunked methods (pread, FileHandle) read 1 MiB at a time and sum each chunk.
struct SequentialScan {
    let file: OpenedFile
    static let chunkSize = 1 << 20
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: SequentialScan.chunkSize, alignment: 4096)

    func cases() -> [Case] {
        let file = file, chunk = chunk
        let size = file.size
        return [
            Case(workload: .scan, method: "in-memory copy", role: .memory, operations: 1, bytes: size) {
                wordSum(file.memory)
            },
            Case(workload: .scan, method: "MappedFile withUnsafeBytes", role: .mappedFile, operations: 1, bytes: size) {
                file.mapped.withUnsafeBytes { wordSum($0) }
            },
            Case(workload: .scan, method: "in-memory copy, after 1 s idle", operations: 1, bytes: size, preparation: .idle(.seconds(1))) {
                wordSum(file.memory)
            },
            Case(workload: .scan, method: "MappedFile withUnsafeBytes, after 1 s idle", operations: 1, bytes: size, preparation: .idle(.seconds(1))) {
                file.mapped.withUnsafeBytes { wordSum($0) }
            },
            Case(workload: .scan, method: "MappedFile .bytes RawSpan", operations: 1, bytes: size) {
                wordSum(spanOf: file.mapped)
            },
            Case(workload: .scan, method: "MappedFile, new mapping each run", operations: 1, bytes: size) {
                do {
                    let fresh = try MappedFile(path: file.path)
                    return fresh.withUnsafeBytes { wordSum($0) }
                } catch {
                    fail("MappedFile: \(error)")
                }
            },
            Case(workload: .scan, method: "MappedFile, new mapping + prefault()", operations: 1, bytes: size) {
                do {
                    let fresh = try MappedFile(path: file.path)
                    try fresh.prefault()
                    return fresh.withUnsafeBytes { wordSum($0) }
                } catch {
                    fail("MappedFile: \(error)")
                }
            },
            Case(workload: .scan, method: "pread 1 MiB chunks", role: .pread, operations: 1, bytes: size) {
                var sum: UInt64 = 0
                var offset = 0
                while offset < size {
                    let count = min(Self.chunkSize, size - offset)
                    var filled = 0
                    while filled < count {
                        let result = pread(file.descriptor, chunk.baseAddress! + filled, count - filled, off_t(offset + filled))
                        guard result > 0 else { fail("pread: \(String(cString: strerror(errno)))") }
                        filled += result
                    }
                    sum &+= wordSum(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                    offset += count
                }
                return sum
            },
            Case(workload: .scan, method: "Data(.alwaysMapped) withUnsafeBytes", operations: 1, bytes: size) {
                file.data.withUnsafeBytes { wordSum($0) }
            },
            Case(workload: .scan, method: "Data(.alwaysMapped), new Data each run", operations: 1, bytes: size) {
                do {
                    let fresh = try Data(contentsOf: URL(fileURLWithPath: file.path), options: .alwaysMapped)
                    return fresh.withUnsafeBytes { wordSum($0) }
                } catch {
                    fail("Data(contentsOf:): \(error)")
                }
            },
            Case(workload: .scan, method: "FileHandle read(upToCount:) 1 MiB", operations: 1, bytes: size) {
                var sum: UInt64 = 0
                do {
                    try file.handle.seek(toOffset: 0)
                    while let bytes = try file.handle.read(upToCount: Self.chunkSize), !bytes.isEmpty {
                        sum &+= bytes.withUnsafeBytes { wordSum($0) }
                    }
                } catch {
                    fail("FileHandle: \(error)")
                }
                return sum
            },
        ]
    }
}
