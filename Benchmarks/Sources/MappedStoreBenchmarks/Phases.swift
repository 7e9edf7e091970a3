import Synchronization
import Foundation

/// The phases, in the order every engine runs them.
enum Phase: Int, CaseIterable {
    case load, getAfterLoad, scanAfterLoad, putSingleSynced, putSingleNoSync, putBatchSynced, putBatchNoSync, get, scan, concurrentReads, concurrentWrites

    var label: String {
        switch self {
        case .load: "(a) bulk load, sorted, 1 txn"
        case .getAfterLoad: "(a') random gets after the load"
        case .scanAfterLoad: "(a') full scan after the load"
        case .putSingleSynced: "(b) random puts, 1/txn, synced"
        case .putSingleNoSync: "(b) random puts, 1/txn, no sync"
        case .putBatchSynced: "(c) random puts, 1000/txn, synced"
        case .putBatchNoSync: "(c) random puts, 1000/txn, no sync"
        case .get: "(d) random gets, all keys, 1 read txn"
        case .scan: "(e) full ordered scan"
        case .concurrentReads: "(f) 4 readers + 1 writer: reader gets"
        case .concurrentWrites: "(f) 4 readers + 1 writer: writer puts"
        }
    }
}

/// One timed row: an engine (and way of reading) on a phase.
struct Row {
    var phase: Phase
    var engine: String
    var variant: String
    var operations: Int
    var durations: [Duration]
    /// The data files' size after the phase.
    var fileBytes: Int64

