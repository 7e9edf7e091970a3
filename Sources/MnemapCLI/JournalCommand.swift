import ArgumentParser
import Foundation
import MappedJournal

/// `mnemap journal`: append to, follow, inspect and verify a MappedJournal.
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Append to, follow, inspect and verify a journal (a directory of segment files).",
        discussion: "Exit status is 1 when the journal cannot be opened or is damaged (check), 0 otherwise.",
        subcommands: [JournalAppend.self, JournalTail.self, JournalStat.self, JournalCheck.self]
    )
}

/// What every journal subcommand takes.
struct JournalLocation: ParsableArguments {
    @Argument(help: "The journal's directory.", completion: .directory)
    var directory: String
}

/// Opens the journal, or prints the error and exits with status 1.
func openJournal(_ directory: String, access: JournalOptions.Access, create: Bool = false, segmentSize: Int? = nil) throws -> Journal {
    var options = JournalOptions()
    options.access = access
    options.create = create
    if let segmentSize { options.segmentSize = segmentSize }
    do {
        return try Journal(directory: directory, options: options)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Runs `body`, printing a journal error and exiting with status 1 instead of a stack of text.
func reportingJournalErrors<R>(_ body: () throws(JournalError) -> R) throws -> R {
    do {
        return try body()
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// A record as `--json` prints it: one object per line.
struct RecordJSON: Encodable {
    var index: String
    var rawIndex: UInt64
    var timestamp: Int64
    var time: String
    var payload: String?
    var payloadBase64: String?

    init(_ record: JournalRecord) {
        index = record.index.description
        rawIndex = record.index.rawValue
        timestamp = record.timestamp
        time = formatTime(record.timestamp)
        if let text = String(validating: record.payload, as: UTF8.self) {
            payload = text
        } else {
            payloadBase64 = Data(record.payload).base64EncodedString()
        }
    }
}

/// Nanoseconds since 1970 as ISO 8601 with microseconds, in UTC.
func formatTime(_ nanoseconds: Int64) -> String {
    let seconds = nanoseconds / 1_000_000_000
    let micros = (nanoseconds % 1_000_000_000) / 1_000
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let base = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    return base.replacingOccurrences(of: "Z", with: String(format: ".%06dZ", micros))
}

/// Parses a time: nanoseconds or seconds since 1970 (a number), or ISO 8601.
func parseTime(_ text: String) -> Int64? {
    if let integer = Int64(text) {
        return integer > 1_000_000_000_000_000 ? integer : integer * 1_000_000_000
    }
    if let number = Double(text) {
        return number > 1e15 ? Int64(number) : Int64(number * 1e9)
    }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1e9) }
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1e9) }
    return nil
}

func jsonLine(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}
