import Foundation
import Testing
import MappedJournal

@Suite("README example of MappedJournal")
struct JournalReadmeExampleTests {
    @Test func theReadmeExampleRuns() throws {
        let directory = try TemporaryDirectory()
        let journal = try Journal(directory: directory.path("events"))
        let index = try journal.append(Array("observation: tests pass".utf8))
        try journal.sync(upTo: index)

        let tailer = try journal.tailer(cursor: "planner")
        var seen: [String] = []
        while let record = try tailer.next(timeout: .milliseconds(10)) {
            seen.append("\(record.index) \(String(decoding: record.payload, as: UTF8.self))")
            try tailer.commit()
        }
        #expect(seen == ["0:0 observation: tests pass"])

        let appender = try journal.appender()
        try appender.append(Array("observation: lint clean".utf8))
        let size = try tailer.withNext(timeout: .zero) { record in record.payload.count }
        #expect(size == "observation: lint clean".utf8.count)
    }
}
