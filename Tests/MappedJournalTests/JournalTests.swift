import Foundation
import Synchronization
import Testing
@_spi(Testing) import MappedJournal
import MappedMemory

@Suite("Journal: append, read, seek, wait")
struct JournalTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func appendedRecordsAreReadBackInOrderWithTheirIndexesAndPayloads() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        var indexes: [JournalIndex] = []
        for n in 0..<100 { indexes.append(try journal.append(payload(n))) }
        #expect(indexes == (0..<100).map { JournalIndex(segment: 0, claim: UInt32($0)) })
        let records = try readAll(journal)
        #expect(records.map(\.payload) == (0..<100).map(payload))
        #expect(records.map(\.index) == indexes)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp && $0.nextPosition == $1.position })
        let empty = try journal.append([UInt8]())
        let last = try readAll(journal, from: .index(empty))
        #expect(last.map(\.payload) == [[]])
    }

    @Test func recordsRollAcrossSegmentsWithoutLossAndIndexesKeepIncreasing() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        for n in 0..<2_000 { try journal.append(payload(n)) }
        let records = try readAll(journal)
        #expect(records.map(\.payload) == (0..<2_000).map(payload))
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.index < $1.index })
        let segments = Array(Set(records.map(\.index.segment))).sorted()
        #expect(segments.count > 3, "64 KiB segments must have rolled")
        // The next segment is created ahead, when the current one is half full.
        let files = try journal.segmentNumbers()
        #expect(files == segments || files == segments + [segments.last! + 1])
        let report = try journal.check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.records == 2_000)
        #expect(report.segments.filter { $0.records > 0 }.dropLast().allSatisfy { $0.ended })
    }

    @Test func tailersStartAtAnIndexATimeOrTheEnd() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        var indexes: [JournalIndex] = []
        for n in 0..<1_000 { indexes.append(try journal.append(payload(n))) }
        let all = try readAll(journal)
        for n in [0, 1, 15, 16, 17, 500, 999] {
            let fromIndex = try readAll(journal, from: .index(indexes[n]))
            #expect(fromIndex.first?.payload == payload(n))
            #expect(fromIndex.count == 1_000 - n)
            let fromTime = try readAll(journal, from: .time(nanosecondsSince1970: all[n].timestamp))
            #expect(fromTime.first.map { $0.timestamp >= all[n].timestamp && $0.index <= all[n].index } == true)
        }
        // An index between segments starts at the next segment's first record.
        let beyond = JournalIndex(segment: indexes[0].segment, claim: 1_000_000)
        #expect(try readAll(journal, from: .index(beyond)).first?.index.segment == indexes[0].segment + 1)
        let tailer = try journal.tailer(from: .end)
        #expect(try tailer.next(timeout: .zero) == nil)
        try journal.append(payload(5_000))
        #expect(try tailer.next(timeout: .zero)?.payload == payload(5_000))
    }

    @Test func aWaitingTailerTimesOutWithNilAndWakesForANewRecord() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        let tailer = try journal.tailer()
        #expect(try tailer.next(timeout: .milliseconds(30)) == nil)
        let producer = Thread {
            usleep(50_000)
            _ = try? journal.append(payload(1))
        }
        producer.start()
        let record = try tailer.next(timeout: .seconds(20))
        #expect(record?.payload == payload(1))
    }

    @Test func manyThreadsAppendConcurrentlyAndEveryRecordIsReadOnce() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        let threads = 4
        let perThread = 1_500
        let done = Atomic<Int>(0)
        for thread in 0..<threads {
            Thread {
                for n in 0..<perThread { _ = try? journal.append(payload(thread * perThread + n)) }
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
    }

    @Test func payloadsLargerThanHalfASegmentAndWritesToAReadOnlyJournalAreErrors() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        let maximum = journal.maximumPayload
        try journal.append([UInt8](repeating: 1, count: maximum))
        #expect(throws: JournalError.self) { try journal.append([UInt8](repeating: 1, count: maximum + 1)) }
        var readOnly = testOptions()
        readOnly.access = .readOnly
        let reader = try Journal(directory: path, options: readOnly)
        #expect(try readAll(reader).count == 1)
        do {
            try reader.append([1])
            Issue.record("expected .readOnly")
        } catch {
            #expect(error.reason == .readOnly)
            #expect(error.description.contains("read-only"))
        }
        #expect(throws: JournalError.self) { _ = try Journal(directory: directory.path("missing"), options: readOnly) }
    }

    @Test func aReopenedJournalHasItsRecordsAndContinuesAfterThem() throws {
        let path = directory.path("j")
        var indexes: [JournalIndex] = []
        do {
            let journal = try Journal(directory: path, options: testOptions())
            for n in 0..<700 { indexes.append(try journal.append(payload(n))) }
            try journal.sync()
        }
        let journal = try Journal(directory: path, options: testOptions())
        #expect(journal.recovery.isEmpty)
        let next = try journal.append(payload(700))
        #expect(next > indexes.last!)
        #expect(try readAll(journal).map(\.payload) == (0...700).map(payload))
    }

    @Test func aSlotClaimedAndNeverPublishedIsPaddedOverAfterTheTimeout() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions(padTimeout: .milliseconds(100)))
        try journal.append(payload(0))
        let dead = try journal.claimWithoutPublishing(payloadLength: 24)
        try journal.append(payload(1))
        // A read-only reader may not pad: it reports the stall with the place.
        var readOnly = testOptions(padTimeout: .milliseconds(50))
        readOnly.access = .readOnly
        let stalled = try Journal(directory: path, options: readOnly).tailer()
        #expect(try stalled.next(timeout: .seconds(5))?.payload == payload(0))
        do {
            _ = try stalled.next(timeout: .seconds(5))
            Issue.record("expected .stalled")
        } catch {
            #expect(error.reason == .stalled)
            #expect(error.offset == dead.offset)
        }
        let tailer = try journal.tailer()
        let records = [try tailer.next(timeout: .seconds(5)), try tailer.next(timeout: .seconds(5))]
        #expect(records.map { $0?.payload } == [payload(0), payload(1)])
        #expect(tailer.paddedOver == 1)
        let report = try journal.check()
        #expect(report.isHealthy)
        #expect(report.segments[0].paddings == 1)
        #expect(report.segments[0].paddedOver == 1)
    }

    @Test func aNamedCursorResumesAfterItsLastCommitAndHasOneConsumerAtATime() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        for n in 0..<50 { try journal.append(payload(n)) }
        do {
            let tailer = try journal.tailer(cursor: "planner")
            #expect(throws: JournalError.self) { _ = try journal.tailer(cursor: "planner") }
            for _ in 0..<20 { _ = try tailer.next(timeout: .zero) }
            try tailer.commit(state: [7, 7])
            _ = try tailer.next(timeout: .zero)  // read but not committed: returned again
        }
        let resumed = try journal.tailer(cursor: "planner")
        #expect(resumed.committedState == [7, 7])
        #expect(try resumed.next(timeout: .zero)?.payload == payload(20))
        #expect(try journal.cursorNames() == ["planner"])
        #expect(try journal.cursor("planner")?.lastIndex == JournalIndex(segment: 0, claim: 19))
        #expect(throws: JournalError.self) { _ = try journal.tailer(cursor: "../escape") }
        #expect(throws: JournalError.self) { try journal.tailer().commit() }
        // A removed cursor starts again where it is told.
        try journal.removeCursor("other-name-never-used")
        let restarted: Tailer
        do {
            _ = consume resumed
            try journal.removeCursor("planner")
            restarted = try journal.tailer(cursor: "planner", ifNew: .index(JournalIndex(segment: 0, claim: 40)))
        }
        #expect(try restarted.next(timeout: .zero)?.payload == payload(40))
        #expect(restarted.committedState.isEmpty)
    }

    @Test func retentionDeletesOldSegmentsButKeepsThoseACursorNeedsUnlessForced() throws {
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        for n in 0..<3_000 { try journal.append(payload(n)) }
        // The segment after the last one may still be being created ahead, in the background.
        journal.waitForBackgroundWork()
        let numbers = try journal.segmentNumbers()
        #expect(numbers.count >= 5)
        // A cursor at the start of the third segment protects it and everything after it.
        let cursor = try journal.tailer(cursor: "slow", ifNew: .index(JournalIndex(segment: numbers[2], claim: 0)))
        try cursor.commit()
        let removed = try journal.retire(maximumBytes: 0)
        #expect(removed == Array(numbers.prefix(2)))
        #expect(try journal.segmentNumbers() == Array(numbers.dropFirst(2)))
        #expect(try cursor.next(timeout: .zero)?.index == JournalIndex(segment: numbers[2], claim: 0))
        // A tailer from the start now begins at the oldest remaining segment.
        #expect(try readAll(journal).first?.index.segment == numbers[2])
        let forced = try journal.retire(maximumAge: .zero, force: true)
        #expect(forced == Array(numbers.dropFirst(2).dropLast()))
        #expect(try journal.segmentNumbers() == [numbers.last!])
        #expect(try cursor.next(timeout: .zero) != nil, "a tailer in a removed segment continues from the oldest remaining one")
    }

    @Test func syncFlushesTheRecordsAndTheHeaderThroughTheSeam() throws {
        let flushed = Mutex<[Int]>([])
        var system = SystemCalls.live
        system.msync = { address, length, flags in
            flushed.withLock { $0.append(length) }
            return SystemCalls.live.msync(address, length, flags)
        }
        let journal = try Journal(directory: directory.path("j"), options: testOptions(system: system))
        let index = try journal.append(payload(1))
        #expect(flushed.withLock { $0.isEmpty }, "appending alone flushes nothing")
        try journal.sync(upTo: index)
        #expect(flushed.withLock { $0.count } == 2, "the records, then the header")
        var failing = system
        failing.msync = { _, _, _ in
            errno = EIO
            return -1
        }
        let broken = try Journal(directory: directory.path("k"), options: testOptions(system: failing))
        let other = try broken.append(payload(2))
        do {
            try broken.sync(upTo: other)
            Issue.record("expected EIO")
        } catch {
            #expect(error.systemError?.errno == EIO)
            #expect(error.description.contains("I/O error"))
        }
    }
}