    var best: Duration { durations.min()! }
    var median: Duration { durations.sorted()[durations.count / 2] }
    var operationsPerSecond: Double { Double(operations) / best.seconds }
    var nanosecondsPerOperation: Double { best.seconds * 1e9 / Double(operations) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

struct Settings {
    var n = 1_000_000
    var directory = "/tmp/mnemap-store-bench"
    var seed: UInt64 = 0x5EED_2026
    var singleTransactions = 2_000
    var batchTransactions = 100
    var batchSize = 1_000
    var readRuns = 5
    var concurrentSeconds = 5.0
    var readerThreads = 4
    var readsPerTransaction = 100
    var engines = ["MappedStore", "LMDB", "SQLite"]
    /// Print each timed interval's CLOCK_MONOTONIC start and end (for profiling by phase).
    var phaseTimes = false
    /// MappedStore's "no sync" rows with `.batched(interval: 1 s)` instead of `.noSync`.
    var storeRelaxedBatched = false
}

/// Runs every phase on every engine, in the same order, and checks the results.
struct Driver {
    let settings: Settings
    let workload: Workload
    let engines: [any Engine]
    var rows: [Row] = []
    /// Each engine's tree shape after the load, the puts and the concurrent phase.
    var shapes: [String] = []
    let clock = ContinuousClock()

    init(settings: Settings, workload: Workload, engines: [any Engine]) {
        self.settings = settings
        self.workload = workload
        self.engines = engines
    }

    private func log(_ text: String) {
        print(text)
        fflush(nil)
    }

    private mutating func record(_ phase: Phase, _ engine: any Engine, variant: String = "", operations: Int, _ durations: [Duration]) {
        let row = Row(phase: phase, engine: engine.name, variant: variant, operations: operations, durations: durations, fileBytes: engine.fileBytes)
        rows.append(row)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        log("  " + pad(phase.label, 40) + pad(engine.name, 12) + pad(variant, 34) + String(format: "%12.0f ops/s %10.1f ns/op %8.1f MB", row.operationsPerSecond, row.nanosecondsPerOperation, Double(row.fileBytes) / 1e6))
    }

    /// Times `body`; with `--phase-times`, also prints its CLOCK_MONOTONIC interval (for
    /// `profile-store.sh`, which splits a `perf record -k CLOCK_MONOTONIC` profile by phase).
    private func measure(_ phase: Phase, _ engine: any Engine, _ variant: String = "", _ body: () throws -> Void) throws -> Duration {
        let startNanoseconds = Self.monotonicNanoseconds()
        let duration = try clock.measure(body)
        let endNanoseconds = Self.monotonicNanoseconds()
        if settings.phaseTimes {
            log("phase-time\t\(startNanoseconds)\t\(endNanoseconds)\t\(engine.name)\t\(phase.label)\t\(variant)")
        }
        return duration
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    private func verify(_ what: String, _ engine: any Engine, _ got: Checksum, _ expected: Checksum) throws {
        guard got == expected else { throw BenchmarkError("\(engine.name) \(what): got \(got), expected \(expected)") }
    }

    mutating func run() throws {
        let n = workload.n
        log("(a) bulk load")
        for engine in engines {
            let duration = try measure(.load, engine) { try engine.bulkLoad(workload) }
            record(.load, engine, operations: n, [duration])
        }
        try logShapes("after the load")
        log("(a') one random-get pass and one scan right after the load (context: before the puts reshape the tree)")
        let expectedLoad = workload.expectedAfterLoad()
        for engine in engines {
            let variant = engine.getVariants.count - 1
            var checksum = Checksum()
            let getDuration = try measure(.getAfterLoad, engine, engine.getVariants[variant]) {
                checksum = try engine.gets(workload.getOrder, keys: workload.keys, variant: variant)
            }
            try verify("gets after the load", engine, checksum, Checksum(count: n, valueBytes: expectedLoad.valueBytes))
            record(.getAfterLoad, engine, variant: engine.getVariants[variant], operations: n, [getDuration])
            let scanDuration = try measure(.scanAfterLoad, engine) { checksum = try engine.scan() }
            try verify("scan after the load", engine, checksum, expectedLoad)
            record(.scanAfterLoad, engine, operations: n, [scanDuration])
        }

        let puts: [(Phase, PutSequence, Int, Bool)] = [
            (.putSingleSynced, workload.singlePuts, 1, true),
            (.putSingleNoSync, workload.singlePutsNoSync, 1, false),
            (.putBatchSynced, workload.batchPuts, settings.batchSize, true),
            (.putBatchNoSync, workload.batchPutsNoSync, settings.batchSize, false),
        ]
        for (phase, sequence, batch, synced) in puts {
            log(phase.label)
            for engine in engines {
                try engine.setDurability(full: synced)
                let duration = try measure(phase, engine) { try engine.put(sequence, 0..<sequence.count, batch: batch, keys: workload.keys) }
                record(phase, engine, operations: sequence.count, [duration])
            }
        }
        for engine in engines { try engine.setDurability(full: true) }
        try logShapes("after the puts")

        let expected = workload.expectedAfterPuts()
        let expectedValues = Checksum(count: expected.count, valueBytes: expected.valueBytes, keyOrder: 0)
        log("(d) random gets: \(settings.readRuns) runs per row, in rounds")
        var getTimes: [String: [Duration]] = [:]
        for _ in 0..<settings.readRuns {
            for engine in engines {
                for (variant, name) in engine.getVariants.enumerated() {
                    var checksum = Checksum()
                    let duration = try measure(.get, engine, name) { checksum = try engine.gets(workload.getOrder, keys: workload.keys, variant: variant) }
                    try verify("gets (\(name))", engine, checksum, expectedValues)
                    getTimes[engine.name + name, default: []].append(duration)
                }
            }
        }
        for engine in engines {
            for name in engine.getVariants { record(.get, engine, variant: name, operations: n, getTimes[engine.name + name]!) }
        }

        log("(e) full scan: \(settings.readRuns) runs per row, in rounds")
        var scanTimes: [String: [Duration]] = [:]
        for _ in 0..<settings.readRuns {
            for engine in engines {
                var checksum = Checksum()
                let duration = try measure(.scan, engine) { checksum = try engine.scan() }
                try verify("scan after the puts", engine, checksum, expected)
                scanTimes[engine.name, default: []].append(duration)
            }
        }
        for engine in engines { record(.scan, engine, operations: n, scanTimes[engine.name]!) }

        log("(f) \(settings.readerThreads) readers (\(settings.readsPerTransaction) gets per read txn) + 1 writer (\(settings.batchSize) puts per txn, synced), \(settings.concurrentSeconds) s each")
        for engine in engines {
            let startNanoseconds = Self.monotonicNanoseconds()
            let (reads, writes, elapsed) = try concurrent(engine)
            if settings.phaseTimes {
                log("phase-time\t\(startNanoseconds)\t\(Self.monotonicNanoseconds())\t\(engine.name)\t(f) 4 readers + 1 writer\t")
            }
            record(.concurrentReads, engine, variant: "\(settings.readerThreads) threads, total", operations: reads, [elapsed])
            record(.concurrentWrites, engine, variant: "1 thread", operations: writes, [elapsed])
            var checksum = try engine.scan()
            checksum.valueBytes = 0
            checksum.keyOrder = 0
            try verify("entries after the concurrent phase", engine, checksum, Checksum(count: n))
        }
        try logShapes("after the concurrent phase")
    }

    private mutating func logShapes(_ when: String) throws {
        for engine in engines {
            let line = "\(engine.name) \(when): \(try engine.shape())"
            shapes.append(line)
            log("  " + line)
        }
    }

    /// Readers and a writer on one engine for the set time; returns gets, puts and the elapsed time.
    private func concurrent(_ engine: any Engine) throws -> (Int, Int, Duration) {
        let stop = StopFlag()
        let reads = Counter()
        let writes = Counter()
        let failure = FailureBox()
        let workload = self.workload
        let settings = self.settings
        let threads = settings.readerThreads
        let slice = workload.n / threads
        var bodies: [@Sendable () -> Void] = []
        for thread in 0..<threads {
            bodies.append { [workload] in
                do {
                    let order = workload.getOrder[(thread * slice)..<((thread + 1) * slice)]
                    let done = try engine.readerWork(keys: workload.keys, order: order, perTransaction: settings.readsPerTransaction, stop: stop)
                    reads.value.add(done, ordering: .relaxed)
                } catch {
                    failure.message.withLock { $0 = "\(error)" }
                    stop.set()
                }
            }
        }
        bodies.append { [workload] in
            do {
                let done = try engine.writerWork(workload.concurrentPuts, keys: workload.keys, batch: settings.batchSize, stop: stop)
                writes.value.add(done, ordering: .relaxed)
            } catch {
                failure.message.withLock { $0 = "\(error)" }
                stop.set()
            }
        }
        let timer: @Sendable () -> Void = {
            let deadline = ContinuousClock.now + .milliseconds(Int(settings.concurrentSeconds * 1000))
            while ContinuousClock.now < deadline { usleep(10_000) }
            stop.set()
        }
        let start = clock.now
        runThreads(bodies + [timer])
        let elapsed = clock.now - start
        if let message = failure.message.withLock({ $0 }) { throw BenchmarkError("\(engine.name) concurrent phase: \(message)") }
        return (reads.value.load(ordering: .relaxed), writes.value.load(ordering: .relaxed), elapsed)
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

final class FailureBox: Sendable {
    let message = Mutex<String?>(nil)
}
