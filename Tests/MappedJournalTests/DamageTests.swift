import Foundation
import Testing
@_spi(Testing) import MappedJournal
import MappedMemory

/// Damaged segment files: errors that name the segment and the offset, records skipped where the
/// format proves the next boundary, and never a crash.
@Suite("Damaged journals")
struct DamageTests {
    let directory: TemporaryDirectory
    let path: String
    let records: [JournalRecord]

    /// A closed, synced journal of 1500 records over several segments.
    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path("j")
        let journal = try Journal(directory: path, options: testOptions())
        for n in 0..<1_500 { try journal.append(payload(n)) }
        try journal.sync()
        records = try readAll(journal)
    }

    func reopen() throws -> Journal { try Journal(directory: path, options: testOptions()) }

    func file(of record: JournalRecord) throws -> String {
        try segmentFiles(path).first { $0.hasSuffix(String(format: "segment-%010u.mnj", record.position.segment)) }!
    }

    @Test func aFlippedPayloadByteIsAnErrorNamingTheSegmentAndOffsetAndCanBeSkipped() throws {
        let victim = records[100]
        let segment = try file(of: victim)
        try patch(segment, at: 0) { $0[victim.position.offset + 40] ^= 0x20 }
        let journal = try reopen()
        let tailer = try journal.tailer(from: .index(records[99].index))
        #expect(try tailer.next(timeout: .zero)?.payload == records[99].payload)
        do {
            _ = try tailer.next(timeout: .zero)
            Issue.record("expected .damagedRecord")
        } catch {
            #expect(error.path == segment)
            #expect(error.offset == victim.position.offset)
            #expect(error.description.contains("checksum"))
            #expect(error.description.contains(segment))
        }
        tailer.skipDamagedRecords = true
        #expect(try tailer.next(timeout: .zero)?.payload == records[101].payload)
        #expect(tailer.damagedSkipped == 1)
        let report = try journal.check()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.offset == victim.position.offset)
        #expect(report.records == records.count - 1)
    }

    @Test func aDamagedCommitWordIsSkippedOnlyUpToTheNextIndexedRecord() throws {
        let victim = records[200]
        let segment = try file(of: victim)
        try patch(segment, at: 0) { $0[victim.position.offset + 5] ^= 0xFF }  // the magic of the commit word
        let journal = try reopen()
        let tailer = try journal.tailer(from: .index(victim.index))
        #expect(throws: JournalError.self) { _ = try tailer.next(timeout: .zero) }
        tailer.skipDamagedRecords = true
        let resumed = try tailer.next(timeout: .zero)
        // The frame length is not trusted; the segment index proves where a later record starts.
        let expectedNext = records.first { $0.index.segment == victim.index.segment && $0.index.claim > victim.index.claim && $0.index.claim % 16 == 0 }
        #expect(resumed?.index == expectedNext?.index)
        let report = try journal.check()
        #expect(report.problems.contains { $0.offset == victim.position.offset && $0.path == segment })
    }

    @Test func wrongHeadersAreErrorsNamingTheSegmentFile() throws {
        let segments = try segmentFiles(path)
        let cases: [(String, (inout [UInt8]) -> Void, String)] = [
            (segments[0], { $0[0] ^= 1 }, "magic"),
            (segments[1], { $0[8] = 9 }, "version"),
            (segments[2], { $0[20] ^= 1 }, "checksum"),
        ]
        for (segment, damage, _) in cases { try patch(segment, at: 0, damage) }
        let journal = try reopen()
        let report = try journal.check()
        for (segment, _, word) in cases {
            let problem = report.problems.first { $0.path == segment }
            #expect(problem?.description.contains(word) == true, "\(String(describing: problem))")
        }
        // A reader stops at the damaged segment with the same error, and does not crash.
        let tailer = try journal.tailer()
        #expect(throws: JournalError.self) { _ = try tailer.next(timeout: .zero) }
    }

    @Test func truncatedSegmentsAreErrorsNamingTheFile() throws {
        let segments = try segmentFiles(path)
        #expect(segments.count >= 3)
        // A middle segment cut in half: its header no longer matches its size.
        #expect(truncate(segments[1], 30_000) == 0)
        // The segment producers append to, cut inside its records.
        let last = try file(of: records.last!)
        #expect(last != segments[1])
        #expect(truncate(last, 4096 + 100) == 0)
        let journal = try reopen()
        #expect(journal.recovery.unreadableSegments.count == 1)
        let report = try journal.check()
        #expect(report.problems.contains { $0.path == segments[1] && $0.description.contains("bytes") })
        #expect(report.problems.contains { $0.path == last })
        let tailer = try journal.tailer()
        var read = 0
        do {
            while try tailer.next(timeout: .zero) != nil { read += 1 }
            Issue.record("expected an error at the truncated segment")
        } catch {
            #expect(error.path == segments[1])
        }
        #expect(read == records.filter { $0.position.segment == 0 }.count)
        do {
            try journal.append([1])
            Issue.record("expected an error at the truncated newest segment")
        } catch {
            #expect(error.path == last)
            #expect(error.description.contains("move it out"))
        }
    }

    @Test(arguments: 1...12)
    func randomlyDamagedJournalsNeverCrashTheReaderOrRecovery(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed))
        let copy = directory.path("copy\(seed)")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        for segment in try segmentFiles(copy) {
            try patch(segment, at: 0) { bytes in
                for _ in 0..<random.below(40) {
                    // Mostly the records; sometimes the header and the index.
                    let position = random.below(4) == 0 ? random.below(4096 + 256) : 4096 + random.below(bytes.count - 4096)
                    bytes[position] ^= UInt8(1 << random.below(8))
                }
            }
        }
        guard let journal = try? Journal(directory: copy, options: testOptions()) else { return }
        _ = try journal.check()
        let tailer = try journal.tailer()
        tailer.skipDamagedRecords = true
        var seen = Set<JournalIndex>()
        while true {
            let record: JournalRecord?
            do { record = try tailer.next(timeout: .zero) } catch { break }
            guard let record else { break }
            // Whatever is returned passed its checksum, so it is a record that was written.
            #expect(records.contains(record) || records.contains { $0.index == record.index && $0.payload == record.payload })
            #expect(seen.insert(record.index).inserted)
        }
        for start: TailerStart in [.index(records[300].index), .time(nanosecondsSince1970: records[300].timestamp), .end] {
            _ = try? journal.tailer(from: start).next(timeout: .zero)
        }
    }
}

