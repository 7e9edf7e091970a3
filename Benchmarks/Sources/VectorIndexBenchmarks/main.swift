// The Swift side of `run-vector.sh`: builds a VectorIndex from a raw float32 file, then, in a
// fresh process, opens it, answers a first query and sweeps efSearch (recall@10 against the
// provided exact truth, queries per second, single-threaded: one `search` call at a time).
//
//   VectorIndexBenchmarks build  --data F --dim D --type float32|float16|int8 --metric cosine|l2 --index DIR [--lib NAME]
//   VectorIndexBenchmarks search --index DIR --queries F --truth F --truth-k 100 --ef 10,16,32 [--k 10] [--min-time 0.3] [--lib NAME]
//   VectorIndexBenchmarks open   (as search, without the sweep: open + first answer, memory)
//
// Every result is one JSON object on one line of standard output (the script collects them).
import Foundation
import VectorIndex

// MARK: Arguments and helpers

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write("usage: VectorIndexBenchmarks build|search --option value ...\n".data(using: .utf8)!)
    exit(2)
}
let options: [String: String] = {
    var parsed: [String: String] = [:]
    var position = 1
    while position + 1 < arguments.count {
        parsed[String(arguments[position].drop(while: { $0 == "-" }))] = arguments[position + 1]
        position += 2
    }
    return parsed
}()

func option(_ name: String) -> String {
    guard let value = options[name] else {
        FileHandle.standardError.write("VectorIndexBenchmarks: missing --\(name)\n".data(using: .utf8)!)
        exit(2)
    }
    return value
}

/// Reads a raw little-endian file of 4-byte values as rows of `width`.
func readRows<T>(_ path: String, width: Int, as type: T.Type) -> [[T]] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("VectorIndexBenchmarks: cannot read \(path)\n".data(using: .utf8)!)
        exit(1)
    }
    let count = data.count / (4 * width)
    return data.withUnsafeBytes { raw in
        (0..<count).map { row in
            (0..<width).map { raw.loadUnaligned(fromByteOffset: (row * width + $0) * 4, as: T.self) }
        }
    }
}

/// VmRSS of this process, in KiB (from /proc/self/status).
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

/// Minor + major page faults of this process so far.
func pageFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_minflt + usage.ru_majflt
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func fileSizes(_ directory: String) -> (allocated: Int, apparent: Int) {
    var apparent = 0, allocated = 0
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
        var info = stat()
        if stat(directory + "/" + name, &info) == 0 {
            apparent += Int(info.st_size)
            allocated += Int(info.st_blocks) * 512
        }
    }
    return (allocated, apparent)
}

let clock = ContinuousClock()

/// CPU time of this process (all threads), in seconds: the host is shared, so the wall clock
/// counts time other tenants hold the cores; the CPU time does not.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

// MARK: Commands

switch command {
case "build":
    let dimension = Int(option("dim"))!
    let directory = option("index")
    let type: ElementType = switch option("type") {
    case "float32": .float32
    case "float16": .float16
    case "int8": .int8
    default: fatalError("unknown --type")
    }
    let metric: Metric = options["metric"] == "l2" ? .l2 : .cosine
    var rows = readRows(option("data"), width: dimension, as: Float.self)
    if let limit = options["limit"].flatMap(Int.init) { rows = Array(rows.prefix(limit)) }
    try? FileManager.default.removeItem(atPath: directory)
    let M = Int(options["M"] ?? "16")!, efConstruction = Int(options["efConstruction"] ?? "200")!
    let start = clock.now
    let startCPU = cpuSeconds()
    let index = try VectorIndex.create(
        at: directory,
        configuration: .init(dimension: dimension, metric: metric, elementType: type, M: M, efConstruction: efConstruction),
        maxCount: max(1 << 21, rows.count)
    )
    for row in rows { try index.add(row) }
    try index.commit()
    let elapsed = seconds(clock.now - start)
    let elapsedCPU = cpuSeconds() - startCPU
    let sizes = fileSizes(directory)
    // Bytes the published content needs: three 4096-byte headers, the slots, the layer-0 nodes,
    // the upper-layer lists (the files themselves grow in doubling steps).
    let stride = (dimension * (type == .float32 ? 4 : type == .float16 ? 2 : 1) + (type == .int8 ? 4 : 0) + 15) / 16 * 16
    let nodeSize = 16 + 4 * 2 * M
    var linksUsed = 0
    if let handle = FileHandle(forReadingAtPath: directory + "/vectors") {
        let header = handle.readData(ofLength: 96)
        linksUsed = header.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 88, as: UInt64.self)) }
    }
    let used = 4096 + rows.count * stride + 4096 + rows.count * nodeSize + linksUsed
    emit(["op": "build", "lib": options["lib"] ?? "mnemap-" + option("type"), "seconds": elapsed, "cpu_seconds": elapsedCPU, "count": rows.count,
          "file_bytes": sizes.apparent, "allocated_bytes": sizes.allocated, "used_bytes": used,
          "vector_bytes": rows.count * stride, "threads": 1])

