import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What is timed: the three workloads of the issue, and one for context.
enum Workload: String, CaseIterable {
    case random8 = "random 8 B reads"
    /// Random 8-byte reads where each address depends on the word read before:
    /// the latency of one read, not the throughput of many in flight. No target; shown for context.
    case dependent8 = "dependent 8 B reads"
    case random4K = "random 4 KiB reads"
    case scan = "sequential scan"
}

/// Which row a ratio is taken against, and which row a target is checked on.
enum Role {
    /// `pread` into a buffer: the baseline of every ratio.
    case pread
    /// The in-memory copy of the file: the memory-bandwidth limit.
    case memory
    /// The MappedFile path the targets are checked on (the fastest honest one).
    case mappedFile
    case other
}

/// The timings of one method on one workload.
struct Measurement {
    var workload: Workload
    var method: String
    var role: Role
    /// Reads per run (random workloads), or bytes per run (scan).
    var operations: Int
    var bytes: Int
    var durations: [Duration]
    var checksum: UInt64

    var best: Duration { durations.min()! }
    var median: Duration { durations.sorted()[durations.count / 2] }

    /// Nanoseconds per read.
    func nanosecondsPerOperation(_ duration: Duration) -> Double {
        duration.seconds * 1e9 / Double(operations)
    }

    /// Gigabytes (10^9 bytes) per second.
    func gigabytesPerSecond(_ duration: Duration) -> Double {
        Double(bytes) / duration.seconds / 1e9
    }

    /// How many times faster than `baseline` (best against best): above 1 is faster.
    func speedup(over baseline: Measurement) -> Double {
        switch workload {
        case .random8, .dependent8, .random4K:
            baseline.nanosecondsPerOperation(baseline.best) / nanosecondsPerOperation(best)
        case .scan:
            gigabytesPerSecond(best) / baseline.gigabytesPerSecond(baseline.best)
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Runs `body` `runs` times with `ContinuousClock`, after checking that every run
/// returns the same checksum (the checksum is what keeps the work from being optimized away).
func measure(
    _ workload: Workload,
    _ method: String,
    role: Role = .other,
    operations: Int,
    bytes: Int,
    runs: Int,
    _ body: () throws -> UInt64
) rethrows -> Measurement {
    let clock = ContinuousClock()
    var durations: [Duration] = []
    var checksum: UInt64?
    for _ in 0..<runs {
        var result: UInt64 = 0
        let elapsed = try clock.measure { result = try body() }
        if let checksum, checksum != result {
            fail("\(workload.rawValue) / \(method): runs disagree (checksum \(hex(checksum)) then \(hex(result)))")
        }
        checksum = result
        durations.append(elapsed)
    }
    let measurement = Measurement(
        workload: workload, method: method, role: role,
        operations: operations, bytes: bytes, durations: durations, checksum: checksum ?? 0
    )
    progress(measurement)
    return measurement
}

/// One line per measurement while the benchmark runs, so a slow method shows itself.
func progress(_ m: Measurement) {
    let value = switch m.workload {
    case .random8, .dependent8, .random4K: "\(format(m.nanosecondsPerOperation(m.best), digits: 1)) ns/op"
    case .scan: "\(format(m.gigabytesPerSecond(m.best), digits: 2)) GB/s"
    }
    print("  \(m.workload.rawValue) / \(m.method): \(value)  (checksum \(hex(m.checksum)))")
    fflush(nil)
}

func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}

func format(_ value: Double, digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

/// Prints `message` to standard error and exits with status 1.
func fail(_ message: String) -> Never {
    var text = "FAILED: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}