extension DamageTests {
    @Test func aTailerSkippingDamageStepsOverASegmentWhoseHeaderIsDamaged() throws {
        let segments = try segmentFiles(path)
        try patch(segments[1], at: 0) { $0[16] ^= 0x40 }  // the segment number, under the header CRC
        let journal = try reopen()
        let tailer = try journal.tailer()
        tailer.skipDamagedRecords = true
        var read: [JournalRecord] = []
        while let record = try tailer.next(timeout: .zero) { read.append(record) }
        #expect(read == records.filter { $0.position.segment != 1 })
        #expect(tailer.damagedSkipped == 1)
    }
}

extension DamageTests {
    @Test func aDamagedCursorSlotFallsBackToThePreviousCommit() throws {
        let journal = try reopen()
        do {
            let tailer = try journal.tailer(cursor: "c")
            _ = try tailer.next(timeout: .zero)
            try tailer.commit(state: [1])  // sequence 1: slot 1
            _ = try tailer.next(timeout: .zero)
            try tailer.commit(state: [2])  // sequence 2: slot 0
        }
        let cursorFile = path + "/cursors/c.cursor"
        try patch(cursorFile, at: 0) { $0[30] ^= 0xFF }  // inside slot 0
        let saved = try journal.cursor("c")
        #expect(saved?.state == [1])
        #expect(saved?.lastIndex == records[0].index)
        let resumed = try journal.tailer(cursor: "c")
        #expect(try resumed.next(timeout: .zero)?.index == records[1].index)
        // Both slots damaged: the cursor has no commit, and starts where it is told.
        try patch(cursorFile, at: 0) { $0[512 + 30] ^= 0xFF }
        #expect(try journal.cursor("c") == nil)
    }
}
