import ArgumentParser
import MappedJournal

/// `mnemap journal append`: one record per argument, or per line of standard input.
struct JournalAppend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append records: one per argument, or one per line of standard input.",
        discussion: "Creates the journal when it does not exist. Records are visible to readers at once; with --sync they also survive power loss when the command returns."
    )

    @OptionGroup var location: JournalLocation
    @Argument(help: "Record payloads (UTF-8). Without any, each line of standard input is a record.")
    var messages: [String] = []
    @Flag(help: "Make the records durable (msync/fsync) before exiting.") var sync = false
    @Option(help: "Segment size in bytes when the journal is created.") var segmentSize: Int = 64 << 20
    @Flag(help: "Print the index of every record appended.") var verbose = false

    func run() throws {
        let journal = try openJournal(location.directory, access: .readWrite, create: true, segmentSize: segmentSize)
        var count = 0
        var first: JournalIndex?
        var last: JournalIndex?
        func append(_ text: String) throws {
            let index = try reportingJournalErrors { () throws(JournalError) in try journal.append(Array(text.utf8)) }
            first = first ?? index
            last = index
            count += 1
            if verbose { print(index) }
        }
        if messages.isEmpty {
            while let line = readLine(strippingNewline: true) { try append(line) }
        } else {
            for message in messages { try append(message) }
        }
        if sync, let last {
            try reportingJournalErrors { () throws(JournalError) in try journal.sync(upTo: last) }
        }
        if let first, let last {
            print("appended \(count) \(count == 1 ? "record" : "records") (\(first)...\(last))\(sync ? ", synced" : "")")
        } else {
            print("appended 0 records")
        }
    }
}