case "search", "open":
    let directory = option("index")
    let k = Int(options["k"] ?? "10")!
    let truthK = Int(options["truth-k"] ?? "100")!
    let minTime = Double(options["min-time"] ?? "0.3")!
    let efs = option("ef").split(separator: ",").map { Int($0)! }
    let lib = options["lib"] ?? "mnemap"
    let truth = readRows(option("truth"), width: truthK, as: Int32.self).map { Set($0.prefix(k).map { UInt32($0) }) }
    // The dimension comes from the queries file and the truth's row count.
    let queryData = FileManager.default.contents(atPath: option("queries"))!
    let dimension = queryData.count / 4 / truth.count
    let queries = readRows(option("queries"), width: dimension, as: Float.self)
    let baseline = residentKiB()

    // Open + first answer, in this fresh process (the files are in the page cache).
    let faultsBefore = pageFaults()
    let startCPU = cpuSeconds()
    let start = clock.now
    let index = try VectorIndex(directory: directory)
    let opened = clock.now
    let openedCPU = cpuSeconds()
    let rssOpen = residentKiB()
    index.efSearch = 64
    let first = try index.search(queries[0], k: k)
    let answered = clock.now
    let answeredCPU = cpuSeconds()
    let faults = pageFaults() - faultsBefore
    precondition(first.count == k)
    // 1,000 queries (the query set, cycled) at efSearch 64, then the resident memory.
    for number in 0..<1000 { _ = try index.search(queries[number % queries.count], k: k) }
    let rss1000 = residentKiB()
    emit(["op": "open", "lib": lib, "open_ms": seconds(opened - start) * 1000, "open_first_ms": seconds(answered - start) * 1000,
          "first_query_ms": seconds(answered - opened) * 1000, "open_first_cpu_ms": (answeredCPU - startCPU) * 1000,
          "open_cpu_ms": (openedCPU - startCPU) * 1000, "page_faults": faults,
          "rss_baseline_kib": baseline, "rss_open_kib": rssOpen, "rss_1000_kib": rss1000, "count": index.count])

    if command == "open" { exit(0) }
    for ef in efs {
        index.efSearch = ef
        var hits = 0
        for (number, query) in queries.enumerated() {
            let found = try index.search(query, k: k)
            hits += found.reduce(0) { $0 + (truth[number].contains($1.id) ? 1 : 0) }
        }
        // Timed rounds over all queries until minTime has passed (at least 2); the best round counts.
        var best = Double.infinity, bestCPU = Double.infinity
        var rounds = 0
        let sweepStart = clock.now
        while rounds < 3 || seconds(clock.now - sweepStart) < minTime {
            let roundStart = clock.now
            let roundCPU = cpuSeconds()
            for query in queries { _ = try index.search(query, k: k) }
            bestCPU = min(bestCPU, cpuSeconds() - roundCPU)
            best = min(best, seconds(clock.now - roundStart))
            rounds += 1
        }
        emit(["op": "sweep", "lib": lib, "ef": ef, "recall": Double(hits) / Double(k * queries.count),
              "qps_wall": Double(queries.count) / best, "qps": Double(queries.count) / bestCPU, "rounds": rounds])
    }

default:
    FileHandle.standardError.write("VectorIndexBenchmarks: unknown command \(command)\n".data(using: .utf8)!)
    exit(2)
}
