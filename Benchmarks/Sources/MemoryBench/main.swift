// The Swift side of `run-memory.sh`: MemoryStore as agent memory, measured the way
// `memory_peers.py` measures Chroma, LanceDB and sqlite-vec on the same data.
//
//   MemoryBench run   --data DIR --store DIR [--lib NAME] [--durability nosync|full] [--batch 1000]
//                     [--namespaces 100] [--filter-ns 42] [--filtered-truth FILE] [--probes 5]
//                     [--min-time 3] [--max-queries N] [--ingest-only 1] [--element-type float32|float16|int8]
//       Creates the store (no embedder, 384 dims from the data), adds every passage of
//       DIR/chunks.jsonl with its vector from DIR/vectors.f32 in batches of `batch` memories per
//       `add(contentsOf:)`, namespace `ns/<id % namespaces>`; then query latency (vector k=10
//       unfiltered and filtered on `ns/<filter-ns>`, hybrid, text), recall@10 against
//       DIR/truth-top100.i32 (and the filtered truth file), disk size, then `probes` fresh
//       processes of `probe` (open + first answer), and the peak RSS of this process.
//   MemoryBench index --data DIR --index DIR [--limit N] [--batch 1000] [--ef 96,200]
//       The vector index alone, built in batches as MemoryStore builds it (or one at a time with
//       --batch 1); recall@10 by efSearch. A check that the store's recall is the index's.
//   MemoryBench recall --store DIR --data DIR [--ef 96,200,400] [--max-queries Q] [--namespace NS]
//       An existing store (as `run` left it) searched with each efSearch: recall@10 against
//       DIR/truth-top100.i32, latency p50/p99 over two passes (with --namespace: latency only,
//       the search filtered on that namespace prefix).
//   MemoryBench adds --data DIR --store DIR [--preload 3000] [--count 1000] [--durability full|nosync] [--threads 1] [--pause-ms 0]
//       Single adds (`add(_:)`) into a store preloaded with `preload` memories, from `threads`
//       threads at once: adds per second, p50/p99 latency, CPU per add.
//   MemoryBench text --store DIR --data DIR [--dim 384] [--limits 10,30] [--min-time 3] [--namespace NS]
//       An existing store (as `run` left it): text search latency (and hybrid, with the query
//       vectors) for each result limit, p50/p99 over passes of DIR/queries.jsonl, and a digest of
//       the answers (ids and scores), so that two builds can be checked to answer alike.
//   MemoryBench probe --store DIR --queries FILE [--max-queries Q]
//       In a fresh process: opens the store and answers query 0 (vector, k=10); prints one line at
//       once (the parent stamps the spawn-to-answer time when it arrives), then answers every query
//       once more (the first Q) and prints a second line with VmHWM.
//
// Every result is one JSON object per line on standard output.
import Foundation
import MappedStore
import Mnemap
import VectorIndex

// MARK: Arguments and helpers

let command = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
let options: [String: String] = {
    var arguments = Array(CommandLine.arguments.dropFirst(2))
    var parsed: [String: String] = [:]
    while arguments.count >= 2, arguments[0].hasPrefix("--") {
        parsed[String(arguments[0].dropFirst(2))] = arguments[1]
        arguments.removeFirst(2)
    }
    return parsed
}()

func option(_ name: String) -> String {
    guard let value = options[name] else {
        FileHandle.standardError.write(Data("MemoryBench: missing --\(name)\n".utf8))
        exit(2)
    }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("MemoryBench: \(message)\n".utf8))
    exit(1)
}

let clock = ContinuousClock()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// CPU seconds of this process so far (user + system, all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

/// A /proc file's text, read with POSIX calls (/proc files report a size of 0, which Foundation trusts).
func procText(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A field of /proc/self/status in KiB (VmHWM, VmRSS).
func status(_ field: String) -> Int {
    for line in procText("/proc/self/status").split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
    }
    return -1
}

/// The first three fields of /proc/loadavg.
func loadAverage() -> String {
    procText("/proc/loadavg").split(separator: " ").prefix(3).joined(separator: " ")
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Allocated bytes (blocks) and apparent bytes of every file under `path`.
func diskUsage(_ path: String) -> (allocated: Int, apparent: Int) {
    var allocated = 0, apparent = 0
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let name = enumerator?.nextObject() as? String {
        var info = stat()
        if lstat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            allocated += Int(info.st_blocks) * 512
            apparent += Int(info.st_size)
        }
    }
    return (allocated, apparent)
}

