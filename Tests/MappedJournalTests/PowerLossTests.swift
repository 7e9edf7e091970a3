import Foundation
import Testing
@_spi(Testing) import MappedJournal
import MappedMemory

/// Power loss simulated under the journal (see `CrashRecorder`): only what `sync` acknowledged is
/// guaranteed, nothing torn or invented is ever returned, and the journal opens and continues.
@Suite("Journal after simulated power loss")
struct PowerLossTests {
    struct Run {
        var payloads: [JournalIndex: [UInt8]] = [:]
        var order: [JournalIndex] = []
        /// How many records of `order` a sync acknowledged.
        var synced = 0
        /// The last index a durable cursor commit acknowledged.
        var durableCursor: JournalIndex?
    }

    /// Appends records of random sizes with occasional syncs, cursor commits, and one producer that
    /// dies between claiming and publishing; leaves the journal open (the crash happens "now").
    func workload(_ journal: Journal, seed: UInt64) throws -> Run {
        var random = SeededRandom(seed: seed)
        var run = Run()
        let consumer = try journal.tailer(cursor: "consumer")
        for n in 0..<1_200 {
            let bytes = (0..<random.below(400)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) } + Array("#\(n)".utf8)
            let index = try journal.append(bytes)
            run.payloads[index] = bytes
            run.order.append(index)
            // Syncs are rare and stop early, so that several segments end up unsynced.
            if n < 900 && random.below(1_000) < 12 {
                try journal.sync(upTo: index)
                run.synced = run.order.count
            }
            if n == 500 { _ = try journal.claimWithoutPublishing(payloadLength: 64) }
            if random.below(100) < 3 {
                for _ in 0..<random.below(60) { _ = try consumer.next(timeout: .zero) }
                let durable = random.below(2) == 0
                try consumer.commit(durable: durable)
                if durable { run.durableCursor = consumer.lastIndex }
            }
        }
        return run
    }

    @Test(arguments: [(0.0, 1 as UInt64), (1.0, 2), (0.5, 3), (0.5, 4), (0.1, 5), (0.9, 6)])
    func onlySyncedRecordsAreGuaranteedAndNothingTornIsReturned(keeping: Double, seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        let recorder = CrashRecorder()
        let live = directory.path("live")
        let journal = try Journal(directory: live, options: testOptions(padTimeout: .milliseconds(100), system: recorder.system))
        let run = try workload(journal, seed: seed)
        #expect(run.synced > 0)

        let crashed = directory.path("crashed")
        try recorder.materialize(live, into: crashed, keeping: keeping, seed: seed)
        // The machine restarted: a new boot identity (recovery must then distrust unsynced bytes).
        try Data("an-earlier-boot".utf8).write(to: URL(fileURLWithPath: crashed + "/journal.lock"))
        let reopened = try Journal(directory: crashed, options: testOptions())
        let records = try readAll(reopened)
        // Nothing torn, nothing invented: every record returned is one that was appended, intact.
        for record in records {
            #expect(run.payloads[record.index] == record.payload, "record \(record.index) differs from what was appended")
        }
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.index < $1.index })
        // Everything a sync acknowledged is there.
        let present = Set(records.map(\.index))
        let lost = run.order.prefix(run.synced).filter { !present.contains($0) }
        #expect(lost.isEmpty, "synced records lost: \(lost.prefix(5))")
        if keeping == 1.0 {
            #expect(records.count == run.order.count, "with every write back, nothing is lost")
        }
        let report = try reopened.check()
        #expect(report.isHealthy, "\(report.problems)")
        // The durable cursor is at least where its last durable commit put it, and resumes after it.
        if let durable = run.durableCursor {
            let saved = try reopened.cursor("consumer")
            #expect(saved?.lastIndex.map { $0 >= durable } == true)
            let resumed = try reopened.tailer(cursor: "consumer")
            if let next = try resumed.next(timeout: .zero) {
                #expect(next.index > saved!.lastIndex!)
            }
        }
        // The journal continues: a new record is appended after every old one and read back.
        let index = try reopened.append([1, 2, 3])
        #expect(run.order.allSatisfy { $0 < index } || !present.isEmpty)
        #expect(try readAll(reopened, from: .index(index)).map(\.payload) == [[1, 2, 3]])
        #expect(try reopened.check().isHealthy)
    }
}
