import Foundation
import Synchronization
import Testing
@_spi(Testing) import MappedJournal
import MappedMemory

/// The fast paths: appenders that keep their segment, reads in place, segments prepared ahead.
@Suite("Journal fast paths")
struct FastPathTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func appendersOnSeveralThreadsAndJournalAppendInterleaveAcrossRollsAndEveryRecordIsReadOnce() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        let threads = 3
        let perThread = 1_200
        let done = Atomic<Int>(0)
        for thread in 0..<threads {
            Thread {
                // Two threads use an appender of their own, one the shared Journal.append.
                let appender = thread == 0 ? nil : try? journal.appender()
                for n in 0..<perThread {
                    let bytes = payload(thread * perThread + n)
                    if let appender { _ = try? appender.append(bytes) } else { _ = try? journal.append(bytes) }
                }
                done.add(1, ordering: .releasing)
            }.start()
        }
        let tailer = try journal.tailer()
        var seen: [Int: Int] = [:]
        while seen.count < threads * perThread, let record = try tailer.next(timeout: .seconds(30)) {
            let n = Int(String(decoding: record.payload.prefix(20), as: UTF8.self).split(separator: " ")[1])!
            #expect(record.payload == payload(n))
            seen[n, default: 0] += 1
        }
        while done.load(ordering: .acquiring) < threads { usleep(1_000) }
        #expect(seen.count == threads * perThread)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(try tailer.next(timeout: .zero) == nil)
        #expect(try journal.segmentNumbers().count > 3, "64 KiB segments must have rolled")
        #expect(try journal.check().isHealthy)
    }

    @Test func anAppenderFollowsRollsMadeByOtherProducersAndIsRefusedInAReadOnlyJournal() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        let appender = try journal.appender()
        let first = try appender.append(payload(0))
        // Another producer of this process fills segments; the appender's segment is then stale.
        var last = first
        while last.segment < first.segment + 2 { last = try journal.append(payload(1)) }
        let next = try appender.append(payload(2))
        #expect(next > last)
        #expect(next.segment == last.segment)
        #expect(try readAll(journal, from: .index(next)).map(\.payload) == [payload(2)])
        var readOnly = testOptions()
        readOnly.access = .readOnly
        let reader = try Journal(directory: path, options: readOnly)
        #expect(throws: JournalError.self) { _ = try reader.appender() }
    }

    struct Refused: Error {}

    @Test func recordsReadInPlaceMatchTheCopiesAndAThrowingReaderDoesNotMoveOn() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        for n in 0..<1_500 { try journal.append(payload(n)) }
        let copies = try readAll(journal)
        #expect(copies.count == 1_500)
        let tailer = try journal.tailer()
        var seen: [JournalRecord] = []
        var refusals = 0
        while true {
            do {
                let record = try tailer.withNext(timeout: .zero) { view -> JournalRecord in
                    // The span and the pointer show the same bytes, in the mapped segment.
                    #expect(view.bytes.byteCount == view.payload.count)
                    #expect(view.bytes.withUnsafeBytes { Array($0) } == Array(view.payload))
                    // Every 100th record is refused once: the tailer must offer it again.
                    if view.index.claim % 100 == 7 && refusals < seen.count / 100 + 1 {
                        refusals += 1
                        throw Refused()
                    }
                    return view.copy()
                }
                guard let record else { break }
                #expect(tailer.lastIndex == record.index)
                #expect(tailer.position == record.nextPosition)
                seen.append(record)
            } catch is Refused {
                continue
            }
        }
        #expect(refusals > 10)
        #expect(seen == copies)
        // Nothing new: the closure is not called.
        var called = false
        #expect(try tailer.withNext(timeout: .milliseconds(20)) { _ in called = true } == nil)
        #expect(!called)
        try journal.append(payload(7))
        #expect(try tailer.withNext(timeout: .zero) { Array($0.payload) } == payload(7))
    }

    /// Appends `count` records of 1000 bytes.
    func appendKilobytes(_ journal: Journal, _ count: Int, from first: Int) throws -> [JournalIndex] {
        try (first..<(first + count)).map { n in
            try journal.append(Array("record \(n) ".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1000 - "record \(n) ".utf8.count))
        }
    }

    @Test func theNextSegmentIsCreatedAndFaultedInAheadAndTheRollUsesIt() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions(segmentSize: 1 << 20))
        // About 990 records of 1 KiB fill a 1 MiB segment; 600 cross the middle of segment 0.
        var indexes = try appendKilobytes(journal, 600, from: 0)
        #expect(indexes.last?.segment == 0)
        journal.waitForBackgroundWork()
        #expect(try journal.segmentNumbers() == [0, 1])
        #expect(journal.preparation.createdAhead == 1)
        // Its pages are in memory before any append touches them.
        let next = try MappedFile(path: path + "/segment-0000000001.mnj", mode: .readOnly)
        let residency = try next.residency()
        #expect(residency.residentPages == residency.totalPages)
        // Two rolls: each into the segment made ahead, none created by an append.
        for round in 0..<3 {
            indexes += try appendKilobytes(journal, 500, from: 600 + round * 500)
            journal.waitForBackgroundWork()
        }
        #expect(indexes.last!.segment >= 2)
        #expect(journal.preparation.createdOnAppend == 0)
        // Segments 1 ... last were made ahead (the one after the last only once it is half full).
        #expect(journal.preparation.createdAhead == Int(indexes.last!.segment))
        #expect(journal.preparation.prefaultedBytes >= 2 << 20)
        let records = try readAll(journal)
        #expect(records.map(\.index) == indexes)
        #expect(try journal.check().isHealthy)
    }

    @Test func withoutPreparationAheadTheAppendCrossingTheMiddleCreatesTheNextSegment() throws {
        var options = testOptions(segmentSize: 1 << 20)
        options.prepareAhead = false
        let journal = try Journal(directory: directory.path("j"), options: options)
        let indexes = try appendKilobytes(journal, 1_500, from: 0)
        #expect(indexes.last!.segment == 1)
        #expect(journal.preparation.createdAhead == 0)
        #expect(journal.preparation.createdOnAppend == 1)
        #expect(journal.preparation.prefaultedBytes == 0)
        #expect(try readAll(journal).map(\.index) == indexes)
    }

    @Test func theFirstOpenerRemovesTemporaryFilesOfSegmentsThatWereNeverFinished() throws {
        let path = directory.path("j")
        do {
            let journal = try Journal(directory: path, options: testOptions())
            try journal.append(payload(1))
        }
        let leftover = path + "/.segment-0000000001.mnj.4242.17.tmp"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(count: 4096)))
        let journal = try Journal(directory: path, options: testOptions())
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(try readAll(journal).map(\.payload) == [payload(1)])
    }

    @Test func aSegmentCutShortUnderTheMappingIsAnErrorNamingItNotACrash() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions(segmentSize: 1 << 20))
        let indexes = try appendKilobytes(journal, 600, from: 0)
        journal.waitForBackgroundWork()
        let segment = path + "/segment-0000000000.mnj"
        let copying = try journal.tailer()
        let inPlace = try journal.tailer()
        for _ in 0..<50 {
            _ = try copying.next(timeout: .zero)
            _ = try inPlace.withNext(timeout: .zero) { $0.payload.count }
        }
        // Another process cuts the file short: pages past its new end raise SIGBUS when read.
        #expect(truncate(segment, 256 << 10) == 0)
        func expectCutShort(_ read: () throws -> Void) {
            do {
                try read()
                Issue.record("expected an error")
            } catch let error as JournalError {
                #expect(error.path == segment)
                #expect(error.description.contains("cut short"), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        // Records in the pages that are left are read; then an error, not a crash, every time.
        expectCutShort { while try copying.next(timeout: .zero) != nil {} }
        expectCutShort { _ = try copying.next(timeout: .zero) }
        expectCutShort { while try inPlace.withNext(timeout: .zero, { Array($0.payload) }) != nil {} }
        #expect(copying.lastIndex == inPlace.lastIndex)
        #expect(copying.lastIndex.map { $0 < indexes[260] && $0 > indexes[200] } == true)
        // A payload read in place while the file is cut short under it.
        let third = try journal.tailer()
        _ = try third.next(timeout: .zero)
        expectCutShort {
            _ = try third.withNext(timeout: .zero) { record -> Int in
                #expect(truncate(segment, 4096) == 0)
                return record.payload.reduce(0) { $0 &+ Int($1) }
            }
        }
        #expect(third.lastIndex == indexes[0], "the record whose read faulted is not consumed")
        // `check` lists it instead of crashing.
        let report = try journal.check()
        #expect(report.problems.contains { $0.path == segment && $0.description.contains("cut short") })
    }

    @Test func aSleepingReaderCostsProducersOneWakeNotOnePerRecord() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        let header = try MappedFile(path: path + "/segment-0000000000.mnj", mode: .readOnly)
        func notify() throws -> UInt32 { try header.load(fromByteOffset: 128, as: UInt32.self) }
        let tailer = try journal.tailer()
        let before = try notify()
        // Nothing to read: the tailer polls for 20 us, then announces its sleep and sleeps.
        #expect(try tailer.next(timeout: .milliseconds(30)) == nil)
        #expect(try notify() == before | 1 << 31, "the sleeper bit is set")
        // The first publish clears it and moves the word on (the wake); the next ones leave it alone.
        try journal.append(payload(1))
        let woken = try notify()
        #expect(woken == (before &+ 1) & ~(1 << 31))
        for n in 2..<50 { try journal.append(payload(n)) }
        #expect(try notify() == woken, "no wake without a sleeper")
        #expect(try readAll(journal).count == 49)
    }
}
