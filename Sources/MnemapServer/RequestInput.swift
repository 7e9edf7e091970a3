import Foundation
import Hummingbird
import Mnemap

// Reading what a client sends: bodies within the size limit, JSON objects whose every field is
// known, query parameters whose every name is known. Each mistake is a 400 naming the field.

extension Request {
    /// The body, at most `limit` bytes.
    /// - Throws: 413 `body_too_large` when the body (or its declared length) is larger.
    func bytes(limit: Int) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.bodyTooLarge(limit)
        }
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit)
        }
    }

    /// The body parsed as JSON (at most `limit` bytes).
    /// - Throws: 400 `missing_body` or `invalid_json`, 413 `body_too_large`.
    func json(limit: Int) async throws -> JSONValue {
        let bytes = try await bytes(limit: limit)
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw APIError.badRequest("missing_body", "\(method) \(uri.path) needs a JSON body; see GET /openapi.json for its fields.")
        }
        do {
            return try JSONValue(parsing: bytes)
        } catch MemoryError.invalidJSON(let problem) {
            throw APIError.badRequest("invalid_json", "the body is not valid JSON: \(problem)")
        }
    }
}

extension APIError {
    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(
            .contentTooLarge, "body_too_large",
            "the request body is larger than \(limit) bytes; split it (batches of fewer memories) or raise the server's --max-body."
        )
    }
}

/// The members of a JSON object, read by name, with types checked. Names outside the allowed list
/// are refused when the object is made, so that a misspelt field is an error, not a silent default.
struct JSONFields {
    let members: [String: JSONValue]
    /// Where the object is, for messages: "the body", "memories[3]".
    let place: String

    init(_ value: JSONValue, allowed: [String], place: String = "the body") throws(APIError) {
        guard case .object(let members) = value else {
            throw APIError.badRequest("invalid_body", "\(place) must be a JSON object, not \(value.kindName).")
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("unknown_field", "unknown field '\(unknown)' in \(place); the fields are \(allowed.joined(separator: ", ")).")
        }
        self.members = members
        self.place = place
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    /// Whether the member is present and `null` (a request to clear a value).
    func isNull(_ key: String) -> Bool { members[key]?.isNull ?? false }

    private func wrong(_ key: String, _ expected: String) -> APIError {
        .invalidField("'\(key)' in \(place) must be \(expected), not \(members[key]!.kindName).")
    }

    func string(_ key: String) throws(APIError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw wrong(key, "a string")
        }
    }

    func requiredString(_ key: String) throws(APIError) -> String {
        guard let text = try string(key) else { throw APIError.invalidField("\(place) needs '\(key)' (a string).") }
        return text
    }