extension JournalTests {
    @Test func spaceClaimedWithoutEvenACommitWordIsPaddedOverWordByWord() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions(padTimeout: .milliseconds(100)))
        try journal.append(payload(0))
        // A producer that died right after its atomic add: nothing in its frame says how long it is.
        _ = try journal.claimWithoutPublishing(payloadLength: 100, markingCommitWord: false)
        _ = try journal.claimWithoutPublishing(payloadLength: 3, markingCommitWord: false)
        try journal.append(payload(1))
        try journal.append(payload(2))
        let tailer = try journal.tailer()
        let read = try (0..<3).map { _ in try tailer.next(timeout: .seconds(5))?.payload }
        #expect(read == [payload(0), payload(1), payload(2)])
        #expect(tailer.paddedOver == 1)
        #expect(try tailer.next(timeout: .zero) == nil)
        let report = try journal.check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.records == 3)
    }
}

extension JournalTests {
    @Test func syncWaitsForEarlierRecordsOfOtherProducersAndPadsADeadOne() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions(padTimeout: .milliseconds(100)))
        try journal.append(payload(0))
        let dead = try journal.claimWithoutPublishing(payloadLength: 10)
        let index = try journal.append(payload(1))
        try journal.sync(upTo: index)
        // The durable prefix is complete: the dead claim before the record was padded over.
        let report = try journal.check()
        #expect(report.segments[0].paddings == 1)
        #expect(report.segments[0].syncedUpTo > dead.offset)
        #expect(report.segments[0].durableBytes == report.segments[0].usedBytes)
        #expect(throws: JournalError.self) { try journal.sync(upTo: JournalIndex(segment: 7, claim: 0)) }
    }
}