/// A raw little-endian float32 or int32 file, mapped.
struct RawRows {
    let data: Data
    let width: Int
    var count: Int { data.count / (4 * width) }

    init(_ path: String, width: Int) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { fail("cannot read \(path)") }
        self.data = data
        self.width = width
    }

    func floats(_ row: Int) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<width).map { raw.loadUnaligned(fromByteOffset: (row * width + $0) * 4, as: Float.self) }
        }
    }

    func ints(_ row: Int, prefix: Int) -> [Int32] {
        data.withUnsafeBytes { raw in
            (0..<min(prefix, width)).map { raw.loadUnaligned(fromByteOffset: (row * width + $0) * 4, as: Int32.self) }
        }
    }
}

/// The "text" member of each line of a JSON Lines file.
func texts(_ path: String) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    var result: [String] = []
    data.withUnsafeBytes { raw in
        var start = 0
        let bytes = raw.bindMemory(to: UInt8.self)
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
            if index > start {
                let line = Data(bytes[start..<index])
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let text = object["text"] as? String else {
                    fail("\(path): a line without \"text\"")
                }
                result.append(text)
            }
            start = index + 1
        }
    }
    return result
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}

/// Latency of `body(query)` per query: a warm-up over the first 20 queries, then passes over all
/// queries until at least 3 passes and `minTime` seconds (at least one pass in any case, and no
/// new pass after 60 s). Returns milliseconds p50 / p99 / mean, the sample count, and the first
/// timed pass's answers.
func latency<R>(_ count: Int, minTime: Double, _ body: (Int) throws -> R) rethrows -> (stats: [String: Any], answers: [R]) {
    for query in 0..<min(20, count) { _ = try body(query) }
    var samples: [Double] = []
    var answers: [R] = []
    let start = clock.now
    var passes = 0
    while passes < 1 || (passes < 3 || seconds(clock.now - start) < minTime) && seconds(clock.now - start) < 60 {
        for query in 0..<count {
            let before = clock.now
            let answer = try body(query)
            samples.append(seconds(clock.now - before) * 1000)
            if passes == 0 { answers.append(answer) }
        }
        passes += 1
    }
    let sorted = samples.sorted()
    return (["p50_ms": percentile(sorted, 50), "p99_ms": percentile(sorted, 99), "mean_ms": sorted.reduce(0, +) / Double(sorted.count),
             "samples": sorted.count], answers)
}

// MARK: Commands

