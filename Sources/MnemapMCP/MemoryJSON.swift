import Foundation
import Mnemap

/// Memories and search hits as tools return them: the fields of `mnemap export`, without vectors.
enum MemoryJSON {
    static func memory(_ memory: Memory) -> JSONValue {
        // The export line is the one definition of a memory's JSON; it always parses.
        (try? JSONValue(parsing: MemoryStore.jsonLine(memory))) ?? .object(["id": .string(memory.id.description), "text": .string(memory.text)])
    }

    static func hit(_ hit: SearchHit, rank: Int) -> JSONValue {
        var members: [String: JSONValue] = ["rank": .number(Double(rank)), "score": .number(hit.score), "memory": memory(hit.memory)]
        if let score = hit.vectorScore { members["vectorScore"] = .number(Double(score)) }
        if let score = hit.textScore { members["textScore"] = .number(score) }
        return .object(members)
    }

    static func outcome(_ outcome: AddResult.Outcome) -> (name: String, similarity: Float?) {
        switch outcome {
        case .added: ("added", nil)
        case .exactDuplicate: ("exact-duplicate", nil)
        case .nearDuplicateSkipped(let similarity): ("near-duplicate-skipped", similarity)
        case .nearDuplicateUpdated(let similarity): ("near-duplicate-updated", similarity)
        case .alreadyPresent: ("already-present", nil)
        }
    }

    /// An ISO-8601 time with milliseconds, as exports write them.
    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
