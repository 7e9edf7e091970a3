import ArgumentParser
import Foundation
import Mnemap

/// `mnemap import`: memories from a JSON Lines file.
struct MemoryImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the memories of a JSON Lines file (as `mnemap export` writes).",
        discussion: """
            One JSON object per line with at least "text" and "namespace"; optional "kind", \
            "metadata", "importance", "createdAt", "validFrom", "validUntil", "expiresAt", "source", \
            "episode", "id", "vector" (and the other fields export writes). Each batch is one \
            transaction. A bad line stops the import after the batches before it; rerunning the \
            same import resumes (lines whose id is present, and exact duplicates, are skipped). \
            A progress bar is shown on standard error when it is a terminal.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "The JSON Lines file (- for standard input).", completion: .file()) var file: String
    @Option(help: "Lines per transaction.") var batch = 256

    func validate() throws {
        if !(1...100_000).contains(batch) { throw ValidationError("--batch must be 1 to 100000.") }
    }

    func run() throws {
        try reportingFailures {
            let path = file == "-" ? "/dev/stdin" : file
            if file != "-", !FileManager.default.isReadableFile(atPath: path) {
                throw CommandFailure("cannot read '\(file)'; check the path.")
            }
            let store = try options.open(embedding: true)
            let clock = ContinuousClock()
            let started = clock.now
            let showProgress = Terminal.standardErrorIsTerminal
            var shown = false
            var last: ImportProgress?
            let progress: (ImportProgress) -> Void = { state in
                last = state
                guard showProgress else { return }
                printProgress(Self.progressLine(state, seconds: seconds(since: started, clock)))
                shown = true
            }
            let final: ImportProgress
            do {
                final = try store.importJSONLines(from: path, batchSize: batch, progress: progress)
            } catch {
                if shown { endProgress() }
                if let last, last.added + last.skipped > 0 { printError("before the failure: \(last.added) added, \(last.skipped) skipped.") }
                throw error
            }
            if shown { endProgress() }
            let elapsed = seconds(since: started, clock)
            if options.json {
                let object: JSONValue = [
                    "lines": .number(Double(final.lines)), "added": .number(Double(final.added)),
                    "skipped": .number(Double(final.skipped)), "seconds": .number((elapsed * 1000).rounded() / 1000),
                ]
                try printOutput(object.jsonText)
            } else {
                try printOutput("imported \(file): \(final.added) added, \(final.skipped) skipped (already present or duplicates), \(final.lines) lines in \(String(format: "%.2f", elapsed)) s, \(rate(final.added + final.skipped, elapsed)) memories/s")
            }
        }
    }

    /// `[#####     ] 45%  12000 memories  3100/s  ETA 4s` (percent and ETA from the bytes read).
    static func progressLine(_ state: ImportProgress, seconds: Double) -> String {
        let done = state.added + state.skipped
        var line = ""
        if state.totalBytes > 0 {
            let fraction = min(1, Double(state.bytesRead) / Double(state.totalBytes))
            line += "\(bar(Int(fraction * 1000), of: 1000)) \(Int(fraction * 100))%  "
            line += "\(done) memories  \(rate(done, seconds))/s"
            if fraction > 0, fraction < 1 { line += "  ETA \(duration(seconds * (1 - fraction) / fraction))" }
        } else {
            line += "\(done) memories  \(rate(done, seconds))/s"
        }
        return line.padding(toLength: max(line.count, 70), withPad: " ", startingAt: 0)
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole % 3600 / 60))m"
    }
}
