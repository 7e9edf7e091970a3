import Foundation
import Testing
import VectorIndex
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap index` run as users run it: the built executable on real index folders, its results
/// compared with the library's and with brute force.
@Suite("mnemap index")
struct IndexCommandTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    final class TemporaryFolder: Sendable {
        let path: String
        init() throws {
            var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-index-cli-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            path = String(cString: made)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func path(_ name: String) -> String { folder.path + "/" + name }

    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `mnemap index <arguments>`. Standard streams go through files, so that neither can
    /// fill a pipe and stall the child.
    func index(_ arguments: [String]) throws -> Outcome {
        let streams = path("streams-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: streams + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: streams + ".err", contents: nil)
        defer { for suffix in [".out", ".err"] { try? FileManager.default.removeItem(atPath: streams + suffix) } }
        let process = Process()
        process.executableURL = CacheCommandTests.executable
        process.arguments = ["index"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: streams + ".out")
        process.standardError = FileHandle(forWritingAtPath: streams + ".err")
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            output: String(decoding: try Data(contentsOf: URL(fileURLWithPath: streams + ".out")), as: UTF8.self),
            errors: String(decoding: try Data(contentsOf: URL(fileURLWithPath: streams + ".err")), as: UTF8.self)
        )
    }

    func index(_ arguments: String...) throws -> Outcome {
        try index(arguments)
    }

    /// Runs a command that must succeed; returns its standard output.
    @discardableResult
    func succeed(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let outcome = try index(arguments)
        #expect(outcome.status == 0, "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
        return outcome.output
    }

    /// Runs a command that must fail with status 1 and a message `mnemap: …` containing `message`.
    func fail(_ arguments: [String], saying message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try index(arguments)
        #expect(outcome.status == 1, "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
        // The message is the last line (a build may have shown progress before it).
        #expect(outcome.errors.split(separator: "\n").last?.hasPrefix("mnemap: ") == true, "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
        #expect(outcome.errors.contains(message), "\(arguments): \(outcome.errors)", sourceLocation: sourceLocation)
    }

    // MARK: Vector files

    func randomVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(state: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
    }

    func float32Data(_ rows: [[Float]]) -> Data {
        var data = Data()
        for row in rows {
            for component in row { withUnsafeBytes(of: component.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    @discardableResult
    func writeFloat32(_ name: String, _ rows: [[Float]]) throws -> String {
        try float32Data(rows).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// A NumPy .npy file as numpy.save writes it; the parameters make it wrong on purpose.
    @discardableResult
    func writeNumPy(
        _ name: String, _ rows: [[Float]], version: UInt8 = 1, descr: String = "<f4", fortranOrder: Bool = false,
        shape: String? = nil, dropLast: Int = 0
    ) throws -> String {
        let shape = shape ?? "(\(rows.count), \(rows.first?.count ?? 0))"
        var header = Array("{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shape), }".utf8)
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
        header.append(UInt8(ascii: "\n"))
        var data = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
        if version == 1 {
            withUnsafeBytes(of: UInt16(header.count).littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: header)
        data.append(float32Data(rows))
        try data.dropLast(dropLast).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    // MARK: Output

    struct SearchLine: Decodable {
        var query: Int
        var ids: [UInt32]
        var scores: [Float]
    }

    func searchLines(_ output: String) throws -> [SearchLine] {
        try output.split(separator: "\n").map { try JSONDecoder().decode(SearchLine.self, from: Data($0.utf8)) }
    }

    struct Stat: Decodable {
        var count: Int
        var durableCount: Int
        var deleted: Int
        var dimension: Int
        var type: String
        var metric: String
        var M: Int
        var efConstruction: Int
        var levels: [Int]
        var degrees: [Int]
        var bytes: Int
        var residentPages: Int
        var totalPages: Int
    }

    func stat(_ index: String) throws -> Stat {
        try JSONDecoder().decode(Stat.self, from: Data(try succeed("stat", index, "--json").utf8))
    }

    func scoresMatch(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0)) }
    }

    // MARK: Build and search

    @Test func buildFromFloat32ShowsProgressAndSearchesAsTheLibraryDoes() throws {
        let vectors = randomVectors(300, dimension: 16, seed: 1)
        let source = try writeFloat32("vectors.f32", vectors)
        let built = try index("build", path("index"), "--from", source, "--dimension", "16", "--metric", "l2", "--M", "8", "--ef-construction", "40")
        #expect(built.status == 0, "\(built.errors)")
        #expect(built.output.hasPrefix("built '\(path("index"))': 300 vectors of 16 dimensions (l2, f32, M 8, ef-construction 40) in "))
        #expect(built.output.contains("vectors/s"))
        #expect(built.errors.hasPrefix("\rbuilding: 3/300 vectors (1%)"))
        #expect(built.errors.components(separatedBy: "\r").count == 101)
        #expect(built.errors.contains("building: 300/300 vectors (100%)") && built.errors.hasSuffix("\n"))

        let library = try VectorIndex(directory: path("index"))
        #expect(library.count == 300)
        #expect(library.configuration == IndexConfiguration(dimension: 16, metric: .l2, elementType: .float32, M: 8, efConstruction: 40))
        #expect(try library.vector(7) == vectors[7])

        let queries = randomVectors(12, dimension: 16, seed: 2)
        let lines = try searchLines(try succeed("search", path("index"), "--queries", try writeFloat32("queries.f32", queries), "-k", "5", "--ef", "24", "--json"))
        library.efSearch = 24
        #expect(lines.map(\.query) == Array(0..<12))
        for (line, query) in zip(lines, queries) {
            let expected = try library.search(query, k: 5)
            #expect(line.ids == expected.map(\.id))
            #expect(scoresMatch(line.scores, expected.map(\.score)))
        }

        // Text: one line per query, ids with their scores.
        let text = try succeed("search", path("index"), "--queries", path("queries.f32"), "-k", "3")
        let textLines = text.split(separator: "\n")
        #expect(textLines.count == 12)
        let first = try library.search(queries[0], k: 3)
        #expect(textLines[0].hasPrefix("query 0: \(first[0].id) ("))
        #expect(textLines[0].components(separatedBy: "), ").count == 3)
    }

    @Test func buildFromNumPyTakesTheDimensionFromItsHeader() throws {
        let vectors = randomVectors(60, dimension: 8, seed: 3)
        let source = try writeNumPy("vectors.npy", vectors)
        let built = try succeed("build", path("index"), "--from", source, "--metric", "ip", "--type", "f16", "--limit", "50")
        #expect(built.contains("50 vectors of 8 dimensions (ip, f16, M 16, ef-construction 200)"))
        let shape = try stat(path("index"))
        #expect(shape.count == 50 && shape.dimension == 8 && shape.type == "f16" && shape.metric == "ip")

        // Queries as .npy too, in format version 2; the same results as the library.
        let queries = randomVectors(4, dimension: 8, seed: 4)
        let lines = try searchLines(try succeed("search", path("index"), "--queries", try writeNumPy("queries.npy", queries, version: 2), "--json", "-k", "4"))
        let library = try VectorIndex(directory: path("index"))
        #expect(lines.count == 4)
        for (line, query) in zip(lines, queries) { #expect(line.ids == (try library.search(query, k: 4)).map(\.id)) }

        // A matching --dimension is accepted; another is an error.
        try succeed("build", path("again"), "--from", source, "--dimension", "8", "--type", "i8")
        try fail(["build", path("wrong"), "--from", source, "--dimension", "9"], saying: "holds rows of 8 dimensions, but --dimension 9 was given")
        #expect(!FileManager.default.fileExists(atPath: path("wrong")))
    }

    @Test func exactSearchEqualsBruteForce() throws {
        let vectors = randomVectors(40, dimension: 6, seed: 5)
        try succeed("build", path("index"), "--from", try writeFloat32("tiny.f32", vectors), "--dimension", "6", "--metric", "l2", "--M", "4")
        let queries = randomVectors(5, dimension: 6, seed: 6)
        func bruteForce(_ query: [Float], k: Int) -> [(id: UInt32, distance: Double)] {
            let scored = vectors.enumerated().map { id, vector in
                (UInt32(id), zip(query, vector).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) })
            }
            return Array(scored.sorted { $0.1 < $1.1 }.prefix(k))
        }
        let lines = try searchLines(try succeed("search", path("index"), "--queries", try writeFloat32("q.f32", queries), "--exact", "-k", "7", "--json"))
        #expect(lines.count == 5)
        for (line, query) in zip(lines, queries) {
            let expected = bruteForce(query, k: 7)
            #expect(line.ids == expected.map(\.id))
            #expect(zip(line.scores, expected).allSatisfy { abs(Double($0) - $1.distance) < 1e-4 })
        }
        // One query typed in.
        let typed = queries[2].map { "\($0)" }.joined(separator: ",")
        let single = try searchLines(try succeed("search", path("index"), "--vector", typed, "--exact", "-k", "7", "--json"))
        #expect(single.count == 1)
        #expect(try #require(single.first).query == 0 && single[0].ids == bruteForce(queries[2], k: 7).map(\.id))
        // k larger than the index: every vector, nearest first.
        let all = try searchLines(try succeed("search", path("index"), "--vector", typed, "--exact", "-k", "100", "--json"))
        #expect(try #require(all.first).ids == bruteForce(queries[2], k: 40).map(\.id))
    }

    /// 2,000 real embeddings (pydocs, all-MiniLM-L6-v2): HNSW with the defaults finds at least
    /// 95% of the exact top 10 for 20 real queries.
    @Test(.enabled(if: PyDocs.available)) func recallOnRealEmbeddingsAgainstExactSearch() throws {
        let built = try succeed("build", path("pydocs"), "--from", PyDocs.directory + "/vectors.f32", "--dimension", "384", "--limit", "2000")
        #expect(built.contains("2000 vectors of 384 dimensions (cosine, f32, M 16, ef-construction 200)"))
        let queries = try Data(contentsOf: URL(fileURLWithPath: PyDocs.directory + "/queries.f32")).prefix(20 * 384 * 4)
        try queries.write(to: URL(fileURLWithPath: path("queries.f32")))
        let approximate = try searchLines(try succeed("search", path("pydocs"), "--queries", path("queries.f32"), "-k", "10", "--json"))
        let exact = try searchLines(try succeed("search", path("pydocs"), "--queries", path("queries.f32"), "-k", "10", "--exact", "--json"))
        #expect(approximate.count == 20 && exact.count == 20)
        let found = zip(approximate, exact).reduce(0) { $0 + Set($1.0.ids).intersection($1.1.ids).count }
        let recall = Double(found) / 200
        #expect(recall >= 0.95, "recall@10 \(recall)")
        #expect(exact.allSatisfy { $0.ids.count == 10 && $0.scores == $0.scores.sorted(by: >) })
    }

    // MARK: stat, check, compact

    @Test func statCheckAndCompactDescribeTheIndex() throws {
        let vectors = randomVectors(200, dimension: 12, seed: 7)
        try succeed("build", path("index"), "--from", try writeFloat32("v.f32", vectors), "--dimension", "12", "--M", "6", "--ef-construction", "30")

        let shape = try stat(path("index"))
        #expect(shape.count == 200 && shape.durableCount == 200 && shape.deleted == 0)
        #expect(shape.dimension == 12 && shape.type == "f32" && shape.metric == "cosine" && shape.M == 6 && shape.efConstruction == 30)
        #expect(shape.levels.reduce(0, +) == 200 && shape.levels[0] > 100)
        #expect(shape.degrees.count == 13 && shape.degrees.reduce(0, +) == 200)
        #expect(shape.bytes > 200 * 12 * 4 && shape.totalPages > 0 && shape.residentPages <= shape.totalPages)
        let text = try succeed("stat", path("index"))
        #expect(text.contains("vectors      200 (200 committed), 0 deleted"))
        #expect(text.contains("dimensions   12, f32, cosine"))
        #expect(text.contains("HNSW         M 6 (12 on layer 0), ef-construction 30"))
        #expect(text.contains("  layer   0  ["))
        #expect(text.contains("layer-0 degrees (nodes by neighbour count), mean "))

        let intact = try index("check", path("index"))
        #expect(intact.status == 0)
        #expect(intact.output == "'\(path("index"))' is intact\nvectors  200, 0 deleted\n")

        do {
            let writer = try VectorIndex(directory: path("index"), writable: true)
            for id: UInt32 in [3, 50, 199] { try writer.delete(id) }
            try writer.commit()
        }
        #expect(try stat(path("index")).deleted == 3)
        #expect(try succeed("check", path("index")).contains("vectors  200, 3 deleted"))
        #expect(try succeed("compact", path("index")) == "compacted '\(path("index"))': kept 197 vectors, dropped 3 deleted\n")
        let compacted = try stat(path("index"))
        #expect(compacted.count == 197 && compacted.deleted == 0)
        #expect(try succeed("compact", path("index")).contains("kept 197 vectors, dropped 0 deleted"))

        // A damaged neighbour id in node 0's layer-0 list: check names it and exits with 1.
        let graph = try FileHandle(forUpdating: URL(fileURLWithPath: path("index") + "/graph"))
        try graph.seek(toOffset: 4096)
        graph.write(withUnsafeBytes(of: UInt32(1).littleEndian) { Data($0) })
        try graph.seek(toOffset: 4096 + 16)
        graph.write(withUnsafeBytes(of: UInt32(0xFFFF_FFF0).littleEndian) { Data($0) })
        try graph.close()
        let damaged = try index("check", path("index"))
        #expect(damaged.status == 1)
        #expect(damaged.output.hasPrefix("'\(path("index"))' has 1 problem\n"))
        #expect(damaged.output.contains("problems:\n  node 0: layer 0 links to 4294967280, past the 197 nodes"))
    }

    // MARK: Errors

    @Test func badInputsAreClearErrors() throws {
        let vectors = randomVectors(20, dimension: 8, seed: 8)
        let good = try writeFloat32("good.f32", vectors)

        try fail(["build", path("a"), "--from", path("missing.f32"), "--dimension", "8"], saying: "'\(path("missing.f32"))' does not exist")
        try fail(["build", path("a"), "--from", good, "--dimension", "7"], saying: "is 640 bytes, not a whole number of rows of 7 Float32 (28 bytes each; --dimension 7 was given)")
        try fail(["build", path("a"), "--from", good], saying: "give its dimension with --dimension N")
        try Data().write(to: URL(fileURLWithPath: path("empty.f32")))
        try fail(["build", path("a"), "--from", path("empty.f32"), "--dimension", "8"], saying: "holds no vectors")

        let npyFailures: [(String, String)] = [
            (try writeNumPy("f64.npy", vectors, descr: "<f8"), "holds dtype '<f8', but only little-endian float32 ('<f4') is read"),
            (try writeNumPy("big.npy", vectors, descr: ">f4"), "holds dtype '>f4'"),
            (try writeNumPy("fortran.npy", vectors, fortranOrder: true), "Fortran (column-major) order"),
            (try writeNumPy("flat.npy", vectors, shape: "(160,)"), "has shape (160,); expected two dimensions"),
            (try writeNumPy("cube.npy", vectors, shape: "(20, 4, 2)"), "has shape (20, 4, 2); expected two dimensions"),
            (try writeNumPy("short.npy", vectors, dropLast: 4), "is truncated: its header says 20 × 8 float32 (640 bytes), the file holds 636 bytes"),
            (try writeFloat32("raw.npy", vectors), "is not a readable .npy file: it does not start with the NumPy magic"),
            (try writeNumPy("v9.npy", vectors, version: 9), "format version 9.0 is not 1, 2 or 3"),
        ]
        for (file, message) in npyFailures {
            try fail(["build", path("a"), "--from", file], saying: message)
        }
        #expect(!FileManager.default.fileExists(atPath: path("a")))

        // A NaN row stops the build; the rows before it are committed.
        var poisoned = vectors
        poisoned[5][2] = .nan
        try fail(["build", path("nan"), "--from", try writeFloat32("nan.f32", poisoned), "--dimension", "8"], saying: "row 5 of '\(path("nan.f32"))' holds NaN or infinity; the index keeps the 5 rows before it")
        #expect(try stat(path("nan")).count == 5)

        try succeed("build", path("index"), "--from", good, "--dimension", "8")
        try fail(["build", path("index"), "--from", good, "--dimension", "8"], saying: "'\(path("index"))' already holds an index")

        // Queries of the wrong dimension.
        try fail(["search", path("index"), "--vector", "1,2,3"], saying: "--vector has 3 components, but the index at '\(path("index"))' has 8 dimensions")
        try fail(["search", path("index"), "--vector", "1,2,x,4,5,6,7,8"], saying: "component 3 of --vector, 'x', is not a finite number")
        let wide = try writeFloat32("wide.f32", randomVectors(3, dimension: 6, seed: 9))
        try fail(["search", path("index"), "--queries", wide], saying: "is 72 bytes, not a whole number of rows of 8 Float32 (32 bytes each; the index at '\(path("index"))' has 8 dimensions)")
        let wideNumPy = try writeNumPy("wide.npy", randomVectors(2, dimension: 5, seed: 9))
        try fail(["search", path("index"), "--queries", wideNumPy], saying: "holds rows of 5 dimensions, but the index at '\(path("index"))' has 8 dimensions")
        try fail(["search", path("index"), "--queries", path("nope.f32")], saying: "does not exist")
        #expect(try index("search", path("index")).status != 0)
        #expect(try index("search", path("index"), "--vector", "1,2,3,4,5,6,7,8", "-k", "0").status != 0)

        // No index there.
        try FileManager.default.createDirectory(atPath: path("plain"), withIntermediateDirectories: false)
        for command in ["stat", "check", "compact"] {
            try fail([command, path("absent")], saying: "no index at '\(path("absent"))': the folder does not exist")
            try fail([command, path("plain")], saying: "'\(path("plain"))' is not a vector index")
        }
        try fail(["search", path("absent"), "--vector", "1"], saying: "no index at '\(path("absent"))'")
        #expect(!FileManager.default.fileExists(atPath: path("absent")))
    }
}

/// The real embeddings in ../shared/data/pydocs, next to the package.
enum PyDocs {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("../shared/data/pydocs").standardized.path
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: directory + "/vectors.f32") }
}

/// Seeded random numbers, so that a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