switch command {
case "run":
    let dataFolder = option("data")
    let storePath = option("store")
    let lib = options["lib"] ?? "mnemap"
    let batch = Int(options["batch"] ?? "1000")!
    let namespaceCount = Int(options["namespaces"] ?? "100")!
    let filterNamespace = "ns/" + (options["filter-ns"] ?? "42")
    let minTime = Double(options["min-time"] ?? "3")!
    let probes = Int(options["probes"] ?? "5")!
    let ingestOnly = options["ingest-only"] == "1"
    let durability: MappedStore.Durability = options["durability"] == "full" ? .full : .noSync

    let passages = texts(dataFolder + "/chunks.jsonl")
    let queryFile = dataFolder + "/queries.f32"
    let queryTexts = texts(dataFolder + "/queries.jsonl")
    let dimension = Int(options["dim"] ?? "384")!
    let vectors = RawRows(dataFolder + "/vectors.f32", width: dimension)
    guard vectors.count == passages.count else { fail("\(vectors.count) vectors for \(passages.count) passages") }
    let queries = RawRows(queryFile, width: dimension)
    let maxQueries = Int(options["max-queries"] ?? "0")!
    let queryVectors = (0..<(maxQueries > 0 ? min(maxQueries, queries.count) : queries.count)).map { queries.floats($0) }
    let loadStart = loadAverage()
    let truth = RawRows(dataFolder + "/truth-top100.i32", width: 100)
    let truthSets = (0..<truth.count).map { Set(truth.ints($0, prefix: 10)) }

    try? FileManager.default.removeItem(atPath: storePath)
    let rssBefore = status("VmRSS")

    // Ingest: batches prepared outside the timing, only `add(contentsOf:)` (and the final sync) timed.
    var ingestSeconds = 0.0, ingestCPU = 0.0
    var chunkOf: [MemoryID: Int32] = [:]
    chunkOf.reserveCapacity(passages.count)
    let openStart = clock.now
    let elementType: ElementType = switch options["element-type"] ?? "float32" {
    case "float16": .float16
    case "int8": .int8
    case "float32": .float32
    default: fail("--element-type is float32, float16 or int8")
    }
    let store = try MemoryStore(path: storePath, embedder: nil, dimension: dimension, options: MemoryStore.Options(elementType: elementType, durability: durability))
    let createSeconds = seconds(clock.now - openStart)
    var skipped = 0
    var lastReport = clock.now
    for first in stride(from: 0, to: passages.count, by: batch) {
        let range = first..<min(first + batch, passages.count)
        let memories = range.map { NewMemory(text: passages[$0], namespace: "ns/\($0 % namespaceCount)", vector: vectors.floats($0)) }
        let before = clock.now
        let cpuBefore = cpuSeconds()
        let results = try store.add(contentsOf: memories)
        ingestSeconds += seconds(clock.now - before)
        ingestCPU += cpuSeconds() - cpuBefore
        for (offset, result) in zip(range, results) {
            if result.outcome == .added { chunkOf[result.memory.id] = Int32(offset) } else { skipped += 1 }
        }
        if seconds(clock.now - lastReport) > 30 {
            FileHandle.standardError.write(Data("MemoryBench \(lib): \(range.upperBound) of \(passages.count) added, \(Int(Double(range.upperBound) / ingestSeconds))/s\n".utf8))
            lastReport = clock.now
        }
    }
    let syncStart = clock.now
    try store.sync()
    ingestSeconds += seconds(clock.now - syncStart)
    let stats = try store.stats()
    let disk = diskUsage(storePath)
    var result: [String: Any] = [
        "op": "run", "lib": lib, "count": passages.count, "batch": batch, "durability": durability == .full ? "full" : "noSync",
        "ingest_seconds": ingestSeconds, "ingest_cpu_seconds": ingestCPU, "ingest_per_second": Double(passages.count) / ingestSeconds,
        "create_seconds": createSeconds, "skipped": skipped, "memories": stats.memories, "namespaces": stats.namespaces,
        "disk_bytes": disk.allocated, "apparent_bytes": disk.apparent, "store_bytes": stats.storeBytes, "vector_bytes": stats.vectorBytes,
        "rss_before_kib": rssBefore, "queries": queryVectors.count, "load_start": loadStart,
    ]
    if ingestOnly {
        result["hwm_kib"] = status("VmHWM")
        emit(result)
        exit(0)
    }

    // Queries: vector k=10 unfiltered (recall), vector filtered on one namespace, hybrid, text.
    let k = 10
    func ids(_ hits: [SearchHit]) -> [Int32] { hits.map { chunkOf[$0.memory.id] ?? -1 } }
    let vector = try latency(queryVectors.count, minTime: minTime) { query in
        ids(try store.search(SearchRequest(query: "", vector: queryVectors[query], mode: .vector, limit: k)))
    }
    var hits = 0
    for (query, found) in vector.answers.enumerated() { hits += found.prefix(k).filter { truthSets[query].contains($0) }.count }
    result["vector"] = vector.stats
    result["recall"] = Double(hits) / Double(k * vector.answers.count)

    let filter = MemoryFilter(namespacePrefix: filterNamespace)
    let filtered = try latency(queryVectors.count, minTime: minTime) { query in
        ids(try store.search(SearchRequest(query: "", vector: queryVectors[query], mode: .vector, limit: k, filter: filter)))
    }
    result["filtered"] = filtered.stats
    if let path = options["filtered-truth"] {
        let filteredTruth = RawRows(path, width: k)
        var hits = 0, wrongNamespace = 0
        for (query, found) in filtered.answers.enumerated() {
            let want = Set(filteredTruth.ints(query, prefix: k))
            hits += found.filter { want.contains($0) }.count
            wrongNamespace += found.filter { Int($0) % namespaceCount != Int(filterNamespace.dropFirst(3))! }.count
        }
        result["filtered_recall"] = Double(hits) / Double(k * filtered.answers.count)
        result["filtered_wrong_namespace"] = wrongNamespace
    }
    let hybrid = try latency(queryVectors.count, minTime: minTime) { query in
        try store.search(SearchRequest(query: queryTexts[query], vector: queryVectors[query], mode: .hybrid, limit: k)).count
    }
    result["hybrid"] = hybrid.stats
    let text = try latency(queryVectors.count, minTime: minTime) { query in
        try store.search(SearchRequest(query: queryTexts[query], mode: .text, limit: k)).count
    }
    result["text"] = text.stats
    result["text_empty"] = text.answers.filter { $0 == 0 }.count
    result["hwm_kib"] = status("VmHWM")

    // Open + first answer in fresh processes of this binary.
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var spawnMs: [Double] = [], probeResults: [[String: Any]] = []
    for _ in 0..<probes {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["probe", "--store", storePath, "--queries", queryFile, "--dim", String(dimension), "--max-queries", String(queryVectors.count)]
        let pipe = Pipe()
        process.standardOutput = pipe
        let start = clock.now
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += chunk
        }
        spawnMs.append(seconds(clock.now - start) * 1000)
        buffer += pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var merged: [String: Any] = [:]
        for line in buffer.split(separator: UInt8(ascii: "\n")) {
            if let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { merged.merge(object) { $1 } }
        }
        probeResults.append(merged)
    }
    func median(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.sorted()[values.count / 2] }
    result["spawn_first_ms"] = median(spawnMs)
    result["spawn_first_ms_all"] = spawnMs
    result["open_first_ms"] = median(probeResults.compactMap { $0["open_first_ms"] as? Double })
    result["open_ms"] = median(probeResults.compactMap { $0["open_ms"] as? Double })
    result["probe_hwm_kib"] = median(probeResults.compactMap { ($0["hwm_kib"] as? Int).map(Double.init) })
    result["probe_first_rss_kib"] = median(probeResults.compactMap { ($0["first_rss_kib"] as? Int).map(Double.init) })
    result["probe_rss_anon_kib"] = median(probeResults.compactMap { ($0["rss_anon_kib"] as? Int).map(Double.init) })
    result["load_end"] = loadAverage()
    emit(result)

