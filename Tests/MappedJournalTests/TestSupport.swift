import Foundation
import MnemapTestSupport
@_spi(Testing) import MappedJournal
import MappedMemory
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh folder for a test, removed when the test ends.
typealias TemporaryDirectory = TemporaryFolder

/// Options for small, fast test journals.
func testOptions(segmentSize: Int = 64 << 10, padTimeout: Duration = .milliseconds(300), system: SystemCalls = .live) -> JournalOptions {
    var options = JournalOptions()
    options.segmentSize = segmentSize
    options.indexStride = 16
    options.padTimeout = padTimeout
    options.system = system
    return options
}

/// A payload that says which record it is: `n` as text and a body of a length derived from it.
func payload(_ n: Int) -> [UInt8] {
    Array("record \(n) ".utf8) + (0..<(n * 37 % 200)).map { UInt8(truncatingIfNeeded: $0 &+ n) }
}

/// Every record from `start`, without waiting.
func readAll(_ journal: Journal, from start: TailerStart = .start) throws -> [JournalRecord] {
    let tailer = try journal.tailer(from: start)
    var records: [JournalRecord] = []
    while let record = try tailer.next(timeout: .zero) { records.append(record) }
    return records
}

func segmentFiles(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mnj") }.sorted().map { "\(directory)/\($0)" }
}

/// Changes bytes of a file in place (through a descriptor, not a mapping).
func patch(_ path: String, at offset: Int, _ body: (inout [UInt8]) -> Void) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    body(&bytes)
    let fd = open(path, O_WRONLY)
    precondition(fd >= 0)
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    precondition(written == bytes.count)
}

/// A running `MappedJournalTestHelper` child process.
final class JournalHelper: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    let arguments: [String]

    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            directory = bundle.bundleURL.deletingLastPathComponent()
        }
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("MappedJournalTestHelper")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("MappedJournalTestHelper")
    }()

    init(_ arguments: String...) throws {
        self.arguments = arguments
        process.executableURL = Self.executable
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// The next line the helper prints (nil at the end of its output).
    func readLine() -> String? {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte.first == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// The last line printed before the helper exits, and its exit status.
    func finish() -> (line: String?, status: Int32) {
        var last: String?
        while let line = readLine() { last = line }
        process.waitUntilExit()
        return (last, process.terminationStatus)
    }

    func kill() {
        sendKill(process.processIdentifier)
        process.waitUntilExit()
    }
}

func sendKill(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}
