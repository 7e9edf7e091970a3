import Foundation

/// A condition on a memory's metadata: comparisons of fields with JSON values, combined with
/// `and`, `or` and `not`.
///
/// Build one in code, parse the JSON form (``init(json:)``, the MongoDB / Chroma `where` style) or
/// parse the compact text form of the command line (``init(parsing:)``, see `FilterSyntax.swift`).
///
/// ## Fields
/// A field is a dotted path into nested objects: `user.address.city` is the member `city` of the
/// member `address` of the member `user`. There is no array indexing; a key that itself contains a
/// dot cannot be addressed. A field is *missing* when any step of the path is absent or is not an
/// object.
///
/// ## Operators
/// - `eq`: the field equals the value exactly, as JSON: numbers compare numerically (`2 == 2.0`),
///   strings by Unicode canonical equivalence, arrays element by element in order, objects member by
///   member; `true` is not `1`. When the field is an array, `eq` compares the *whole* array with the
///   value, not each element (`tags eq "x"` is false for `["x"]`; use `contains`). A missing field
///   equals nothing, not even `null` (use `exists` to test for absence).
/// - `ne`: the negation of `eq`; it also matches when the field is missing (as in MongoDB and Chroma).
/// - `gt`, `gte`, `lt`, `lte`: order a number with a number, or a string with a string (Swift
///   `String` order, which is code-point order for ASCII, so ISO-8601 dates in one format and time
///   zone order in time). Any other pairing — a missing field, an array, a number with a string — is
///   false.
/// - `in`: the value is an array, and the field equals (as `eq`) one of its elements. Like `eq`, an
///   array field is compared whole. `in []` matches nothing.
/// - `nin`: the value is an array, and the field equals none of its elements, or is missing.
/// - `contains`: a string field contains the value as a substring (case-sensitive; every string
///   contains `""`), or an array field has an element equal (as `eq`) to the value. Other fields are
///   false.
/// - `exists`: the value is `true` or `false`; `true` matches when the field is present — a field
///   set to `null` is present, as in MongoDB (write `f != null` as well to exclude nulls) — and
///   `false` when it is missing.
///
/// ## Combinations
/// `.and([])` is true and `.or([])` is false (the identities), so an empty list of conditions
/// matches everything and an empty list of alternatives nothing.
///
/// A comparison built in code whose value does not fit its operator (see ``validate()``) matches
/// no memory, whatever the field; the parsers reject such comparisons.
public indirect enum MetadataExpression: Sendable, Hashable {
    /// Every expression matches (true for an empty list).
    case and([MetadataExpression])
    /// At least one expression matches (false for an empty list).
    case or([MetadataExpression])
    /// The expression does not match.
    case not(MetadataExpression)
    /// The field at `path` compared with `value` by `op`.
    case compare(path: String, op: Operator, value: JSONValue)

    /// How a field is compared with a value. The raw value is the JSON operator name without `$`.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case eq, ne, gt, gte, lt, lte, `in`, nin, contains, exists
    }

    /// Whether `metadata` satisfies the expression. Cost: one lookup per comparison, linear in
    /// the path's length, plus the size of the values compared.
    public func matches(_ metadata: [String: JSONValue]) -> Bool {
        switch self {
        case .and(let expressions): expressions.allSatisfy { $0.matches(metadata) }
        case .or(let expressions): expressions.contains { $0.matches(metadata) }
        case .not(let expression): !expression.matches(metadata)
        case .compare(let path, let op, let value):
            Self.evaluate(op, field: Self.field(at: path, in: metadata), value: value)
        }
    }

    /// Checks what the parsers check: every path is non-empty, has no empty segment and does not
    /// start with `$`; `in`/`nin` take an array, `exists` takes a bool, and `gt`/`gte`/`lt`/`lte`
    /// take a number or a string.
    /// - Throws: ``MemoryError/invalidFilter(_:)`` naming the first bad field and operator.
    public func validate() throws {
        switch self {
        case .and(let expressions), .or(let expressions): try expressions.forEach { try $0.validate() }
        case .not(let expression): try expression.validate()
        case .compare(let path, let op, let value): try Self.check(path: path, op: op, value: value, spelling: "$" + op.rawValue)
        }
    }

    // MARK: Evaluation

    static func field(at path: String, in metadata: [String: JSONValue]) -> JSONValue? {
        if !path.utf8.contains(UInt8(ascii: ".")) { return metadata[path] }
        return JSONValue.object(metadata).value(atPath: path)
    }

    static func evaluate(_ op: Operator, field: JSONValue?, value: JSONValue) -> Bool {
        switch op {
        case .eq:
            return field == value
        case .ne:
            return field != value
        case .in, .nin:
            guard case .array(let options) = value else { return false }
            let found = field.map { options.contains($0) } ?? false
            return op == .in ? found : !found
        case .gt, .gte, .lt, .lte:
            guard let field, let order = order(field, value) else { return false }
            switch op {
            case .gt: return order > 0
            case .gte: return order >= 0
            case .lt: return order < 0
            default: return order <= 0
            }
        case .contains:
            switch (field, value) {
            case (.string(let text)?, .string(let part)): return part.isEmpty || text.contains(part)
            case (.array(let elements)?, _): return elements.contains(value)
            default: return false
            }
        case .exists:
            guard case .bool(let wanted) = value else { return false }
            return (field != nil) == wanted
        }
    }

    /// -1, 0 or 1 for a number with a number or a string with a string; nil for any other pairing.
    private static func order(_ left: JSONValue, _ right: JSONValue) -> Int? {
        switch (left, right) {
        case (.number(let a), .number(let b)): a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)): a < b ? -1 : (a == b ? 0 : 1)
        default: nil
        }
    }

    // MARK: Checks shared by the parsers

    /// `spelling` is the operator as the user wrote it (`$gte`, `gte`, `>=`), for the message.
    static func check(path: String, op: Operator, value: JSONValue, spelling: String) throws {
        try checkPath(path)
        switch op {
        case .in, .nin:
            guard case .array = value else {
                throw MemoryError.invalidFilter("'\(spelling)' on field '\(path)' takes an array of values such as [\"en\", \"fr\"], not \(value.kindName)")
            }
        case .exists:
            guard case .bool = value else {
                throw MemoryError.invalidFilter("'\(spelling)' on field '\(path)' takes true or false, not \(value.kindName)")
            }
        case .gt, .gte, .lt, .lte:
            switch value {
            case .number, .string: break
            default:
                throw MemoryError.invalidFilter("'\(spelling)' on field '\(path)' compares with a number or a string (ISO-8601 dates compare as strings), not \(value.kindName)")
            }
        case .eq, .ne, .contains: break
        }
    }

    static func checkPath(_ path: String) throws {
        if path.isEmpty {
            throw MemoryError.invalidFilter("a field path is empty; a path is keys joined by dots, such as 'user.city'")
        }
        if path.hasPrefix("$") {
            throw MemoryError.invalidFilter("'\(path)' is not a field: field paths do not start with '$' (operators do: $and, $or, $not at the top, $eq, $gt… inside a field)")
        }
        if path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw MemoryError.invalidFilter("field path '\(path)' has an empty segment; a path is keys joined by single dots, such as 'user.city'")
        }
    }
}

