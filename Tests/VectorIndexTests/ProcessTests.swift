import Foundation
import Testing
import MnemapTestSupport
@testable import VectorIndex

/// A `VectorIndexTestHelper` child process.
final class IndexHelper {
    let child: ChildProcess
    init(_ arguments: String...) throws { child = try ChildProcess("VectorIndexTestHelper", arguments) }
    func readLine() -> String? { child.readLine() }
    @discardableResult func wait() -> Int32 { child.wait() }
    func kill() { child.kill() }
}

/// The helper's vector for id `i` (the same generator).
func helperVector(_ i: Int) -> [Float] {
    var state = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<32).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int(state >> 40) % 2001 - 1000) / 1000
    }
}

@Suite("VectorIndex across processes")
struct IndexProcessTests {
    let folder: IndexFolder
    init() throws { folder = try IndexFolder() }

    @Test func readersSearchWhileAWriterInserts() throws {
        let path = folder.folder("index")
        _ = try VectorIndex.create(at: path, configuration: .init(dimension: 32, M: 8, efConstruction: 60))
        let writer = try IndexHelper("writer", path, "4000", "500")
        #expect(writer.readLine() == "ready 0")
        let readers = try (0..<2).map { _ in try IndexHelper("reader", path, "1500") }
        for reader in readers { #expect(reader.readLine() == "ready") }
        var last = ""
        while let line = writer.readLine() { last = line }
        #expect(last == "done 4000")
        #expect(writer.wait() == 0)
        for reader in readers {
            let line = reader.readLine() ?? "nothing"
            #expect(reader.wait() == 0, "\(line)")
            #expect(line.hasPrefix("ok"))
        }
        let index = try VectorIndex(directory: path)
        #expect(index.count == 4000 && index.check().isIntact)
    }

    @Test func aWriterKilledDuringInsertsAndCommitsLosesNothingCommitted() throws {
        let path = folder.folder("index")
        _ = try VectorIndex.create(at: path, configuration: .init(dimension: 32, M: 8, efConstruction: 40))
        var random = SplitMix64(state: 21)
        var committed = 0
        for round in 0..<8 {
            let writer = try IndexHelper("writer", path, "100000", "37")
            #expect(writer.readLine()?.hasPrefix("ready") == true)
            let deadline = Date().addingTimeInterval(Double.random(in: 0.05...0.3, using: &random))
            while Date() < deadline {
                guard let line = writer.readLine() else { break }
                if line.hasPrefix("committed ") { committed = Int(line.dropFirst(10))! }
            }
            writer.kill()
            // Reopen as the writer: recovery runs, the graph is intact, and every committed vector is there.
            let index = try VectorIndex(directory: path, writable: true)
            #expect(index.count >= committed, "round \(round)")
            let report = index.check()
            #expect(report.isIntact, "round \(round): \(report.problems.prefix(3))")
            for id in Swift.stride(from: 0, to: committed, by: max(1, committed / 40)) {
                #expect(try index.vector(UInt32(id)) == VectorIndex.normalized(helperVector(id)), "round \(round): vector \(id)")
                let found = try index.exactSearch(helperVector(id), k: 1).first
                #expect(found.map { $0.score > 0.9999 } == true)
            }
        }
        #expect(committed > 0)
    }
}
