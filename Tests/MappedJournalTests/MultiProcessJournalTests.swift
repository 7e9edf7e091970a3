import Foundation
import Testing
@_spi(Testing) import MappedJournal
import MappedMemory

/// Producers and consumers in separate processes on one journal, as agent teams run them.
@Suite("Journal across processes", .serialized)
struct MultiProcessJournalTests {
    let directory: TemporaryDirectory
    let segmentSize = String(64 << 10)
    let padTimeout = "300"
    init() throws { directory = try TemporaryDirectory() }

    func create() throws -> String {
        let path = directory.path("j")
        _ = try Journal(directory: path, options: testOptions())
        return path
    }

    /// Starts `count` consumers that each expect `expected` records.
    func consumers(_ count: Int, path: String, expected: Int) throws -> [JournalHelper] {
        try (0..<count).map { _ in try JournalHelper("consume", path, String(expected), segmentSize, padTimeout, "40") }
    }

    /// With a pad timeout of 10 ms, live producers are padded over whenever the machine delays them (they are "too slow")
    /// and must claim again: the stream stays exactly-once and in one order all the same.
    @Test(arguments: ["300", "10"])
    func everyConsumerSeesEveryRecordOnceInOneOrder(padTimeout: String) throws {
        let path = try create()
        let producers = 3
        let perProducer = 1_500
        let readers = try (0..<2).map { _ in try JournalHelper("consume", path, String(producers * perProducer), segmentSize, padTimeout, "40") }
        let writers = try (0..<producers).map { try JournalHelper("produce", path, String($0), String(perProducer), segmentSize, padTimeout) }
        for writer in writers {
            let (line, status) = writer.finish()
            #expect(status == 0 && line == "done", "\(writer.arguments): \(line ?? "-")")
        }
        let results = readers.map { $0.finish() }
        for (line, status) in results {
            #expect(status == 0, "\(line ?? "-")")
            #expect(line?.hasPrefix("ok \(producers * perProducer) ") == true, "\(line ?? "-")")
        }
        // One total order: the same order hash in every consumer, and in a late reader in this process.
        let hashes = Set(results.compactMap { $0.line?.split(separator: " ").dropFirst(2).first })
        #expect(hashes.count == 1)
        let journal = try Journal(directory: path, options: testOptions())
        let report = try journal.check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.records == producers * perProducer)
        #expect(report.segments.count > 3, "the producers rolled segments while racing")
    }

    @Test func aProducerKilledWhileHoldingAClaimIsPaddedOverAndNobodyHangs() throws {
        let path = try create()
        let perProducer = 800
        let readers = try consumers(2, path: path, expected: 2 * perProducer)
        let holder = try JournalHelper("claim-and-hang", path, segmentSize, padTimeout)
        let ready = holder.readLine()
        #expect(ready?.hasPrefix("ready") == true)
        holder.kill()
        let writers = try (0..<2).map { try JournalHelper("produce", path, String($0), String(perProducer), segmentSize, padTimeout) }
        for writer in writers {
            let (line, status) = writer.finish()
            #expect(status == 0 && line == "done", "\(line ?? "-")")
        }
        for reader in readers {
            let (line, status) = reader.finish()
            #expect(status == 0, "\(line ?? "-")")
            #expect(line?.hasPrefix("ok \(2 * perProducer) ") == true, "\(line ?? "-")")
        }
        let report = try Journal(directory: path, options: testOptions()).check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.segments.reduce(0) { $0 + $1.paddedOver } == 1, "the dead producer's slot was padded once")
    }

    @Test func aConsumerKilledAndRestartedResumesFromItsCursorWithNoGapAndNoRepeat() throws {
        let path = try create()
        let total = 3_000
        let writers = try (0..<2).map { try JournalHelper("produce", path, String($0), String(total / 2), segmentSize, padTimeout) }
        // The reference order, from a consumer that is never interrupted.
        let reference = try consumers(1, path: path, expected: total)[0]
        for writer in writers { _ = writer.finish() }
        let expected = reference.finish()
        #expect(expected.status == 0)
        // Kill the cursor consumer twice at arbitrary points, then let it finish.
        for stopAt in [700, 1_900] {
            let consumer = try JournalHelper("cursor-consume", path, "worker", String(total), segmentSize, padTimeout, "40")
            while let line = consumer.readLine() {
                if line.hasPrefix("progress"), let count = Int(line.split(separator: " ")[1]), count >= stopAt { break }
                if line.hasPrefix("bad") || line.hasPrefix("ok") { Issue.record("\(line)"); break }
            }
            consumer.kill()
        }
        let last = try JournalHelper("cursor-consume", path, "worker", String(total), segmentSize, padTimeout, "40")
        let resumed = last.readLine()
        let resumedCount = resumed.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(resumedCount >= 1_900, "\(resumed ?? "-")")
        let (line, status) = last.finish()
        #expect(status == 0, "\(line ?? "-")")
        // Same count and the same order hash as the uninterrupted consumer: nothing lost, nothing twice.
        let referenceFields = expected.line?.split(separator: " ").prefix(3).map(String.init)
        #expect(line?.split(separator: " ").prefix(3).map(String.init) == referenceFields)
    }
}

