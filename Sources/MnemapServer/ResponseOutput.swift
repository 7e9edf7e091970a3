import Foundation
import Hummingbird
import Mnemap

// What the server answers: JSON objects whose memories have the field names of
// `MemoryStore.jsonLine` (the export format), so that a memory reads the same everywhere.

/// JSON text built from members whose values are already JSON text (memories from `jsonLine`).
struct JSONText {
    private var members: [(String, String)] = []

    init() {}

    mutating func add(_ key: String, raw: String) { members.append((key, raw)) }
    mutating func add(_ key: String, _ value: JSONValue) { members.append((key, value.jsonText)) }
    mutating func add(_ key: String, _ text: String?) { members.append((key, text.map { JSONValue.string($0).jsonText } ?? "null")) }
    mutating func add(_ key: String, _ number: Int) { members.append((key, String(number))) }

    var text: String {
        "{" + members.map { JSONValue.string($0.0).jsonText + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}

/// A memory in the export format (without its vector).
func memoryJSON(_ memory: Memory) -> String { MemoryStore.jsonLine(memory) }

/// A JSON response.
func jsonResponse(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
}

func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    jsonResponse(value.jsonText, status: status)
}

/// A page of a listing: `{"<name>": [...], "next": cursor or null}`.
func pageResponse(_ name: String, items: [String], next: String?) -> Response {
    var body = JSONText()
    body.add(name, raw: JSONText.array(items))
    body.add("next", next)
    return jsonResponse(body.text)
}

/// What `add` did, named as `mnemap add --json` names it.
func outcomeJSON(_ result: AddResult) -> JSONText {
    var body = JSONText()
    body.add("id", result.memory.id.description)
    switch result.outcome {
    case .added: body.add("outcome", "added")
    case .exactDuplicate: body.add("outcome", "exact-duplicate")
    case .nearDuplicateSkipped(let similarity):
        body.add("outcome", "near-duplicate-skipped")
        body.add("similarity", .number(Double(similarity)))
    case .nearDuplicateUpdated(let similarity):
        body.add("outcome", "near-duplicate-updated")
        body.add("similarity", .number(Double(similarity)))
    case .alreadyPresent: body.add("outcome", "already-present")
    }
    return body
}

/// One search hit: its rank, scores and why it matched, and the memory.
func hitJSON(_ hit: SearchHit, rank: Int) -> String {
    var body = JSONText()
    body.add("rank", rank)
    body.add("score", .number(hit.score))
    if let score = hit.vectorScore { body.add("vectorScore", .number(Double(score))) }
    if let rank = hit.vectorRank { body.add("vectorRank", rank) }
    if let score = hit.textScore { body.add("textScore", .number(score)) }
    if let rank = hit.textRank { body.add("textRank", rank) }
    body.add("memory", raw: memoryJSON(hit.memory))
    return body.text
}