case "adds":
    // Single adds, each its own write transaction (what an agent or `POST /v1/memories` does):
    // a store preloaded with `preload` memories of DIR in batches, then `count` more added one
    // by one with `add(_:)`. Rate, latency percentiles and CPU per add.
    let dataFolder = option("data")
    let storePath = option("store")
    let preload = Int(options["preload"] ?? "3000")!
    let count = Int(options["count"] ?? "1000")!
    let durability: MappedStore.Durability = options["durability"] == "nosync" ? .noSync : .full
    let dimension = Int(options["dim"] ?? "384")!
    let passages = texts(dataFolder + "/chunks.jsonl")
    let vectors = RawRows(dataFolder + "/vectors.f32", width: dimension)
    guard preload + count <= passages.count else { fail("preload + count is more than the \(passages.count) passages") }
    try? FileManager.default.removeItem(atPath: storePath)
    let store = try MemoryStore(path: storePath, embedder: nil, dimension: dimension, options: MemoryStore.Options(durability: durability))
    for first in stride(from: 0, to: preload, by: 1000) {
        let range = first..<min(first + 1000, preload)
        _ = try store.add(contentsOf: range.map { NewMemory(text: passages[$0], namespace: "ns/\($0 % 100)", vector: vectors.floats($0)) })
    }
    try store.sync()
    let memories = (preload..<(preload + count)).map { NewMemory(text: passages[$0], namespace: "ns/\($0 % 100)", vector: vectors.floats($0)) }
    let threads = Int(options["threads"] ?? "1")!
    // An agent adds a memory now and then, not back to back: `--pause-ms P` waits P ms after
    // each add (outside the timings; the rate then counts the pauses too).
    let pauseMicroseconds = UInt32((Double(options["pause-ms"] ?? "0")! * 1000).rounded())
    let loadStart = loadAverage()
    // Each thread adds every `threads`-th memory; latencies per add, from all threads.
    final class Latencies: @unchecked Sendable {
        let lock = NSLock()
        var values: [Double] = []
        var failure: (any Error)?
    }
    let collected = Latencies()
    let cpuBefore = cpuSeconds()
    let start = clock.now
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            var mine: [Double] = []
            for index in stride(from: thread, to: memories.count, by: threads) {
                let before = clock.now
                do { _ = try store.add(memories[index]) } catch { collected.lock.withLock { collected.failure = error } }
                mine.append(seconds(clock.now - before) * 1000)
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            }
            collected.lock.withLock { collected.values += mine }
            group.leave()
        }
    }
    group.wait()
    if let failure = collected.failure { fail("an add failed: \(failure)") }
    let total = seconds(clock.now - start)
    let cpu = cpuSeconds() - cpuBefore
    let latencies = collected.values.sorted()
    emit(["op": "adds", "preload": preload, "count": count, "threads": threads, "durability": durability == .full ? "full" : "noSync",
          "adds_per_second": Double(count) / total, "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
          "p999_ms": percentile(latencies, 99.9), "max_ms": latencies.last ?? 0,
          "over_5ms": latencies.filter { $0 > 5 }.count, "over_10ms": latencies.filter { $0 > 10 }.count, "pause_ms": Double(pauseMicroseconds) / 1000,
          "cpu_ms_per_add": cpu * 1000 / Double(count), "load_start": loadStart, "load_end": loadAverage()])

