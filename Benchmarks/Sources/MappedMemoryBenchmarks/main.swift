// MappedMemory benchmarks: random 8-byte reads, random 4 KiB reads and a sequential
// checksum of a hot file, through MappedFile, pread, Data(.alwaysMapped) and FileHandle,
// against an in-memory copy of the file; plus dependent 8-byte reads (latency) and
// rows "after 1 s idle" for context. Prints a table of ratios and the targets.
//
// Usage: MappedMemoryBenchmarks --file PATH [--size BYTES] [--runs N]
//                               [--random8 N] [--random4k N]
// PATH is created, and deleted at the end. Prefer `bash Benchmarks/run.sh`,
// which builds in release mode first.
import Foundation
import MappedMemory

struct Options {
    var path = ""
    var size = 1 << 30
    var runs = 5
    var wordReads = 2_000_000
    var blockReads = 250_000

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments.dropFirst()
        func value(_ name: String) -> String {
            guard let next = rest.popFirst() else { fail("\(name) needs a value") }
            return next
        }
        func number(_ name: String) -> Int {
            let text = value(name)
            guard let n = Int(text), n > 0 else { fail("\(name): not a positive number: \(text)") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--file": options.path = value(argument)
            case "--size": options.size = number(argument)
            case "--runs": options.runs = number(argument)
            case "--random8": options.wordReads = number(argument)
            case "--random4k": options.blockReads = number(argument)
            default: fail("unknown argument \(argument)")
            }
        }
        guard !options.path.isEmpty else { fail("--file PATH is required (the data file to create)") }
        guard options.size >= 1 << 20 else { fail("--size must be at least 1 MiB") }
        return options
    }
}

func main() {
    let options = Options.parse(CommandLine.arguments)
    let mib = options.size >> 20
    print("Data file: \(options.path), \(mib) MiB")
    print("Each method: \(options.runs) timed runs, taken in rounds across the methods, each after an untimed warm-up run (or 1 s idle where the row says so); best and median reported")
    print("Random reads: \(options.wordReads) x 8 B at any offset, \(options.blockReads) x 4 KiB at 4 KiB-aligned offsets")

    let clock = ContinuousClock()
    let start = clock.now
    let file = TestFile.create(path: options.path, size: options.size)
    defer { file.remove() }
    print("Wrote and synced the file in \(format((clock.now - start).seconds, digits: 1)) s; wordSum \(hex(file.expectedSum))")
    let memory = file.readIntoMemory()
    defer { memory.deallocate() }
    let resident = file.residency()
    print("Read it back into memory; page cache holds \(resident.resident) of \(resident.total) pages")
    guard resident.resident == resident.total else { fail("the file is not fully in the page cache; free some memory") }

    let opened = OpenedFile(file, memory: UnsafeRawBufferPointer(memory))
    let random = RandomReads(
        file: opened,
        wordOffsets: randomWordOffsets(count: options.wordReads, fileSize: options.size),
        blockOffsets: randomBlockOffsets(count: options.blockReads, fileSize: options.size),
        slowWordReads: min(options.wordReads, 200_000),
        slowBlockReads: min(options.blockReads, 100_000)
    )
    let scan = SequentialScan(file: opened)

    var results: [Measurement] = []
    results += measure(random.wordCases(), runs: options.runs)
    results += measure(random.dependentWordCases(), runs: options.runs)
    results += measure(random.blockCases(), runs: options.runs)
    results += measure(scan.cases(), runs: options.runs)

    // Every method must have read the same bytes as the in-memory copy.
    var expected: [String: UInt64] = [:]
    for m in results {
        let key = "\(m.workload.rawValue) \(m.operations)"
        let want = expected[key] ?? random.expectedSum(m.workload, count: m.operations)
        expected[key] = want
        guard m.checksum == want else {
            fail("\(m.workload.rawValue) / \(m.method): checksum \(hex(m.checksum)), expected \(hex(want))")
        }
    }
    guard expected["\(Workload.scan.rawValue) 1"] == file.expectedSum else { fail("the scan checksum differs from what was written") }
    let residentAfter = file.residency()
    print("Page cache after the runs: \(residentAfter.resident) of \(residentAfter.total) pages")
    if residentAfter.resident < residentAfter.total {
        print("WARNING: pages of the file left the page cache during the runs; some reads may have gone to the disk")
    }
    print("All checksums agree.")
    print("")
    printTable(results)
    print("")
    printTargets(results)
    print("Total time: \(format((clock.now - start).seconds, digits: 1)) s")
}

main()
