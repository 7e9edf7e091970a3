import ArgumentParser
import Foundation
import MappedJournal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap journal tail`: print records, optionally following new ones like `tail -f`.
struct JournalTail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print records from a position, a time or a named cursor; --follow waits for new ones.",
        discussion: """
            Without --follow, prints what is there and exits. With --cursor NAME, continues after the \
            cursor's last commit and commits (durably) after what it printed, so the next run with the \
            same name prints only newer records.
            """
    )

    @OptionGroup var location: JournalLocation
    @Option(help: "Where to start: start, end, or a record index (SEGMENT:CLAIM or a raw number).")
    var from: String = "start"
    @Option(help: "Start at the first record at or after this time (ISO 8601, or seconds since 1970).")
    var since: String?
    @Option(help: "A named durable cursor: continue after its last commit and commit what is printed.")
    var cursor: String?
    @Flag(help: "Keep waiting for new records (Ctrl-C to stop).") var follow = false
    @Option(help: "With --follow, stop after this many seconds without a new record.") var idleTimeout: Double?
    @Option(help: "Stop after this many records.") var limit: Int?
    @Flag(help: "Print one JSON object per record.") var json = false

    func start() throws -> TailerStart {
        if let since {
            guard let time = parseTime(since) else { throw ValidationError("--since '\(since)' is not a time (ISO 8601 or seconds since 1970).") }
            return .time(nanosecondsSince1970: time)
        }
        switch from {
        case "start": return .start
        case "end": return .end
        default:
            guard let index = JournalIndex(from) else { throw ValidationError("--from '\(from)' is not start, end or an index like 0:42.") }
            return .index(index)
        }
    }

    func run() throws {
        let start = try start()
        // Read-write when allowed, so that a slot of a producer that died is padded over instead of
        // stalling the tail; read-only otherwise.
        let writable = cursor != nil || access(location.directory, W_OK) == 0
        let journal = try openJournal(location.directory, access: writable ? .readWrite : .readOnly)
        let tailer = try reportingJournalErrors { () throws(JournalError) in
            if let cursor { return try journal.tailer(cursor: cursor, ifNew: start) }
            return try journal.tailer(from: start)
        }
        var printed = 0
        var uncommitted = false
        func commit() throws {
            guard cursor != nil, uncommitted else { return }
            try reportingJournalErrors { () throws(JournalError) in try tailer.commit() }
            uncommitted = false
        }
        let wait: Duration = follow ? .milliseconds(500) : .zero
        let clock = ContinuousClock()
        var lastRecord = clock.now
        while limit.map({ printed < $0 }) ?? true {
            let record = try reportingJournalErrors { () throws(JournalError) in try tailer.next(timeout: wait) }
            guard let record else {
                try commit()
                if !follow { break }
                if let idleTimeout, clock.now - lastRecord >= .milliseconds(Int(idleTimeout * 1000)) { break }
                continue
            }
            lastRecord = clock.now
            if json {
                print(jsonLine(RecordJSON(record)))
            } else {
                print("\(record.index)  \(formatTime(record.timestamp))  \(String(decoding: record.payload, as: UTF8.self))")
            }
            fflush(nil)
            printed += 1
            uncommitted = true
        }
        try commit()
    }
}