    func number(_ key: String) throws(APIError) -> Double? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let value)?: return value
        default: throw wrong(key, "a number")
        }
    }

    func integer(_ key: String) throws(APIError) -> Int? {
        guard let value = try number(key) else { return nil }
        guard value == value.rounded(), abs(value) < 1e15 else { throw APIError.invalidField("'\(key)' in \(place) must be a whole number, not \(value).") }
        return Int(value)
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw wrong(key, "true or false")
        }
    }

    func object(_ key: String) throws(APIError) -> [String: JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        default: throw wrong(key, "a JSON object")
        }
    }

    func array(_ key: String) throws(APIError) -> [JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let value)?: return value
        default: throw wrong(key, "an array")
        }
    }

    /// An ISO-8601 time (or Unix seconds), as filters take them.
    func date(_ key: String) throws(APIError) -> Date? {
        guard let value = members[key], !value.isNull else { return nil }
        do {
            return try MemoryFilter(json: ["createdAfter": value]).createdAfter
        } catch {
            throw APIError.invalidField("'\(key)' in \(place) must be an ISO-8601 time such as 2025-05-01T12:00:00Z, or Unix seconds.")
        }
    }

    /// A time that `null` clears: nil when absent, `.some(nil)` for null.
    func clearableDate(_ key: String) throws(APIError) -> Date?? {
        guard has(key) else { return nil }
        if isNull(key) { return .some(nil) }
        return .some(try date(key))
    }

    /// A string that `null` clears.
    func clearableString(_ key: String) throws(APIError) -> String?? {
        guard has(key) else { return nil }
        if isNull(key) { return .some(nil) }
        return .some(try string(key))
    }

    func vector(_ key: String) throws(APIError) -> [Float]? {
        guard let elements = try array(key) else { return nil }
        var vector: [Float] = []
        vector.reserveCapacity(elements.count)
        for element in elements {
            guard case .number(let value) = element, value.isFinite else { throw APIError.invalidField("'\(key)' in \(place) must be an array of numbers.") }
            vector.append(Float(value))
        }
        guard !vector.isEmpty else { throw APIError.invalidField("'\(key)' in \(place) is empty.") }
        return vector
    }

    func kind(_ key: String) throws(APIError) -> MemoryKind? {
        guard let name = try string(key) else { return nil }
        guard let kind = MemoryKind(rawValue: name) else {
            throw APIError.invalidField("'\(key)' in \(place) is '\(name)'; the kinds are \(MemoryKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return kind
    }

    /// One of `choices`.
    func choice(_ key: String, _ choices: [String]) throws(APIError) -> String? {
        guard let name = try string(key) else { return nil }
        guard choices.contains(name) else { throw APIError.invalidField("'\(key)' in \(place) is '\(name)'; it takes \(choices.joined(separator: ", ")).") }
        return name
    }

    /// A filter in the shape of ``MemoryFilter/init(json:)``.
    func filter(_ key: String) throws(APIError) -> MemoryFilter {
        guard let value = members[key], !value.isNull else { return MemoryFilter() }
        do { return try MemoryFilter(json: value) } catch let error as MemoryError {
            throw APIError.badRequest("invalid_filter", "'\(key)' in \(place): \(error)")
        } catch {
            throw APIError.badRequest("invalid_filter", "'\(key)' in \(place): \(error)")
        }
    }
}

/// The query parameters of a request, read by name; names outside the allowed list are refused.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: [String]) throws(APIError) {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                let accepted = allowed.isEmpty ? "it takes none" : "it takes \(allowed.joined(separator: ", "))"
                throw APIError.badRequest("unknown_parameter", "unknown query parameter '\(name)' for \(request.uri.path); \(accepted).")
            }
            guard values[name] == nil else { throw APIError.badRequest("invalid_parameter", "the query parameter '\(name)' is given twice.") }
            values[name] = String(value)
        }
        self.values = values
    }

    func string(_ name: String) -> String? { values[name] }

    /// A `next` cursor of an earlier page; empty is the first page.
    func cursor(_ name: String = "after") -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let value = values[name], !value.isEmpty else { throw APIError.badRequest("missing_parameter", "the query parameter '\(name)' is required.") }
        return value
    }

    func integer(_ name: String) throws(APIError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw APIError.badRequest("invalid_parameter", "the query parameter '\(name)' is '\(text)', not a whole number.") }
        return value
    }

    /// A boolean parameter: `true` or `false` (`1` and `0` too), as the OpenAPI document types it;
    /// absent is false. Anything else, an empty value included, is refused rather than guessed.
    func bool(_ name: String) throws(APIError) -> Bool {
        guard let text = values[name] else { return false }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badRequest("invalid_parameter", "the query parameter '\(name)' is '\(text)'; write true or false.")
        }
    }
}

/// Checks a page or result size against the server's limit.
func checkLimit(_ limit: Int, maximum: Int, name: String = "limit") throws(APIError) {
    guard (1...maximum).contains(limit) else {
        throw APIError.badRequest("limit_out_of_range", "\(name) \(limit) is outside 1 to \(maximum); ask for fewer and follow the 'next' cursor for more.")
    }
}