extension MultiProcessJournalTests {
    @Test func theFirstOpenerAfterAllProcessesDiedPadsTheirClaimsAtOnce() throws {
        let path = directory.path("j")
        do {
            let journal = try Journal(directory: path, options: testOptions())
            try journal.append(payload(0))
        }
        let holder = try JournalHelper("claim-and-hang", path, segmentSize, "600000")
        #expect(holder.readLine()?.hasPrefix("ready") == true)
        holder.kill()
        // Nobody has the journal open now: the next opener recovers, without a pad timeout.
        let journal = try Journal(directory: path, options: testOptions(padTimeout: .seconds(600)))
        #expect(journal.recovery.paddedClaims == 1)
        #expect(journal.recovery.sealedAt.isEmpty, "no reboot: nothing is distrusted")
        try journal.append(payload(1))
        let tailer = try journal.tailer()
        #expect(try tailer.next(timeout: .zero)?.payload == payload(0))
        #expect(try tailer.next(timeout: .zero)?.payload == payload(1))
    }

    @Test func aReadOnlyTailerFollowsAProducerInAnotherProcess() throws {
        let path = try create()
        var options = testOptions()
        options.access = .readOnly
        let journal = try Journal(directory: path, options: options)
        let tailer = try journal.tailer()
        let writer = try JournalHelper("produce", path, "0", "300", segmentSize, padTimeout)
        var count = 0
        while count < 300, let record = try tailer.next(timeout: .seconds(20)) {
            #expect(record.payload.count >= 12)
            count += 1
        }
        #expect(count == 300)
        #expect(writer.finish().status == 0)
    }
}

extension MultiProcessJournalTests {
    /// Producers killed at arbitrary instants, in a loop, while a reader follows: each producer's
    /// records are an unbroken prefix of what it meant to write (nothing lost before its last
    /// record, nothing twice, nothing torn), and the reader never hangs.
    @Test func producersKilledAtArbitraryInstantsLeaveAnIntactPrefix() throws {
        let path = try create()
        let journal = try Journal(directory: path, options: testOptions(padTimeout: .milliseconds(100)))
        let tailer = try journal.tailer()
        var random = SeededRandom(seed: 99)
        for producer in 0..<5 {
            let writer = try JournalHelper("produce", path, String(producer), "10000000", segmentSize, "100")
            usleep(UInt32(20_000 + random.below(60_000)))
            writer.kill()
        }
        // One more producer that finishes marks the end of the stream.
        let last = try JournalHelper("produce", path, "5", "100", segmentSize, "100")
        #expect(last.finish().status == 0)
        var next = [UInt32](repeating: 0, count: 6)
        while next[5] < 100 {
            guard let record = try tailer.next(timeout: .seconds(20)) else {
                Issue.record("the reader waited 20 s without a record")
                break
            }
            let producer = record.payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }
            let sequence = record.payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
            #expect(producer < 6 && sequence == next[Int(producer)], "producer \(producer) sequence \(sequence)")
            if producer < 6 { next[Int(producer)] = sequence + 1 }
        }
        #expect(next.prefix(5).filter { $0 > 0 }.count >= 3, "most producers appended something before dying: \(next)")
        let report = try journal.check()
        #expect(report.isHealthy, "\(report.problems)")
    }
}