// MARK: - JSON form

extension MetadataExpression: CustomStringConvertible {
    /// Parses the JSON form, as in MongoDB and Chroma `where` filters.
    ///
    /// - `{"topic": "tea"}`: the field equals the value (any value but an object).
    /// - `{"priority": {"$gte": 2}}`: an operator object; the `$` is optional (`{"gte": 2}`). Several
    ///   operators in one object must all match; `{"$not": {…}}` inside a field negates an operator
    ///   object. An object value is always read as operators: to compare with an object, write
    ///   `{"$eq": {…}}`.
    /// - Several keys in one object must all match.
    /// - `{"$and": [{…}, …]}`, `{"$or": [{…}, …]}`, `{"$not": {…}}` combine filter objects; at the top
    ///   of an object the `$` is required (a key `and` is a field named "and").
    /// - `{}` matches everything.
    ///
    /// Keys are read in sorted order, so the same JSON always gives the same expression.
    /// - Throws: ``MemoryError/invalidFilter(_:)`` naming the bad key, field or operator and what is
    ///   allowed there.
    public init(json: JSONValue) throws {
        guard case .object(let members) = json else {
            throw MemoryError.invalidFilter("a metadata filter is a JSON object such as {\"topic\": \"tea\"}, not \(json.kindName)")
        }
        var conditions: [MetadataExpression] = []
        for key in members.keys.sorted() {
            let value = members[key]!
            switch key {
            case "$and", "$or":
                guard case .array(let items) = value else {
                    throw MemoryError.invalidFilter("'\(key)' takes an array of filter objects such as [{\"a\": 1}, {\"b\": 2}], not \(value.kindName)")
                }
                let expressions = try items.enumerated().map { index, item in
                    guard case .object = item else {
                        throw MemoryError.invalidFilter("'\(key)' item \(index + 1) is \(item.kindName); each item is a filter object such as {\"topic\": \"tea\"}")
                    }
                    return try MetadataExpression(json: item)
                }
                conditions.append(key == "$and" ? .and(expressions) : .or(expressions))
            case "$not":
                guard case .object = value else {
                    throw MemoryError.invalidFilter("'$not' takes a filter object such as {\"topic\": \"tea\"}, not \(value.kindName)")
                }
                conditions.append(.not(try MetadataExpression(json: value)))
            case _ where key.hasPrefix("$"):
                if Operator(rawValue: String(key.dropFirst())) != nil {
                    throw MemoryError.invalidFilter("'\(key)' needs a field: write it inside one, as in {\"priority\": {\"\(key)\": 2}}")
                }
                throw MemoryError.invalidFilter("unknown operator '\(key)'; at the top of a filter object the operators are $and, $or and $not, and other keys are field paths")
            default:
                conditions += try Self.fieldConditions(path: key, value: value)
            }
        }
        self = conditions.count == 1 ? conditions[0] : .and(conditions)
    }

