// MappedStore against LMDB and SQLite on the same machine and data: N random 16-byte keys with
// 100-byte values; bulk load, random puts in transactions of 1 and of 1,000 (synced and not),
// random gets, a full ordered scan, and 4 readers with 1 writer. Run with `bash run-store.sh`.
import Foundation

func parse<T: LosslessStringConvertible>(_ text: String) -> T {
    if let value = T(text.filter { $0 != "_" }) { return value }
    usage()
}

func usage() -> Never {
    print("""
    usage: MappedStoreBenchmarks [--n N] [--dir DIR] [--seed S] [--single-txns T] [--batch-txns T]
                                 [--batch-size B] [--read-runs R] [--concurrent-seconds S]
                                 [--engines MappedStore,LMDB,SQLite] [--keep] [--phase-times]
                                 [--store-relaxed noSync|batched]
    """)
    exit(2)
}

var settings = Settings()
var keep = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--keep" { keep = true; continue }
    if argument == "--phase-times" { settings.phaseTimes = true; continue }
    guard let value = arguments.popFirst() else { usage() }
    switch argument {
    case "--n": settings.n = parse(value)
    case "--dir": settings.directory = value
    case "--seed": settings.seed = parse(value)
    case "--single-txns": settings.singleTransactions = parse(value)
    case "--batch-txns": settings.batchTransactions = parse(value)
    case "--batch-size": settings.batchSize = parse(value)
    case "--read-runs": settings.readRuns = parse(value)
    case "--concurrent-seconds": settings.concurrentSeconds = parse(value)
    case "--store-relaxed":
        guard value == "noSync" || value == "batched" else { usage() }
        settings.storeRelaxedBatched = value == "batched"
    case "--engines": settings.engines = value.split(separator: ",").map(String.init)
    default: usage()
    }
}
guard settings.n >= 1_000, settings.readRuns >= 1 else { usage() }

let clock = ContinuousClock()
mkdir(settings.directory, 0o755)
print("N = \(settings.n) keys (16 B) with 100 B values, seed \(settings.seed); data in \(settings.directory)")
print("puts: \(settings.singleTransactions) txns of 1; \(settings.batchTransactions) txns of \(settings.batchSize); reads: best of \(settings.readRuns)")
let start = clock.now
let workload = Workload(n: settings.n, seed: settings.seed, singleTransactions: settings.singleTransactions,
                        batchTransactions: settings.batchTransactions, batchSize: settings.batchSize)
print("data generated in \(clock.now - start)")

do {
    var engines: [any Engine] = []
    for name in settings.engines {
        switch name {
        case "MappedStore": engines.append(try MappedStoreEngine(directory: settings.directory, relaxed: settings.storeRelaxedBatched ? .batched(interval: .seconds(1)) : .noSync))
        case "LMDB": engines.append(try LMDBEngine(directory: settings.directory))
        case "SQLite": engines.append(try SQLiteEngine(directory: settings.directory))
        default: usage()
        }
    }
    var driver = Driver(settings: settings, workload: workload, engines: engines)
    try driver.run()
    for engine in engines { try engine.close() }
    let report = Report(rows: driver.rows, settings: settings)
    print("\nAll checksums agree (every engine and the in-memory model).\n")
    print(report.table())
    print("Shapes:\n" + driver.shapes.map { "  " + $0 }.joined(separator: "\n") + "\n")
    print("```\n" + report.targets() + "\n```")
    if !keep {
        for engine in engines {
            for file in engine.dataFiles + engine.dataFiles.map({ $0 + "-lock" }) + [settings.directory + "/sqlite.db-shm"] { removeFile(file) }
        }
    }
} catch {
    print("FAILED: \(error)")
    exit(1)
}
