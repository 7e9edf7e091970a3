import Foundation
import Testing
import MnemapTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap journal` run as users run it: the built executable on a real journal.
@Suite("mnemap journal")
struct JournalCommandTests {
    /// Removes the test's directory when the test ends.
    final class Cleanup: Sendable {
        let path: String
        init(_ path: String) { self.path = path }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    let directory: String
    let journal: String
    let cleanup: Cleanup

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-cli-journal-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        journal = directory + "/events"
        cleanup = Cleanup(directory)
    }

    /// Creates the journal with small segments (the default is 64 MiB of disk per segment).
    func createJournal() throws {
        let created = try mnemap("journal", "append", journal, "--segment-size", "65536", input: "")
        #expect(created.status == 0, "\(created.errors)")
    }

    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
        var lines: [String] { output.split(separator: "\n").map(String.init) }
    }

    func mnemap(_ arguments: String..., input: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = CacheCommandTests.executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    struct Line: Decodable {
        var index: String
        var payload: String?
        var payloadBase64: String?
        var timestamp: Int64
    }

    func tailJSON(_ extra: String...) throws -> [Line] {
        let outcome = try mnemap(["journal", "tail", journal, "--json"] + extra)
        #expect(outcome.status == 0, "\(outcome.errors)")
        return try outcome.lines.map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    func mnemap(_ arguments: [String]) throws -> Outcome {
        let finished = try ChildProcess.run("mnemap", arguments)
        return Outcome(status: finished.status, output: finished.output, errors: finished.errors)
    }

    @Test func appendFromArgumentsAndStandardInputThenTailFromAPositionOrATime() throws {
        try createJournal()
        let appended = try mnemap("journal", "append", journal, "first", "second", "--sync")
        #expect(appended.status == 0, "\(appended.errors)")
        #expect(appended.output.contains("appended 2 records"))
        let piped = try mnemap("journal", "append", journal, input: "line one\nline two\nline three\n")
        #expect(piped.status == 0)
        let all = try tailJSON()
        #expect(all.map(\.payload) == ["first", "second", "line one", "line two", "line three"])
        #expect(all.map(\.index) == ["0:0", "0:1", "0:2", "0:3", "0:4"])
        #expect(try tailJSON("--from", "0:3").map(\.payload) == ["line two", "line three"])
        #expect(try tailJSON("--since", String(all[2].timestamp)).first?.payload == "line one")
        #expect(try tailJSON("--from", "end").isEmpty)
        let text = try mnemap("journal", "tail", journal, "--limit", "1")
        #expect(text.lines.count == 1 && text.lines[0].hasPrefix("0:0 ") && text.lines[0].hasSuffix("first"))
        let bad = try mnemap("journal", "tail", journal, "--from", "nowhere")
        #expect(bad.status != 0)
    }

    @Test func aCursorPrintsOnlyWhatItHasNotPrintedBefore() throws {
        try createJournal()
        _ = try mnemap("journal", "append", journal, "a", "b", "c")
        #expect(try tailJSON("--cursor", "reader", "--limit", "2").map(\.payload) == ["a", "b"])
        #expect(try tailJSON("--cursor", "reader").map(\.payload) == ["c"])
        #expect(try tailJSON("--cursor", "reader").isEmpty)
        _ = try mnemap("journal", "append", journal, "d")
        #expect(try tailJSON("--cursor", "reader").map(\.payload) == ["d"])
    }

    @Test func followWaitsForRecordsAppendedByAnotherProcess() throws {
        try createJournal()
        _ = try mnemap("journal", "append", journal, "before")
        let appender = Thread {
            usleep(300_000)
            _ = try? self.mnemap("journal", "append", self.journal, "after")
        }
        appender.start()
        let followed = try tailJSON("--follow", "--idle-timeout", "2", "--from", "end")
        #expect(followed.map(\.payload) == ["after"])
    }

    struct Stat: Decodable {
        struct Cursor: Decodable {
            var name: String
            var lag: Int
        }
        var records: Int
        var problems: Int
        var cursors: [Cursor]
    }

    @Test func statShowsRecordsAndCursorLagAndCheckFindsDamage() throws {
        try createJournal()
        _ = try mnemap("journal", "append", journal, "one", "two", "three", "--sync")
        _ = try tailJSON("--cursor", "slow", "--limit", "1")
        let stat = try mnemap("journal", "stat", journal, "--json")
        #expect(stat.status == 0, "\(stat.errors)")
        let decoded = try JSONDecoder().decode(Stat.self, from: Data(stat.output.utf8))
        #expect(decoded.records == 3)
        #expect(decoded.cursors.map(\.name) == ["slow"])
        #expect(decoded.cursors.first?.lag == 2)
        let text = try mnemap("journal", "stat", journal)
        #expect(text.output.contains("3 records in 1 segment"))
        #expect(text.output.contains("cursor slow"))

        let healthy = try mnemap("journal", "check", journal)
        #expect(healthy.status == 0)
        #expect(healthy.output.hasPrefix("ok: 3 records"))
        // Flip a byte of the second record's payload.
        let segment = journal + "/segment-0000000000.mnj"
        let fd = open(segment, O_RDWR)
        #expect(fd >= 0)
        var header = [UInt8](repeating: 0, count: 64)
        _ = pread(fd, &header, 64, 0)
        let dataStart = Int(header[32]) | Int(header[33]) << 8 | Int(header[34]) << 16 | Int(header[35]) << 24
        let offset = off_t(dataStart + 40 + 33)  // the first record is 40 bytes: 32 of header, "one", padding
        var byte: UInt8 = 0
        _ = pread(fd, &byte, 1, offset)
        byte ^= 0x01
        _ = pwrite(fd, &byte, 1, offset)
        close(fd)
        let damaged = try mnemap("journal", "check", journal)
        #expect(damaged.status == 1)
        #expect(damaged.errors.contains(segment))
        #expect(damaged.errors.contains("offset \(dataStart + 40)"))
        #expect(damaged.output.contains("damaged"))
        let tail = try mnemap("journal", "tail", journal)
        #expect(tail.status == 1)
        #expect(tail.lines == [tail.lines.first!] && tail.output.contains("one"))
        #expect(tail.errors.contains("checksum"))
    }

    @Test func aMissingJournalIsAClearError() throws {
        let outcome = try mnemap("journal", "stat", directory + "/nothing")
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("nothing"))
        #expect(!outcome.errors.contains("Fatal"))
    }
}