    /// The conditions of one `"path": value` member: one for a plain value, one per operator.
    private static func fieldConditions(path: String, value: JSONValue) throws -> [MetadataExpression] {
        try checkPath(path)
        guard case .object(let operators) = value else { return [.compare(path: path, op: .eq, value: value)] }
        if operators.isEmpty {
            throw MemoryError.invalidFilter("field '\(path)' has an empty operator object; write a value, or an operator such as {\"$eq\": …}")
        }
        return try operators.keys.sorted().map { key in
            let operand = operators[key]!
            let name = key.hasPrefix("$") ? String(key.dropFirst()) : key
            if name == "not" {
                guard case .object = operand else {
                    throw MemoryError.invalidFilter("'\(key)' on field '\(path)' takes an operator object such as {\"$gt\": 2}, not \(operand.kindName)")
                }
                let negated = try fieldConditions(path: path, value: operand)
                return .not(negated.count == 1 ? negated[0] : .and(negated))
            }
            guard let op = Operator(rawValue: name) else {
                throw MemoryError.invalidFilter(
                    "unknown operator '\(key)' on field '\(path)'; allowed: \(Operator.allCases.map { "$" + $0.rawValue }.joined(separator: ", ")), $not (the '$' is optional). To compare with an object, write {\"$eq\": {…}}"
                )
            }
            try check(path: path, op: op, value: operand, spelling: key)
            return .compare(path: path, op: op, value: operand)
        }
    }

    /// The JSON form, which ``init(json:)`` reads back as an equal expression: a comparison is
    /// `{"path": value}` for `eq` with a value that is not an object and `{"path": {"$op": value}}`
    /// otherwise; combinations are `{"$and": […]}`, `{"$or": […]}`, `{"$not": {…}}`.
    public var jsonValue: JSONValue {
        switch self {
        case .and(let expressions): .object(["$and": .array(expressions.map(\.jsonValue))])
        case .or(let expressions): .object(["$or": .array(expressions.map(\.jsonValue))])
        case .not(let expression): .object(["$not": expression.jsonValue])
        case .compare(let path, .eq, let value) where value.objectValue == nil: .object([path: value])
        case .compare(let path, let op, let value): .object([path: .object(["$" + op.rawValue: value])])
        }
    }

    /// The JSON form as compact text with sorted keys.
    public var description: String { jsonValue.jsonText }
}
