import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
@testable import MappedStore

/// Power loss simulated under the engine: every write and sync of the data file is recorded;
/// at many points the disk a power loss could leave behind is built and opened.
@Suite("Power loss")
struct PowerLossTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    typealias Model = [[UInt8]: [UInt8]]

    /// Runs transactions that put, replace (some with overflow values) and delete keys; returns
    /// the model after each commit and the log position at which each commit was acknowledged.
    func workload(_ store: MappedStore, recorder: DiskRecorder, transactions: Int, sync: (Int) throws -> Void = { _ in }) throws -> (models: [Model], acknowledged: [Int]) {
        var model: Model = [:]
        var models: [Model] = [model]
        var acknowledged: [Int] = [recorder.count]
        var random = SplitMix64(state: 42)
        for txn in 1...transactions {
            try store.write { tx in
                for _ in 0..<Int.random(in: 1...40, using: &random) {
                    let k = key(Int.random(in: 0..<400, using: &random))
                    if Int.random(in: 0..<5, using: &random) == 0 {
                        try tx.delete(k)
                        model[k] = nil
                    } else {
                        let length = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 2000...9000, using: &random) : Int.random(in: 1...60, using: &random)
                        let v = value(txn, version: Int(k.last!), length: length)
                        try tx.put(k, v)
                        model[k] = v
                    }
                }
            }
            try sync(txn)
            models.append(model)
            acknowledged.append(recorder.count)
        }
        return (models, acknowledged)
    }

    func contents(_ store: MappedStore) throws -> Model {
        try store.read { tx in
            var model: Model = [:]
            try tx.scan { key, value in model[Array(key)] = Array(value); return true }
            return model
        }
    }

    /// Opens every crash image for crash points `points` and checks that it holds the state of a
    /// commit between `lowest(point)` and the last commit begun, and that `check` passes.
    func verifyCrashes(recorder: DiskRecorder, models: [Model], acknowledged: [Int], points: [Int], imagesPerPoint: Int, lowest: (Int) -> Int) throws -> Int {
        var random = SplitMix64(state: 7)
        var opened = 0
        for point in points {
            let crash = recorder.crash(at: point)
            for attempt in 0..<imagesPerPoint {
                let image = crash.possibleImage(using: &random)
                let directory = folder.file("crash-\(point)-\(attempt)")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let path = directory + "/db"
                try Data(image).write(to: URL(fileURLWithPath: path))
                let committedBefore = acknowledged.lastIndex { $0 <= point } ?? 0
                let mustHave = lowest(committedBefore)
                let store: MappedStore
                do {
                    store = try MappedStore(path: path, options: .init(create: false))
                } catch {
                    // Only a disk on which the store's creation had not finished may fail to open.
                    #expect(point < acknowledged[0], "crash at \(point): \(error)")
                    continue
                }
                opened += 1
                let found = try contents(store)
                let txnID = try store.read { $0.txnID }
                let candidates = Array(mustHave...min(models.count - 1, committedBefore + 1))
                #expect(candidates.contains { models[$0] == found }, "crash at \(point) (txn \(txnID)): state is not that of commits \(candidates)")
                #expect(Int(txnID) >= mustHave)
                let report = try store.check()
                #expect(report.isIntact, "crash at \(point): \(report.problems.prefix(3))")
            }
        }
        return opened
    }

    @Test func everyAcknowledgedCommitSurvivesAndNothingTornIsVisible() throws {
        let path = folder.file("db")
        let recorder = DiskRecorder(watching: path)
        let store = try MappedStore(path: path, options: .init(system: recorder.system))
        let (models, acknowledged) = try workload(store, recorder: recorder, transactions: 60)
        try expectIntact(store)
        #expect(try contents(store) == models.last!)

        // Every sync boundary (just before and just after), and random points between.
        var points = Set<Int>()
        for (index, operation) in recorder.log.enumerated() {
            if case .sync = operation { points.insert(index); points.insert(index + 1) }
        }
        var random = SplitMix64(state: 3)
        for _ in 0..<150 { points.insert(Int.random(in: 0...recorder.count, using: &random)) }
        let opened = try verifyCrashes(recorder: recorder, models: models, acknowledged: acknowledged, points: points.sorted(), imagesPerPoint: 4) { $0 }
        #expect(opened > 500)
    }

    @Test func noSyncCommitsMayBeLostButTheStoreIsNeverDamaged() throws {
        let path = folder.file("db")
        let recorder = DiskRecorder(watching: path)
        let store = try MappedStore(path: path, options: .init(durability: .noSync, system: recorder.system))
        var durableCommit: [Int] = [0]
        let (models, acknowledged) = try workload(store, recorder: recorder, transactions: 40) { txn in
            if txn % 7 == 0 { try store.sync() }
            durableCommit.append(txn % 7 == 0 ? txn : durableCommit.last!)
        }
        var points = Set<Int>()
        for (index, operation) in recorder.log.enumerated() {
            if case .sync = operation { points.insert(index); points.insert(index + 1) }
        }
        var random = SplitMix64(state: 5)
        for _ in 0..<200 { points.insert(Int.random(in: 0...recorder.count, using: &random)) }
        let opened = try verifyCrashes(recorder: recorder, models: models, acknowledged: acknowledged, points: points.sorted(), imagesPerPoint: 4) { durableCommit[$0] }
        #expect(opened > 300)
    }

    /// The meta page of a one-sync commit lists the runs written with it; when one of them did
    /// not reach the disk (or only in part), opening uses the commit before.
    @Test func aOneSyncCommitWhosePagesAreNotAllOnDiskIsRolledBack() throws {
        let path = folder.file("db")
        do {
            let store = try MappedStore(path: path)
            try store.write { tx throws in for i in 0..<200 { try tx.put(key(i), value(i)) } }
            try store.write { tx throws in for i in 0..<5 { try tx.put(key(i), value(i, version: 1)) } }
        }
        let url = URL(fileURLWithPath: path)
        let original = try Data(contentsOf: url)
        // The newest meta and the runs it lists.
        let metas = (0..<2).compactMap { slot -> (slot: Int, meta: Meta, runs: [Meta.WrittenRun])? in
            original.withUnsafeBytes { raw in
                let page = UnsafeRawBufferPointer(rebasing: raw[(slot * 4096)..<((slot + 1) * 4096)])
                guard case .success(let meta) = Meta.decode(page, slot: PageNumber(slot)), let runs = Meta.writtenRuns(page) else { return nil }
                return (slot, meta, runs)
            }
        }
        let newest = try #require(metas.max { $0.meta.txnID < $1.meta.txnID })
        #expect(!newest.runs.isEmpty, "a small commit syncs once and lists its runs")
        for (index, run) in newest.runs.enumerated() {
            for damage in ["zeros", "torn"] {
                var image = original
                let start = Int(run.first) * 4096
                let end = damage == "zeros" ? start + Int(run.length) * 4096 : start + 512
                image.replaceSubrange(start..<end, with: [UInt8](repeating: damage == "zeros" ? 0 : 0xA5, count: end - start))
                let copy = folder.file("copy-\(index)-\(damage)")
                try image.write(to: URL(fileURLWithPath: copy))
                let store = try MappedStore(path: copy, options: .init(create: false))
                try store.read { tx throws in
                    #expect(tx.txnID == newest.meta.txnID - 1, "run \(index) (\(damage)): the commit before is used")
                    #expect(try tx.get(key(0)) == value(0))
                    #expect(try tx.info().entries == 200)
                }
                try expectIntact(store, "run \(index) (\(damage))")
                // And the next commit goes on from there.
                try store.write { tx throws in try tx.put(key(7), value(7, version: 2)) }
                #expect(try MappedStore(path: copy).read { try $0.get(key(7)) } == value(7, version: 2))
            }
        }
        // Untouched, the newest commit is used.
        #expect(try MappedStore(path: path).read { try $0.get(key(0)) } == value(0, version: 1))
    }
}