case "probe":
    let dimension = Int(options["dim"] ?? "384")!
    let queries = RawRows(option("queries"), width: dimension)
    let first = queries.floats(0)
    let baseline = status("VmRSS")
    let start = clock.now
    let store = try MemoryStore(path: option("store"), embedder: nil, options: MemoryStore.Options(create: false))
    let opened = clock.now
    let hits = try store.search(SearchRequest(query: "", vector: first, mode: .vector, limit: 10))
    let answered = clock.now
    emit(["op": "probe", "open_ms": seconds(opened - start) * 1000, "open_first_ms": seconds(answered - start) * 1000, "hits": hits.count,
          "first_rss_kib": status("VmRSS"), "first_rss_anon_kib": status("RssAnon"), "first_rss_file_kib": status("RssFile"),
          "baseline_rss_kib": baseline])
    let maxQueries = Int(options["max-queries"] ?? "0")!
    for query in 0..<(maxQueries > 0 ? min(maxQueries, queries.count) : queries.count) {
        _ = try store.search(SearchRequest(query: "", vector: queries.floats(query), mode: .vector, limit: 10))
    }
    emit(["hwm_kib": status("VmHWM"), "rss_anon_kib": status("RssAnon"), "rss_file_kib": status("RssFile")])

case "recall":
    // Recall@10 and latency of an existing store's vector search by efSearch (the store as
    // `run` left it): MemoryBench recall --store DIR --data DIR [--ef 96,200,400] [--max-queries Q]
    let dimension = Int(options["dim"] ?? "384")!
    let folder = option("data")
    let queries = RawRows(folder + "/queries.f32", width: dimension)
    let truth = RawRows(folder + "/truth-top100.i32", width: 100)
    let maxQueries = Int(options["max-queries"] ?? "0")!
    let count = maxQueries > 0 ? min(maxQueries, queries.count) : queries.count
    var chunkOfText: [String: Int32] = [:]
    if options["namespace"] == nil {
        for (index, text) in texts(folder + "/chunks.jsonl").enumerated() { chunkOfText[text] = Int32(index) }
    }
    for ef in (options["ef"] ?? "96").split(separator: ",").map({ Int($0)! }) {
        let store = try MemoryStore(path: option("store"), embedder: nil, options: MemoryStore.Options(create: false, efSearch: ef))
        var hits = 0
        var latencies: [Double] = []
        for pass in 0..<2 {
            for query in 0..<count {
                let began = clock.now
                let filter = options["namespace"].map { MemoryFilter(namespacePrefix: $0) } ?? MemoryFilter()
                let found = try store.search(SearchRequest(query: "", vector: queries.floats(query), mode: .vector, limit: 10, filter: filter))
                latencies.append(seconds(clock.now - began) * 1000)
                if pass == 0, options["namespace"] == nil {
                    let want = Set(truth.ints(query, prefix: 10))
                    hits += found.filter { want.contains(chunkOfText[$0.memory.text] ?? -1) }.count
                }
            }
        }
        latencies.sort()
        emit(["op": "recall", "ef": ef, "queries": count, "recall": Double(hits) / Double(10 * count),
              "p50_ms": latencies[latencies.count / 2], "p99_ms": latencies[min(latencies.count - 1, latencies.count * 99 / 100)]])
    }