extension JournalTests {
    @Test func aFullDiskWhenRollingIsAnErrorNamingTheSegmentAndTheJournalContinuesAfterwards() throws {
        let full = Atomic<Bool>(false)
        var system = SystemCalls.live
        system.allocate = { fd, offset, length in
            full.load(ordering: .relaxed) ? ENOSPC : SystemCalls.live.allocate(fd, offset, length)
        }
        let path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions(padTimeout: .milliseconds(50), system: system))
        let tailer = try journal.tailer()
        full.store(true, ordering: .relaxed)
        var appended = 0
        var failure: JournalError?
        while failure == nil && appended < 5_000 {
            do {
                try journal.append(payload(appended))
                appended += 1
            } catch {
                failure = error
            }
        }
        #expect(failure?.systemError?.errno == ENOSPC)
        #expect(failure?.path == path + "/segment-0000000001.mnj")
        #expect(failure?.description.contains("Free disk space") == true)
        // Readers are not left waiting for the record that did not fit.
        var read = 0
        while try tailer.next(timeout: .milliseconds(200)) != nil { read += 1 }
        #expect(read == appended)
        full.store(false, ordering: .relaxed)
        try journal.append(payload(appended))
        #expect(try tailer.next(timeout: .seconds(5))?.payload == payload(appended))
        #expect(try journal.check().isHealthy)
    }

    @Test func seekingToATimeFindsTheFirstRecordAtOrAfterItInAnySegment() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        for n in 0..<2_500 { try journal.append(payload(n)) }
        let all = try readAll(journal)
        #expect(Set(all.map(\.index.segment)).count > 3)
        for k in [0, 7, 640, 1_333, 2_100, 2_499] {
            let found = try readAll(journal, from: .time(nanosecondsSince1970: all[k].timestamp))
            // The first record whose timestamp is at least the one of record k (several may share it).
            let expected = all.firstIndex { $0.timestamp >= all[k].timestamp }!
            #expect(found.first?.index == all[expected].index)
            #expect(found.count == all.count - expected)
        }
        #expect(try readAll(journal, from: .time(nanosecondsSince1970: all.last!.timestamp + 1)).isEmpty)
        #expect(try readAll(journal, from: .time(nanosecondsSince1970: 0)).count == all.count)
    }
}

