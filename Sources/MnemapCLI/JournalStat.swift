import ArgumentParser
import MappedJournal

/// `mnemap journal stat`: segments, records, bytes, producers at work, cursors and their lag.
struct JournalStat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat",
        abstract: "Show segments, records, bytes, slots in flight and padded, and each cursor's lag.",
        discussion: "Reads every record once (and verifies its checksum); changes nothing."
    )

    @OptionGroup var location: JournalLocation
    @Flag(help: "Print JSON instead of text.") var json = false

    struct SegmentJSON: Encodable {
        var number: UInt32
        var bytes: Int
        var usedBytes: Int
        var records: Int
        var paddings: Int
        var inFlight: Int
        var paddedOver: Int
        var firstIndex: String?
        var lastIndex: String?
        var ended: Bool
        var durableBytes: Int
    }

    struct CursorJSON: Encodable {
        var name: String
        var lastIndex: String?
        var lag: Int
    }

    struct StatJSON: Encodable {
        var directory: String
        var segments: [SegmentJSON]
        var records: Int
        var bytes: Int
        var usedBytes: Int
        var inFlight: Int
        var paddedOver: Int
        var problems: Int
        var cursors: [CursorJSON]
    }

    func run() throws {
        let journal = try openJournal(location.directory, access: .readOnly)
        let report = try reportingJournalErrors { () throws(JournalError) in try journal.check() }
        var cursors: [CursorJSON] = []
        for name in try reportingJournalErrors({ () throws(JournalError) in try journal.cursorNames() }) {
            let state: CursorState? = (try? journal.cursor(name)) ?? nil
            let lastIndex = state?.lastIndex
            // Lag: the records after the cursor's last commit.
            var lag = 0
            let start: TailerStart = lastIndex.map { .index(JournalIndex(rawValue: $0.rawValue &+ 1)) } ?? .start
            if let tailer = try? journal.tailer(from: start) {
                while (try? tailer.next(timeout: .zero)) != nil { lag += 1 }
            }
            cursors.append(CursorJSON(name: name, lastIndex: lastIndex?.description, lag: lag))
        }
        let segments = report.segments.map {
            SegmentJSON(number: $0.number, bytes: $0.bytes, usedBytes: $0.usedBytes, records: $0.records, paddings: $0.paddings, inFlight: $0.inFlight, paddedOver: $0.paddedOver, firstIndex: $0.firstIndex?.description, lastIndex: $0.lastIndex?.description, ended: $0.ended, durableBytes: $0.durableBytes)
        }
        let stat = StatJSON(
            directory: location.directory, segments: segments, records: report.records,
            bytes: segments.reduce(0) { $0 + $1.bytes }, usedBytes: segments.reduce(0) { $0 + $1.usedBytes },
            inFlight: segments.reduce(0) { $0 + $1.inFlight }, paddedOver: segments.reduce(0) { $0 + $1.paddedOver },
            problems: report.problems.count, cursors: cursors
        )
        if json {
            print(jsonLine(stat))
            return
        }
        print("journal \(stat.directory): \(stat.records) records in \(segments.count) \(segments.count == 1 ? "segment" : "segments"), \(formatBytes(Int64(stat.usedBytes))) used of \(formatBytes(Int64(stat.bytes)))")
        print("producers: \(stat.inFlight) slots being written now, \(stat.paddedOver) padded over after a producer stopped")
        for segment in segments {
            let range = segment.firstIndex.map { "\($0)...\(segment.lastIndex ?? $0)" } ?? "empty"
            print("  segment \(segment.number): \(segment.records) records (\(range)), \(formatBytes(Int64(segment.usedBytes))) used (\(formatBytes(Int64(segment.durableBytes))) durable)\(segment.ended ? ", ended" : "")")
        }
        for cursor in cursors {
            print("cursor \(cursor.name): at \(cursor.lastIndex ?? "the start"), \(cursor.lag) records behind")
        }
        if stat.problems > 0 { print("\(stat.problems) problems: run 'mnemap journal check'") }
    }
}