case "text":
    let dimension = Int(options["dim"] ?? "384")!
    let folder = option("data")
    let queryTexts = texts(folder + "/queries.jsonl")
    let vectors = RawRows(folder + "/queries.f32", width: dimension)
    let minTime = Double(options["min-time"] ?? "3")!
    let filter = options["namespace"].map { MemoryFilter(namespacePrefix: $0) } ?? MemoryFilter()
    let store = try MemoryStore(path: option("store"), embedder: nil, options: MemoryStore.Options(create: false))
    for limit in (options["limits"] ?? "10,30").split(separator: ",").map({ Int($0)! }) {
        for mode in [SearchMode.text, .hybrid] {
            let (stats, answers) = try latency(queryTexts.count, minTime: minTime) { query in
                try store.search(SearchRequest(query: queryTexts[query], vector: mode == .hybrid ? vectors.floats(query) : nil, mode: mode, limit: limit, filter: filter))
            }
            // FNV-1a over every answer's ids and scores (as Float32 bits), in order.
            var digest: UInt64 = 0xcbf2_9ce4_8422_2325
            var found = 0
            for answer in answers {
                for hit in answer {
                    found += 1
                    for byte in hit.memory.id.description.utf8 { digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3 }
                    digest = (digest ^ UInt64(Float(hit.score).bitPattern)) &* 0x100_0000_01b3
                }
            }
            var result = stats
            result["op"] = "text-search"
            result["mode"] = mode == .text ? "text" : "hybrid"
            result["limit"] = limit
            result["found"] = found
            result["digest"] = String(digest, radix: 16)
            emit(result)
        }
    }

case "index":
    // A check of the vector index alone, built as MemoryStore builds it (batches through
    // `add(contentsOf:)`, linked on all cores), or one vector at a time with --batch 1:
    // recall@10 by efSearch on DIR's data (truth for the first --limit vectors: DIR/truth-top100.i32).
    let dimension = Int(options["dim"] ?? "384")!
    let folder = option("data")
    let vectors = RawRows(folder + "/vectors.f32", width: dimension)
    let limit = min(Int(options["limit"] ?? "0").flatMap { $0 > 0 ? $0 : nil } ?? vectors.count, vectors.count)
    let batch = Int(options["batch"] ?? "1000")!
    let directory = option("index")
    try? FileManager.default.removeItem(atPath: directory)
    let index = try VectorIndex.create(at: directory, configuration: IndexConfiguration(dimension: dimension, metric: .cosine), maxCount: max(limit, 1 << 20))
    let start = clock.now
    let cpuStart = cpuSeconds()
    for first in stride(from: 0, to: limit, by: batch) {
        let rows = (first..<min(first + batch, limit)).map { vectors.floats($0) }
        if batch == 1 { _ = try index.add(rows[0]) } else { _ = try index.add(contentsOf: rows) }
        try index.commit()
    }
    let buildSeconds = seconds(clock.now - start)
    let buildCPUSeconds = cpuSeconds() - cpuStart
    let queries = RawRows(folder + "/queries.f32", width: dimension)
    let truth = RawRows(folder + "/truth-top100.i32", width: 100)
    for ef in (options["ef"] ?? "96").split(separator: ",").map({ Int($0)! }) {
        index.efSearch = ef
        var hits = 0
        var latencies: [Double] = []
        let passCPU = cpuSeconds()
        for query in 0..<queries.count {
            let want = Set(truth.ints(query, prefix: 10).map { UInt32($0) })
            let vector = queries.floats(query)
            let began = clock.now
            let found = try index.search(vector, k: 10)
            latencies.append(seconds(clock.now - began) * 1000)
            hits += found.filter { want.contains($0.id) }.count
        }
        let queryCPU = (cpuSeconds() - passCPU) / Double(queries.count) * 1000
        latencies.sort()
        emit(["op": "index", "count": limit, "batch": batch, "build_seconds": buildSeconds, "build_cpu_seconds": buildCPUSeconds, "ef": ef,
              "recall": Double(hits) / Double(10 * queries.count), "p50_ms": latencies[latencies.count / 2], "cpu_ms_per_query": queryCPU])
    }

default:
    fail("unknown command \(command)")
}
