import ArgumentParser
import Embeddings
import Foundation
import Mnemap

/// What every agent-memory command shares: which store, and whether to print JSON.
struct MemoryOptions: ParsableArguments {
    static let storeVariable = "MNEMAP_STORE"
    static let defaultStore = "./mnemap-store"

    @Option(name: .customLong("store"), help: ArgumentHelp("The store folder (default: $MNEMAP_STORE, else ./mnemap-store).", valueName: "path"), completion: .directory)
    var storeOption: String?

    @Flag(help: "Print JSON instead of text.") var json = false

    var path: String {
        storeOption ?? ProcessInfo.processInfo.environment[Self.storeVariable].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultStore
    }

    /// Opens the existing store (never creates one). With `embedding`, with the embedder its
    /// manifest names, so that texts can be embedded; without, no model is loaded.
    func open(embedding: Bool) throws -> MemoryStore {
        let manifest = try MemoryStore.manifest(at: path)
        let embedder = embedding ? try Self.embedder(named: manifest.embedder) : nil
        return try MemoryStore(path: path, embedder: embedder, options: MemoryStore.Options(create: false))
    }

    /// The embedder a store's manifest names: all-MiniLM-L6-v2, hashing-N, or nil for vectors
    /// made elsewhere (then commands need `--vector`, or text search).
    static func embedder(named name: String) throws -> (any Embedder)? {
        if name == EmbedderChoice.miniLMName {
            guard ModelStore.isInstalled(at: ModelStore.miniLMDirectory()) else {
                throw CommandFailure("this store embeds with all-MiniLM-L6-v2, which is not installed in \(ModelStore.miniLMDirectory()); install it with `mnemap model install` (or set \(ModelStore.modelDirectoryVariable)). Commands that do not embed text (get, timeline, export, stats…) work without it.")
            }
            return try miniLM()
        }
        if name.hasPrefix("hashing-"), let dimension = Int(name.dropFirst("hashing-".count)), dimension > 0 {
            return HashingEmbedder(dimension: dimension)
        }
        return nil
    }

    /// all-MiniLM-L6-v2 from the model cache, or a failure saying how to install it.
    static func miniLM() throws -> MiniLMEmbedder {
        let folder = ModelStore.miniLMDirectory()
        guard ModelStore.isInstalled(at: folder) else {
            throw CommandFailure("all-MiniLM-L6-v2 is not installed in \(folder); install it with `mnemap model install` (or set \(ModelStore.modelDirectoryVariable)).")
        }
        return try MiniLMEmbedder(folder: folder)
    }
}

/// The embedders `mnemap init` can make a store for.
enum EmbedderChoice: String, ExpressibleByArgument, CaseIterable {
    case minilm, hashing, external

    static let miniLMName = "all-MiniLM-L6-v2"
}

/// Element type names of agent-memory stores, as the manifest writes them.
enum VectorElementType: String, ExpressibleByArgument, CaseIterable {
    case float32, float16, int8
}

extension MemoryKind: ExpressibleByArgument {}

extension SearchMode: ExpressibleByArgument {}

/// `--where` (text syntax) or `--where-json`: a condition on metadata.
struct WhereOptions: ParsableArguments {
    @Option(name: .customLong("where"), help: ArgumentHelp("A metadata condition such as 'topic = \"tea\" and priority >= 2'.", valueName: "expr"))
    var text: String?

    @Option(name: .customLong("where-json"), help: ArgumentHelp("A metadata condition as JSON, such as '{\"topic\": \"tea\", \"priority\": {\"$gte\": 2}}'.", valueName: "json"))
    var json: String?

    /// The expression, or nil when neither option is given.
    /// - Throws: `MemoryError.invalidFilter` or `.invalidJSON` saying what is wrong.
    func expression() throws -> MetadataExpression? {
        if text != nil, json != nil { throw CommandFailure("give --where or --where-json, not both.") }
        if let text { return try MetadataExpression(parsing: text) }
        if let json { return try MetadataExpression(json: try JSONValue(parsing: json)) }
        return nil
    }
}

// MARK: - Values on the command line

/// Parses a duration such as `90s`, `30m`, `2h`, `7d`, `2w` (or a plain number of seconds).
func parseDuration(_ text: String, option: String) throws(CommandFailure) -> TimeInterval {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    var number = Substring(trimmed)
    var unit = 1.0
    if let last = trimmed.last, let factor = units[last] {
        number = number.dropLast()
        unit = factor
    }
    guard let value = Double(number), value.isFinite, value > 0 else {
        throw CommandFailure("\(option) '\(text)' is not a duration; write a positive number with a unit: 90s, 30m, 2h, 7d or 2w.")
    }
    return value * unit
}

/// Parses a time: ISO 8601 with or without fractional seconds and zone (UTC assumed), a date
/// (midnight UTC), `now`, or Unix seconds.
func parseDate(_ text: String, option: String) throws(CommandFailure) -> Date {
    if text == "now" { return Date() }
    if let seconds = Double(text), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
    let styles: [Date.ISO8601FormatStyle] = [
        Date.ISO8601FormatStyle(includingFractionalSeconds: true),
        .iso8601,
        Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon),
        Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon),
    ]
    for style in styles {
        if let date = try? Date(text, strategy: style) { return date }
    }
    // The date-only style also reads the front of a longer text: keep it to dates alone.
    if text.utf8.count == 10, let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash)) {
        return date
    }
    throw CommandFailure("\(option) '\(text)' is not a time; write ISO 8601 such as 2025-05-01T12:00:00Z, a date such as 2025-05-01, now, or Unix seconds.")
}

/// A time option that may be cleared: `none` gives `.some(nil)`.
func parseOptionalTime(_ text: String?, option: String) throws(CommandFailure) -> Date?? {
    guard let text else { return nil }
    if text == "none" { return .some(nil) }
    return .some(try parseDate(text, option: option))
}

/// Parses a JSON object given to `option`.
/// - Throws: `MemoryError.invalidJSON` (with the option named) for bad JSON, a failure for another value.
func parseObject(_ text: String, option: String) throws -> [String: JSONValue] {
    let value: JSONValue
    do { value = try JSONValue(parsing: text) } catch let error as MemoryError {
        throw CommandFailure("\(option): \(error)")
    }
    guard let object = value.objectValue else {
        throw CommandFailure("\(option) must be a JSON object such as '{\"topic\": \"tea\"}', not \(text.prefix(40)).")
    }
    return object
}

/// Parses a vector given as comma-separated numbers (or a JSON array).
func parseVector(_ text: String) throws(CommandFailure) -> [Float] {
    var body = text.trimmingCharacters(in: .whitespaces)
    if body.hasPrefix("["), body.hasSuffix("]") { body = String(body.dropFirst().dropLast()) }
    var vector: [Float] = []
    for part in body.split(separator: ",") {
        guard let number = Float(part.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw CommandFailure("--vector: '\(part.prefix(20))' is not a number; give comma-separated numbers such as 0.1,-0.2,0.3.")
        }
        vector.append(number)
    }
    guard !vector.isEmpty else { throw CommandFailure("--vector is empty; give comma-separated numbers such as 0.1,-0.2,0.3.") }
    return vector
}

/// A namespace prefix as the library's scans take it: without trailing slashes, and nil (every
/// namespace) for `/` or an empty text.
func namespacePrefix(_ text: String) -> String? {
    var prefix = Substring(text)
    while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
    return prefix.isEmpty ? nil : String(prefix)
}

/// Parses memory ids, saying which one is wrong.
func parseIDs(_ texts: [String]) throws -> [MemoryID] {
    try texts.map { try MemoryID($0) }
}
