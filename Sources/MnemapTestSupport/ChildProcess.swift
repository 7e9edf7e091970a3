import Foundation

/// A child process of the tests: one of the package's `*TestHelper` executables (or `mnemap`),
/// found beside the test bundle. Reads its standard output line by line; can be killed.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()

    /// The folder the package's executables are built into (the test bundle's folder).
    public static let productsFolder: URL = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            folder = bundle.bundleURL.deletingLastPathComponent()
        }
        return folder
    }()

    /// The built executable called `name`.
    public static func executable(_ name: String) -> URL {
        productsFolder.appendingPathComponent(name)
    }

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = Self.executable(executable)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// The next line the child prints (nil at the end of its output).
    public func readLine() -> String? {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte.first == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// Waits for the child to exit; returns its status.
    @discardableResult
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGKILL and waits for the death.
    public func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A small seeded generator, so that random tests can be replayed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a child process printed and how it ended.
public struct FinishedProcess: Sendable {
    public var status: Int32
    public var output: String
    public var errors: String
}

extension ChildProcess {
    /// Runs the built executable `name` with `arguments` to its end. Standard error is drained
    /// on another thread, so a child that writes much to both streams cannot stall.
    public static func run(_ name: String, _ arguments: [String]) throws -> FinishedProcess {
        let process = Process()
        process.executableURL = executable(name)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorText = ErrorText()
        let drain = Thread { errorText.data = errors.fileHandleForReading.readDataToEndOfFile(); errorText.done.signal() }
        drain.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        errorText.done.wait()
        process.waitUntilExit()
        return FinishedProcess(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: errorText.data, as: UTF8.self))
    }
}

private final class ErrorText: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}
