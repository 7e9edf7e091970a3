import ArgumentParser
import Foundation
import Mnemap

/// `mnemap add`: one memory.
struct MemoryAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a memory.",
        discussion: """
            Prints the memory's id and what happened: added, exact-duplicate (the namespace already \
            holds this text; its id is printed), near-duplicate-skipped or near-duplicate-updated \
            with the similarity (with --dedupe). Durable when the command returns.
            """
    )

    enum Dedupe: String, ExpressibleByArgument, CaseIterable { case add, skip, update }

    @OptionGroup var options: MemoryOptions
    @Argument(help: "The text (- reads it from standard input).") var text: String
    @Option(help: "The namespace, a path such as user/alice/session/1.") var namespace: String
    @Option(help: "episodic (default), semantic or procedural.") var kind: MemoryKind = .episodic
    @Option(help: ArgumentHelp("Metadata: a JSON object.", valueName: "json")) var meta: String?
    @Option(help: "0 to 1 (default 0.5).") var importance: Double = 0.5
    @Option(help: ArgumentHelp("Expire after this long: 30m, 2h, 7d…", valueName: "duration")) var ttl: String?
    @Option(help: ArgumentHelp("When the memory starts to hold (ISO 8601).", valueName: "time")) var validFrom: String?
    @Option(help: ArgumentHelp("When it stops holding (ISO 8601).", valueName: "time")) var validUntil: String?
    @Option(help: "Where it came from (free text).") var source: String?
    @Option(help: "The episode (conversation, task run) it belongs to.") var episode: String?
    @Option(help: "Near-duplicates (by vector, same namespace): add anyway, skip, or update the existing memory. Exact duplicates are always skipped.")
    var dedupe: Dedupe = .add
    @Option(help: "The cosine similarity from which --dedupe counts a memory as a near-duplicate.") var threshold: Float = 0.95
    @Option(help: ArgumentHelp("The memory's vector, comma-separated (instead of embedding the text).", valueName: "numbers")) var vector: String?
    @Option(help: ArgumentHelp("This memory replaces the fact of this id: that one gets valid-until now.", valueName: "id")) var supersedes: String?

    func validate() throws {
        if !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1.") }
        if supersedes != nil, dedupe != .add { throw ValidationError("--supersedes and --dedupe do not go together.") }
    }

    func run() throws {
        try reportingFailures {
            var text = self.text
            if text == "-" {
                text = String(decoding: try readStandardInput(), as: UTF8.self)
                while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            }
            var memory = NewMemory(
                text: text, namespace: namespace, kind: kind, metadata: try meta.map { try parseObject($0, option: "--meta") } ?? [:],
                importance: importance, validFrom: try validFrom.map { try parseDate($0, option: "--valid-from") },
                validUntil: try validUntil.map { try parseDate($0, option: "--valid-until") }, source: source, episode: episode,
                vector: try vector.map(parseVector)
            )
            if let ttl { memory.timeToLive(try parseDuration(ttl, option: "--ttl")) }
            let previous = try supersedes.map { try MemoryID($0) }
            let store = try options.open(embedding: memory.vector == nil)
            if let previous {
                let added = try store.supersede(previous, with: memory)
                try report(added.id, ("added", nil))
                return
            }
            let policy: AddOptions.NearDuplicates = switch dedupe {
            case .add: .add
            case .skip: .skip
            case .update: .update
            }
            let result = try store.add(memory, options: AddOptions(nearDuplicates: policy, nearDuplicateThreshold: threshold))
            try report(result.memory.id, describe(result.outcome))
        }
    }

    private func report(_ id: MemoryID, _ outcome: (name: String, similarity: Float?)) throws(CommandFailure) {
        let (name, similarity) = outcome
        if options.json {
            var object: [String: JSONValue] = ["id": .string(id.description), "outcome": .string(name)]
            if let similarity { object["similarity"] = .number(Double(similarity)) }
            try printOutput(JSONValue.object(object).jsonText)
        } else {
            try printOutput("\(id) \(name)" + (similarity.map { String(format: " %.4f", $0) } ?? ""))
        }
    }

    private func describe(_ outcome: AddResult.Outcome) -> (String, Float?) {
        switch outcome {
        case .added: ("added", nil)
        case .exactDuplicate: ("exact-duplicate", nil)
        case .nearDuplicateSkipped(let similarity): ("near-duplicate-skipped", similarity)
        case .nearDuplicateUpdated(let similarity): ("near-duplicate-updated", similarity)
        case .alreadyPresent: ("already-present", nil)
        }
    }
}
