import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh folder for a test, removed when the test ends.
typealias TemporaryDirectory = TemporaryFolder

extension TemporaryFolder {
    func file(_ name: String) -> String { path(name) }

    /// Writes `bytes` to a new file called `name` and returns its path.
    func file(_ name: String, contents bytes: [UInt8]) throws -> String {
        let target = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// Deterministic bytes, different at every offset.
func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8 &+ Int(seed)) }
}

/// Reads `count` bytes at `offset` through a descriptor of its own (not through any mapping).
func preadBytes(_ path: String, offset: Int64, count: Int) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: count)
    let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
    return Array(buffer.prefix(max(0, read)))
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    precondition(stat(path, &info) == 0)
    return Int64(info.st_size)
}

/// Bytes of disk actually allocated to the file.
func allocatedBytes(_ path: String) -> Int64 {
    var info = stat()
    precondition(stat(path, &info) == 0)
    return Int64(info.st_blocks) * 512
}

/// A running `MappedMemoryTestHelper` child process.
final class Helper: @unchecked Sendable {
    let child: ChildProcess
    var process: Process { child.process }

    init(_ arguments: String...) throws { child = try ChildProcess("MappedMemoryTestHelper", arguments) }

    func readLine() -> String? { child.readLine() }
    @discardableResult func wait() -> Int32 { child.wait() }
    func kill() { child.kill() }

    /// Runs a helper to its end and returns its first line of output.
    static func run(_ arguments: String...) throws -> String? {
        let helper = Helper(child: try ChildProcess("MappedMemoryTestHelper", arguments))
        let line = helper.readLine()
        let status = helper.wait()
        #expect(status == 0, "helper \(arguments) exited with \(status)")
        return line
    }

    private init(child: ChildProcess) { self.child = child }
}

func sendSignal(_ pid: Int32, _ signal: Int32) {
    _ = kill(pid, signal)
}
