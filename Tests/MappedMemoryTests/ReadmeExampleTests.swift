import Foundation
import MappedMemory
import Testing

/// The README's 30-second example, kept compiling and true.
@Test func theReadmeExampleRuns() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("demo.bin")

    var file = try MappedFile.create(path: path, size: 1 << 20)
    try file.storeBytes(of: UInt64(42), toByteOffset: 8)
    try file.flush()

    let reader = try MappedFile(path: path)
    let value = try reader.load(fromByteOffset: 8, as: UInt64.self)
    #expect(value == 42)
    let span: RawSpan = reader.bytes
    let spanCount = span.byteCount
    #expect(spanCount == 1 << 20)

    try file.resize(to: 64 << 20)

    try file.atomic(UInt64.self, at: 0).wrappingIncrement()
    let mutex = try file.robustMutex(at: 64)
    try mutex.initialize()
    var ran = false
    try mutex.withLock(timeout: .seconds(5), recover: {}) { ran = true }
    #expect(ran)
    #expect(try file.load(fromByteOffset: 0, as: UInt64.self) == 1)

    #expect(try reader.guardedCopyBytes(fromByteOffset: 0, count: 4096).count == 4096)
}