extension JournalTests {
    @Test func retentionByAgeKeepsRecentSegmentsAndNeverTheOneBeingAppendedTo() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        for n in 0..<3_000 { try journal.append(payload(n)) }
        let before = try journal.segmentNumbers()
        #expect(try journal.retire(maximumAge: .seconds(3_600)).isEmpty, "nothing is an hour old")
        let removed = try journal.retire(maximumAge: .zero, maximumBytes: 0)
        let after = try journal.segmentNumbers()
        #expect(removed == before.filter { !after.contains($0) })
        let last = try readAll(journal)
        #expect(last.last?.payload == payload(2_999), "the segment being appended to is kept")
        try journal.append(payload(3_000))
        #expect(try readAll(journal).last?.payload == payload(3_000))
    }
}

extension JournalTests {
    @Test func indexesBeyondTheJournalStartAtTheEndWithoutAScan() throws {
        let journal = try Journal(directory: directory.path("j"), options: testOptions())
        for n in 0..<10 { try journal.append(payload(n)) }
        #expect(try readAll(journal, from: .index(JournalIndex(segment: 0, claim: .max))).isEmpty)
        #expect(try readAll(journal, from: .index(JournalIndex(rawValue: .max))).isEmpty)
        #expect(throws: JournalError.self) { try journal.sync(upTo: JournalIndex(segment: 0, claim: .max)) }
        #expect(try readAll(journal, from: .index(JournalIndex(segment: 0, claim: 3))).count == 7)
    }
}

extension JournalTests {
    @Test func segmentsAlsoRollByTimeWhenAskedTo() throws {
        var options = testOptions(segmentSize: 1 << 20)
        options.rollInterval = .milliseconds(50)
        let journal = try Journal(directory: directory.path("j"), options: options)
        let first = try journal.append(payload(0))
        let second = try journal.append(payload(1))
        #expect(second.segment == first.segment, "the same segment until the interval passes")
        usleep(80_000)
        let third = try journal.append(payload(2))
        #expect(third.segment == first.segment + 1)
        #expect(third.claim == 0)
        #expect(try readAll(journal).map(\.payload) == [payload(0), payload(1), payload(2)])
        let report = try journal.check()
        #expect(report.isHealthy)
        #expect(report.segments[0].ended && report.segments[0].records == 2)
    }
}
