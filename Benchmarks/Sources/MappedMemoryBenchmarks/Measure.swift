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
    /// Reads per run (random workloads); 1 for the scan.
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

/// What happens, untimed, just before each timed run of a case.
enum Preparation {
    /// One untimed run of the same method: the timed run sees a hot, recently used path.
    case warmUp
    /// Sleep this long first: the mapping has sat unused, as between a program's bursts.
    case idle(Duration)
}

/// One method on one workload, ready to run: `body` does one timed run and returns its checksum.
struct Case {
    var workload: Workload
    var method: String
    var role: Role = .other
    /// Reads per run (random workloads); 1 for the scan.
    var operations: Int
    /// Bytes read per run.
    var bytes: Int
    var preparation: Preparation = .warmUp
    var body: () -> UInt64
}

/// Times every case `runs` times with `ContinuousClock`, in rounds (each case once per
/// round), so that a burst of noise from elsewhere on the machine hits all methods
/// alike instead of all runs of one method. Each timed run follows its case's
/// untimed preparation. Every run of a case must return the same checksum (the
/// checksum is what keeps the work from being optimized away).
func measure(_ cases: [Case], runs: Int) -> [Measurement] {
    let clock = ContinuousClock()
    var durations = Array(repeating: [Duration](), count: cases.count)
    var checksums = Array(repeating: UInt64?.none, count: cases.count)
    for _ in 0..<runs {
        for (index, testCase) in cases.enumerated() {
            switch testCase.preparation {
            case .warmUp: _ = testCase.body()
            case .idle(let pause): sleepUntimed(pause)
            }
            var result: UInt64 = 0
            let elapsed = clock.measure { result = testCase.body() }
            if let checksum = checksums[index], checksum != result {
                fail("\(testCase.workload.rawValue) / \(testCase.method): runs disagree (checksum \(hex(checksum)) then \(hex(result)))")
            }
            checksums[index] = result
            durations[index].append(elapsed)
        }
    }
    return cases.indices.map { index in
        let testCase = cases[index]
        let measurement = Measurement(
            workload: testCase.workload, method: testCase.method, role: testCase.role,
            operations: testCase.operations, bytes: testCase.bytes,
            durations: durations[index], checksum: checksums[index] ?? 0
        )
        progress(measurement)
        return measurement
    }
}

func sleepUntimed(_ duration: Duration) {
    Thread.sleep(forTimeInterval: duration.seconds)
}

/// One line per measurement while the benchmark runs, so a slow method shows itself.
func progress(_ m: Measurement) {
    let values = m.durations.map { duration in
        switch m.workload {
        case .random8, .dependent8, .random4K: format(m.nanosecondsPerOperation(duration), digits: 1)
        case .scan: format(m.gigabytesPerSecond(duration), digits: 2)
        }
    }
    let unit = m.workload == .scan ? "GB/s" : "ns/op"
    print("  \(m.workload.rawValue) / \(m.method): \(values.joined(separator: " ")) \(unit)  (checksum \(hex(m.checksum)))")
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
