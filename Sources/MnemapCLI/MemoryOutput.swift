import Foundation
import Mnemap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// How the agent-memory commands print: memories as the JSON of export, tables fitted to the terminal.

/// A memory as JSON, with the field names of `mnemap export` (see `MemoryStore.jsonLine`).
func memoryJSON(_ memory: Memory) -> String {
    MemoryStore.jsonLine(memory)
}

/// Writes `text` and a newline to standard output, failing if the write fails.
func printOutput(_ text: String) throws(CommandFailure) {
    var output = StandardOutput()
    try output.write(text)
    try output.write("\n")
    try output.flush()
}

enum Terminal {
    /// Whether standard error is a terminal (progress bars go there only then).
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// The width to fit tables to: the terminal's when standard output is one, else $COLUMNS, else 80.
    static var width: Int {
        if isatty(1) == 1 {
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }
}

/// How long ago `date` was, in the largest whole unit: `42s`, `5m`, `3h`, `12d`, `2y`.
func age(of date: Date, now: Date = Date()) -> String {
    let seconds = Int(now.timeIntervalSince(date))
    if seconds < 0 { return "future" }
    let units: [(Int, String)] = [(365 * 86400, "y"), (86400, "d"), (3600, "h"), (60, "m")]
    for (size, name) in units where seconds >= size { return "\(seconds / size)\(name)" }
    return "\(seconds)s"
}

/// A time for people: ISO 8601 in UTC to the second.
func humanTime(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle())
}

/// Text on one line (runs of whitespace become one space), cut to `width` characters with "…".
func oneLine(_ text: String, width: Int) -> String {
    let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    guard flat.count > width else { return flat }
    return width <= 1 ? String(flat.prefix(width)) : flat.prefix(width - 1) + "…"
}

/// A table: columns padded to their widest cell, two spaces apart; the last column takes what is
/// left of `width` and its cells are cut to fit.
struct Table {
    var header: [String]
    var rows: [[String]] = []
    /// Columns aligned right (numbers).
    var rightAligned: Set<Int> = []

    init(_ header: [String], rightAligned: Set<Int> = []) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render(width: Int = Terminal.width) -> String {
        let fixed = header.count - 1
        var widths = (0..<fixed).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        widths.append(max(header[fixed].count, width - widths.reduce(0, +) - 2 * fixed))
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (column, cell) in cells.enumerated() {
                if column == fixed {
                    parts.append(oneLine(cell, width: widths[column]))
                } else if rightAligned.contains(column) {
                    parts.append(cell.leftPadded(to: widths[column]))
                } else {
                    parts.append(cell.padding(toLength: widths[column], withPad: " ", startingAt: 0))
                }
            }
            return parts.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// A memory's fields for people, one per line, then its text.
func describe(_ memory: Memory, now: Date = Date()) -> String {
    var lines = [
        "id            \(memory.id)",
        "namespace     \(memory.namespace)",
        "kind          \(memory.kind.rawValue)",
        "importance    \(JSONValue.number(memory.importance).jsonText)",
        "created       \(humanTime(memory.createdAt)) (\(age(of: memory.createdAt, now: now)) ago)",
    ]
    if memory.version > 0 { lines.append("updated       \(humanTime(memory.updatedAt)) (version \(memory.version))") }
    if memory.accessCount > 0 { lines.append("accessed      \(memory.accessCount) times, last \(humanTime(memory.lastAccessedAt))") }
    if let date = memory.validFrom { lines.append("valid from    \(humanTime(date))") }
    if let date = memory.validUntil { lines.append("valid until   \(humanTime(date))") }
    if let date = memory.expiresAt { lines.append("expires       \(humanTime(date))\(memory.isExpired(at: now) ? " (expired)" : "")") }
    if let source = memory.source { lines.append("source        \(source)") }
    if let episode = memory.episode { lines.append("episode       \(episode)") }
    if !memory.metadata.isEmpty { lines.append("metadata      \(JSONValue.object(memory.metadata).jsonText)") }
    lines.append("")
    lines.append(memory.text)
    return lines.joined(separator: "\n")
}

/// "1 memory", "3 memories".
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}
