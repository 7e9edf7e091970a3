import ArgumentParser
import Foundation
import Mnemap

/// `mnemap update`: change a memory, keeping the earlier version in its history.
struct MemoryUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change a memory's text, metadata, importance, validity or expiry.",
        discussion: """
            Only the options given change. The earlier version is kept (`mnemap get --history`); a \
            new text is embedded and indexed again. Times take ISO 8601, or none to clear them. \
            The namespace never changes.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Argument(help: "The memory's id.") var id: String
    @Option(help: "The new text (- reads it from standard input).") var text: String?
    @Option(help: "The new kind.") var kind: MemoryKind?
    @Option(help: ArgumentHelp("Replace the metadata with this JSON object.", valueName: "json")) var meta: String?
    @Option(help: ArgumentHelp("Merge these members into the metadata (null removes one).", valueName: "json")) var mergeMeta: String?
    @Option(help: "0 to 1.") var importance: Double?
    @Option(help: ArgumentHelp("ISO 8601, or none.", valueName: "time")) var validFrom: String?
    @Option(help: ArgumentHelp("ISO 8601, or none.", valueName: "time")) var validUntil: String?
    @Option(help: ArgumentHelp("When it expires: ISO 8601, or none.", valueName: "time")) var expiresAt: String?
    @Option(help: ArgumentHelp("Expire this long from now: 30m, 2h, 7d…", valueName: "duration")) var ttl: String?
    @Option(help: "Where it came from.") var source: String?
    @Option(help: "The episode it belongs to.") var episode: String?
    @Option(help: ArgumentHelp("The new text's vector, comma-separated (instead of embedding it).", valueName: "numbers")) var vector: String?

    func validate() throws {
        if meta != nil, mergeMeta != nil { throw ValidationError("give --meta or --merge-meta, not both.") }
        if expiresAt != nil, ttl != nil { throw ValidationError("give --expires-at or --ttl, not both.") }
        if vector != nil, text == nil { throw ValidationError("--vector goes with --text (it is the new text's vector).") }
    }

    func run() throws {
        try reportingFailures {
            let id = try MemoryID(self.id)
            var changes = MemoryChanges(
                kind: kind, metadata: try meta.map { try parseObject($0, option: "--meta") }, importance: importance,
                validFrom: try parseOptionalTime(validFrom, option: "--valid-from"),
                validUntil: try parseOptionalTime(validUntil, option: "--valid-until"),
                expiresAt: try parseOptionalTime(expiresAt, option: "--expires-at"),
                source: source.map { .some($0) }, episode: episode.map { .some($0) }, vector: try vector.map(parseVector)
            )
            if let ttl { changes.expiresAt = .some(Date().addingTimeInterval(try parseDuration(ttl, option: "--ttl"))) }
            if let text {
                var value = text
                if value == "-" {
                    value = String(decoding: try readStandardInput(), as: UTF8.self)
                    while value.hasSuffix("\n") || value.hasSuffix("\r") { value.removeLast() }
                }
                changes.text = value
            }
            let merge = try mergeMeta.map { try parseObject($0, option: "--merge-meta") }
            let nothing = changes.text == nil && changes.kind == nil && changes.metadata == nil && merge == nil && changes.importance == nil
                && changes.validFrom == nil && changes.validUntil == nil && changes.expiresAt == nil && changes.source == nil && changes.episode == nil
            if nothing { throw CommandFailure("nothing to change: give --text, --meta, --importance, --valid-until… (see --help).") }
            let store = try options.open(embedding: changes.text != nil && changes.vector == nil)
            if let merge {
                guard let current = try store.get(id) else { throw MemoryError.notFound(id) }
                var metadata = current.metadata
                for (key, value) in merge {
                    if value.isNull { metadata[key] = nil } else { metadata[key] = value }
                }
                changes.metadata = metadata
            }
            let memory = try store.update(id, changes)
            try printOutput(options.json ? memoryJSON(memory) : "\(memory.id) updated (version \(memory.version))")
        }
    }
}
