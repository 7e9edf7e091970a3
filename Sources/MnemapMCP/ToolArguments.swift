import Foundation
import Mnemap

/// The arguments of one tool call (or one object inside them), read by name with their types
/// checked. Names the tool does not take are refused up front, so a misspelt option is an error the
/// model can fix rather than a default it never asked for.
struct ToolArguments {
    let members: [String: JSONValue]
    /// Where the object is, for messages: "create_entities", "entities[2]".
    let place: String

    init(_ members: [String: JSONValue], allowed: [String], place: String) throws(ToolError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            let accepted = allowed.isEmpty ? "it takes no arguments" : "it takes \(allowed.joined(separator: ", "))"
            throw ToolError("\(place) has no argument '\(unknown)'; \(accepted).")
        }
        self.members = members
        self.place = place
    }

    init(_ value: JSONValue, allowed: [String], place: String) throws(ToolError) {
        guard case .object(let members) = value else {
            throw ToolError("\(place) must be an object, not \(value.kindDescription).")
        }
        try self.init(members, allowed: allowed, place: place)
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    /// Whether the argument is present and `null` (a request to clear a value).
    func isNull(_ key: String) -> Bool { members[key]?.isNull ?? false }

    private func wrong(_ key: String, _ expected: String) -> ToolError {
        ToolError("'\(key)' in \(place) must be \(expected), not \(members[key]!.kindDescription).")
    }

    func string(_ key: String) throws(ToolError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw wrong(key, "a string")
        }
    }

    func requiredString(_ key: String) throws(ToolError) -> String {
        guard let text = try string(key) else { throw ToolError("\(place) needs '\(key)' (a string).") }
        return text
    }

    /// A string that must hold more than white space.
    func requiredText(_ key: String) throws(ToolError) -> String {
        let text = try requiredString(key)
        guard !text.allSatisfy(\.isWhitespace) else { throw ToolError("'\(key)' in \(place) is empty.") }
        return text
    }

    func number(_ key: String) throws(ToolError) -> Double? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let value)?: return value
        default: throw wrong(key, "a number")
        }
    }

    /// A whole number in `range`.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(ToolError) -> Int? {
        guard let value = try number(key) else { return nil }
        guard value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw ToolError("'\(key)' in \(place) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(JSONValue.number(value).jsonText).")
        }
        return Int(value)
    }

    func bool(_ key: String) throws(ToolError) -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw wrong(key, "true or false")
        }
    }

    func object(_ key: String) throws(ToolError) -> [String: JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        default: throw wrong(key, "an object")
        }
    }

    func array(_ key: String) throws(ToolError) -> [JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let value)?: return value
        default: throw wrong(key, "an array")
        }
    }

    func requiredArray(_ key: String) throws(ToolError) -> [JSONValue] {
        guard let elements = try array(key) else { throw ToolError("\(place) needs '\(key)' (an array).") }
        return elements
    }

    /// An array of strings.
    func strings(_ key: String) throws(ToolError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var strings: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw ToolError("'\(key)[\(index)]' in \(place) must be a string, not \(element.kindDescription).")
            }
            strings.append(text)
        }
        return strings
    }

    func requiredStrings(_ key: String) throws(ToolError) -> [String] {
        guard let strings = try strings(key) else { throw ToolError("\(place) needs '\(key)' (an array of strings).") }
        return strings
    }

    /// Each element of the array `key` as an object with the `allowed` fields.
    func objects(_ key: String, allowed: [String]) throws(ToolError) -> [ToolArguments] {
        var objects: [ToolArguments] = []
        for (index, element) in try requiredArray(key).enumerated() {
            objects.append(try ToolArguments(element, allowed: allowed, place: "\(key)[\(index)]"))
        }
        return objects
    }

    /// One of `choices`.
    func choice(_ key: String, _ choices: [String]) throws(ToolError) -> String? {
        guard let name = try string(key) else { return nil }
        guard choices.contains(name) else {
            throw ToolError("'\(key)' in \(place) is '\(name)'; it takes \(choices.joined(separator: ", ")).")
        }
        return name
    }

    func kind(_ key: String) throws(ToolError) -> MemoryKind? {
        try choice(key, MemoryKind.allCases.map(\.rawValue)).flatMap(MemoryKind.init(rawValue:))
    }

    /// An ISO-8601 time with a zone, a date, or Unix seconds (as filters take them).
    func date(_ key: String) throws(ToolError) -> Date? {
        guard let value = members[key], !value.isNull else { return nil }
        do {
            return try MemoryFilter(json: ["createdAfter": value]).createdAfter
        } catch {
            throw ToolError("'\(key)' in \(place) must be an ISO-8601 time with a zone such as 2025-05-01T12:00:00Z, a date such as 2025-05-01, or Unix seconds.")
        }
    }

    /// A time that `null` clears: nil when absent, `.some(nil)` for null.
    func clearableDate(_ key: String) throws(ToolError) -> Date?? {
        guard has(key) else { return nil }
        if isNull(key) { return .some(nil) }
        return .some(try date(key))
    }

    /// A string that `null` clears.
    func clearableString(_ key: String) throws(ToolError) -> String?? {
        guard has(key) else { return nil }
        if isNull(key) { return .some(nil) }
        return .some(try string(key))
    }

    /// A filter in the shape of `MemoryFilter(json:)`.
    func filter(_ key: String) throws(ToolError) -> MemoryFilter {
        guard let value = members[key], !value.isNull else { return MemoryFilter() }
        do { return try MemoryFilter(json: value) } catch {
            throw ToolError("'\(key)' in \(place): \(ToolError.message(for: error)).")
        }
    }

    /// A memory id.
    func id(_ key: String) throws(ToolError) -> MemoryID {
        let text = try requiredString(key)
        do { return try MemoryID(text) } catch {
            throw ToolError("'\(key)' in \(place): \(ToolError.message(for: error)). Ids come from add_memory, search_memory and list_memories.")
        }
    }
}
