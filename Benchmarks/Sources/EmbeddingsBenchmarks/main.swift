// MiniLMEmbedder (all-MiniLM-L6-v2 in Swift) measured the way Benchmarks/embeddings-peer.py measures
// sentence-transformers on PyTorch. Run both with `bash run-embeddings.sh`.
//
//   EmbeddingsBenchmarks load  [--folder DIR]
//       one model load in this (fresh) process: MiniLMEmbedder(folder:) init, then the first vector
//       of one short sentence (weights are mapped, so their pages are read by the first forward pass).
//   EmbeddingsBenchmarks embed --passages chunks.jsonl [--n 1000] [--batch 32] [--repeat 1] [--out vectors.f32] [--folder DIR]
//       the "text" of the first N lines, embedded in one call at batch 32 (after a warm-up of one batch);
//       with --repeat R, R such calls timed together (for short inputs such as queries).
//   EmbeddingsBenchmarks kernels [--rows 512]
//       one thread, the library's SSE matrix kernel (copied) against an 8-wide FMA candidate
//       (KernelProbe.swift; build with `-Xswiftc -target-cpu -Xswiftc haswell` to get FMA).
// Each mode prints one line of `key=value` pairs; load and embed include VmHWM (peak resident set, kB).
import Embeddings
import Foundation

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// A field of /proc/self/status in kB (VmHWM, VmRSS, RssAnon, RssFile).
func status(_ field: String) -> Int {
    // Read with POSIX calls: /proc files report a size of 0, which Foundation's readers trust.
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return -1 }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
    }
    return -1
}

/// The 1-minute load average of the machine (the first field of /proc/loadavg).
func loadAverage() -> String {
    guard let file = fopen("/proc/loadavg", "r") else { return "?" }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return "?" }
    return String(String(cString: line).split(separator: " ").first ?? "?")
}

/// CPU seconds of this process so far (user + system, all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: EmbeddingsBenchmarks load [--folder DIR] | embed --passages FILE [--n N] [--batch B] [--repeat R] [--out FILE] [--folder DIR] | query [--runs N] [--folder DIR] | kernels [--rows R]\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else { usage() }
arguments.removeFirst()
var options: [String: String] = [:]
while arguments.count >= 2, arguments[0].hasPrefix("--") {
    options[String(arguments[0].dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.isEmpty else { usage() }
let folder = options["folder"] ?? ModelStore.miniLMDirectory()

func report(_ pairs: KeyValuePairs<String, String>) {
    print(pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
}

switch mode {
case "load":
    let start = now()
    let embedder = try MiniLMEmbedder(folder: folder)
    let loaded = now()
    let vector = try embedder.embed("How do I read a file line by line?")
    let first = now()
    precondition(vector.count == 384)
    report([
        "load_ms": String(format: "%.2f", (loaded - start) * 1000),
        "first_vector_ms": String(format: "%.2f", (first - loaded) * 1000),
        "VmHWM_kB": "\(status("VmHWM"))",
    ])

case "query":
    // One short query at a time, as an agent embeds its questions: the latency of a warm call.
    let embedder = try MiniLMEmbedder(folder: folder)
    let query = "How do I read a file line by line?"
    _ = try embedder.embed(query)
    let runs = Int(options["runs"] ?? "50") ?? 50
    var times: [Double] = []
    let cpuStart = cpuSeconds()
    for _ in 0..<runs {
        let start = now()
        _ = try embedder.embed(query)
        times.append((now() - start) * 1000)
    }
    let cpu = cpuSeconds() - cpuStart
    times.sort()
    report([
        "runs": "\(runs)", "tokens": "\(embedder.tokenizer.encode(query).count)",
        "median_ms": String(format: "%.2f", times[runs / 2]),
        "min_ms": String(format: "%.2f", times[0]),
        "cpu_ms_per_query": String(format: "%.2f", cpu * 1000 / Double(runs)),
    ])

case "embed":
    guard let passages = options["passages"] else { usage() }
    let n = Int(options["n"] ?? "1000") ?? 1000
    let batch = Int(options["batch"] ?? "32") ?? 32
    let repeats = max(1, Int(options["repeat"] ?? "1") ?? 1)
    let data = try Data(contentsOf: URL(fileURLWithPath: passages))
    var texts: [String] = []
    for line in data.split(separator: UInt8(ascii: "\n")) where texts.count < n {
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
              let text = object["text"] as? String else { fatalError("a line without \"text\" in \(passages)") }
        texts.append(text)
    }
    precondition(texts.count == n, "\(passages) has fewer than \(n) lines")
    let loadStart = now()
    let embedder = try MiniLMEmbedder(folder: folder, batchSize: batch)
    let loadEnd = now()
    // Warm-up: one batch (touches every weight page once), as the peer does.
    _ = try embedder.embed(Array(texts.prefix(batch)))
    let tokens = texts.reduce(0) { $0 + embedder.tokenizer.encode($1).count }
    let start = now(), cpuStart = cpuSeconds()
    var vectors = try embedder.embed(texts)
    for _ in 1..<repeats { vectors = try embedder.embed(texts) }
    let seconds = now() - start, cpu = cpuSeconds() - cpuStart
    if let out = options["out"] {
        var floats: [Float] = []
        floats.reserveCapacity(vectors.count * 384)
        for vector in vectors { floats += vector }
        try floats.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: out)) }
    }
    report([
        "n": "\(n)", "batch": "\(batch)", "repeat": "\(repeats)", "tokens": "\(tokens)",
        "load_ms": String(format: "%.2f", (loadEnd - loadStart) * 1000),
        "seconds": String(format: "%.3f", seconds),
        "sentences_per_s": String(format: "%.2f", Double(n * repeats) / seconds),
        "tokens_per_s": String(format: "%.0f", Double(tokens * repeats) / seconds),
        "cpu_s": String(format: "%.3f", cpu),
        "sentences_per_cpu_s": String(format: "%.2f", Double(n * repeats) / cpu),
        "loadavg": loadAverage(),
        "VmHWM_kB": "\(status("VmHWM"))", "RssAnon_kB": "\(status("RssAnon"))", "RssFile_kB": "\(status("RssFile"))",
    ])

case "kernels":
    print(kernelProbe(rows: Int(options["rows"] ?? "512") ?? 512))

default:
    usage()
}
