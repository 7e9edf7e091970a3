import Foundation

// The compact text form of a metadata filter, for the command line:
//
//     topic = "tea" and priority >= 2 and not (tags contains "x" or lang in ["en", "fr"]) and exists(source)
//
// Grammar (keywords are case-insensitive; whitespace is free between tokens):
//
//     expression := and-list (("or" | "||") and-list)*
//     and-list   := negation (("and" | "&&") negation)*
//     negation   := ("not" | "!") negation | primary
//     primary    := "(" expression ")"
//                 | "true" | "false"                              -- .and([]), .or([])
//                 | ("not" | "!") "exists" "(" path ")"          -- the field is missing
//                 | "exists" "(" path ")"
//                 | path ("not")? "exists"
//                 | path operator value
//     operator   := "=" | "==" | "!=" | ">" | ">=" | "<" | "<=" | "in" | "nin" | "contains"
//     path       := name ("." name)*  where a name is a letter or "_" then letters, digits, "_", "-"
//                 | "`" any text, "``" for a backquote "`"
//     value      := a JSON literal: "string", number, true, false, null, [array], {object}

extension MetadataExpression {
    /// Parses the compact text form (grammar at the top of `FilterSyntax.swift`): comparisons
    /// `path op value` with `= == != > >= < <= in nin contains`, `exists(path)`, `not exists(path)`
    /// or `path exists`, combined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. `not` binds
    /// tighter than `and`, which binds tighter than `or`. Values are JSON literals: text goes in
    /// double quotes. A path that is not a plain dotted name goes in backquotes (`` `my key` ``).
    ///
    /// `a and b and c` gives one `.and` of three; `not exists(f)` gives `exists` with `false`;
    /// `true` and `false` stand for `.and([])` and `.or([])`. The words `and`, `or`, `not`, `true`
    /// and `false` are not field names unless in backquotes.
    /// - Throws: ``MemoryError/invalidFilter(_:)`` "at character N: …" (N counts Unicode scalars
    ///   from 1) saying what was expected there.
    public init(parsing text: String) throws {
        var parser = FilterSyntaxParser(text)
        self = try parser.parseWhole()
    }

    /// The text form, which ``init(parsing:)`` reads back as an equal expression for every valid
    /// expression (see ``validate()``) except an `.and` or `.or` of a single member, which prints
    /// as that member.
    public var textSyntax: String {
        switch self {
        case .and(let expressions): Self.join(expressions, with: "and", empty: "true")
        case .or(let expressions): Self.join(expressions, with: "or", empty: "false")
        case .not(let expression):
            switch expression {
            case .compare(_, .exists, _), .and, .or: "not (\(expression.textSyntax))"
            case .not, .compare: "not \(expression.textSyntax)"
            }
        case .compare(let path, .exists, .bool(false)): "not exists(\(FilterSyntaxParser.quotePath(path)))"
        case .compare(let path, .exists, _): "exists(\(FilterSyntaxParser.quotePath(path)))"
        case .compare(let path, let op, let value):
            "\(FilterSyntaxParser.quotePath(path)) \(FilterSyntaxParser.symbol(op)) \(value.jsonText)"
        }
    }

    private static func join(_ expressions: [MetadataExpression], with word: String, empty: String) -> String {
        if expressions.isEmpty { return empty }
        if expressions.count == 1 { return expressions[0].textSyntax }
        return expressions.map { expression in
            switch expression {
            case .and, .or: "(\(expression.textSyntax))"
            case .not, .compare: expression.textSyntax
            }
        }.joined(separator: " \(word) ")
    }
}

/// A recursive-descent parser over the Unicode scalars of the text; positions in messages count
/// scalars from 1.
struct FilterSyntaxParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    mutating func parseWhole() throws -> MetadataExpression {
        skipSpace()
        if position == scalars.count {
            throw MemoryError.invalidFilter("the filter is empty; write a condition such as topic = \"tea\"")
        }
        let expression = try parseOr()
        skipSpace()
        if position < scalars.count {
            throw failure(at: position, "unexpected \(describeToken(at: position)); expected 'and', 'or' or the end of the filter")
        }
        return expression
    }

    // MARK: Expressions

    private mutating func parseOr() throws -> MetadataExpression {
        var alternatives = [try parseAnd()]
        while take(symbol: "||") || take(keyword: "or") { alternatives.append(try parseAnd()) }
        return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
    }

    private mutating func parseAnd() throws -> MetadataExpression {
        var conditions = [try parseNot()]
        while take(symbol: "&&") || take(keyword: "and") { conditions.append(try parseNot()) }
        return conditions.count == 1 ? conditions[0] : .and(conditions)
    }

    private mutating func parseNot() throws -> MetadataExpression {
        skipSpace()
        if takeBang() || take(keyword: "not") {
            if let path = try takeExistsCall() { return .compare(path: path, op: .exists, value: false) }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> MetadataExpression {
        skipSpace()
        let start = position
        guard position < scalars.count else {
            throw failure(at: position, "expected a condition (a field name, exists(…), 'not' or '(')")
        }
        if take(symbol: "(") {
            let inner = try parseOr()
            guard take(symbol: ")") else {
                throw failure(at: skippingSpace(), "expected ')' to close the '(' at character \(start + 1), found \(describeToken(at: skippingSpace()))")
            }
            return inner
        }
        if let path = try takeExistsCall() { return .compare(path: path, op: .exists, value: true) }
        if take(keyword: "true") { return .and([]) }
        if take(keyword: "false") { return .or([]) }
        guard let path = try takePath() else {
            throw failure(at: start, "expected a condition (a field name, exists(…), 'not' or '('), found \(describeToken(at: start))")
        }
        if !path.quoted, Self.reservedWords.contains(path.text.lowercased()) {
            throw failure(at: start, "expected a condition before '\(path.text)'; a field named '\(path.text)' is written in backquotes: `\(path.text)`")
        }
        try checkPath(path.text, at: start)
        return try parseComparison(path: path.text)
    }

    private mutating func parseComparison(path: String) throws -> MetadataExpression {
        skipSpace()
        let operatorStart = position
        if take(keyword: "exists") { return .compare(path: path, op: .exists, value: true) }
        if take(keyword: "not") {
            if take(keyword: "exists") { return .compare(path: path, op: .exists, value: false) }
            throw failure(at: skippingSpace(), "expected 'exists' after '\(path) not'; to test that a field is none of some values, write \(path) nin [ … ]")
        }
        let operators: [(spelling: String, op: MetadataExpression.Operator)] = [
            ("==", .eq), ("!=", .ne), (">=", .gte), ("<=", .lte), ("=", .eq), (">", .gt), ("<", .lt),
        ]
        let words: [(spelling: String, op: MetadataExpression.Operator)] = [("in", .in), ("nin", .nin), ("contains", .contains)]
        guard let found = operators.first(where: { take(symbol: $0.spelling) })
            ?? words.first(where: { take(keyword: $0.spelling) })
        else {
            throw failure(at: operatorStart, "expected an operator after '\(path)' (one of = == != > >= < <= in nin contains exists), found \(describeToken(at: operatorStart))")
        }
        let (spelling, op) = found
        skipSpace()
        let valueStart = position
        let value = try parseValue(after: spelling)
        do {
            try MetadataExpression.check(path: path, op: op, value: value, spelling: spelling)
        } catch MemoryError.invalidFilter(let problem) {
            throw failure(at: valueStart, problem)
        }
        return .compare(path: path, op: op, value: value)
    }

    /// `exists(path)` if the text continues with it; nil (consuming nothing) if not.
    private mutating func takeExistsCall() throws -> String? {
        let saved = position
        guard take(keyword: "exists") else { return nil }
        guard take(symbol: "(") else {
            position = saved
            return nil
        }
        skipSpace()
        let pathStart = position
        guard let path = try takePath() else {
            throw failure(at: pathStart, "expected a field name inside exists( ), found \(describeToken(at: pathStart))")
        }
        try checkPath(path.text, at: pathStart)
        guard take(symbol: ")") else {
            throw failure(at: skippingSpace(), "expected ')' after exists(\(path.text), found \(describeToken(at: skippingSpace()))")
        }
        return path.text
    }

    // MARK: Paths

    private mutating func takePath() throws -> (text: String, quoted: Bool)? {
        guard position < scalars.count else { return nil }
        if scalars[position] == "`" {
            let start = position
            position += 1
            var text = String.UnicodeScalarView()
            while position < scalars.count {
                if scalars[position] == "`" {
                    if position + 1 < scalars.count, scalars[position + 1] == "`" {
                        text.append("`")
                        position += 2
                        continue
                    }
                    position += 1
                    return (String(text), true)
                }
                text.append(scalars[position])
                position += 1
            }
            throw failure(at: start, "the field name in backquotes that starts here has no closing '`'")
        }
        guard Self.startsName(scalars[position]) else { return nil }
        let start = position
        while position < scalars.count, Self.continuesName(scalars[position]) || scalars[position] == "." { position += 1 }
        return (String(String.UnicodeScalarView(scalars[start..<position])), false)
    }

    private func checkPath(_ path: String, at start: Int) throws {
        do {
            try MetadataExpression.checkPath(path)
        } catch MemoryError.invalidFilter(let problem) {
            throw failure(at: start, problem)
        }
    }

    static func startsName(_ scalar: Unicode.Scalar) -> Bool { scalar == "_" || scalar.properties.isAlphabetic }

    static func continuesName(_ scalar: Unicode.Scalar) -> Bool {
        startsName(scalar) || scalar == "-" || scalar.properties.numericType != nil
    }

    /// The path as the parser reads it back: bare when it is a plain dotted name that is not a
    /// keyword, in backquotes otherwise.
    static func quotePath(_ path: String) -> String {
        let names = path.split(separator: ".", omittingEmptySubsequences: false)
        let plain = names.allSatisfy { name in
            guard let first = name.unicodeScalars.first, startsName(first) else { return false }
            return name.unicodeScalars.allSatisfy(continuesName)
        } && !reservedWords.contains(path.lowercased())
        return plain ? path : "`" + path.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// Words that start a condition, so a field with one of these names goes in backquotes.
    static let reservedWords: Set<String> = ["and", "or", "not", "true", "false", "exists"]

    static func symbol(_ op: MetadataExpression.Operator) -> String {
        switch op {
        case .eq: "="
        case .ne: "!="
        case .gt: ">"
        case .gte: ">="
        case .lt: "<"
        case .lte: "<="
        case .in: "in"
        case .nin: "nin"
        case .contains: "contains"
        case .exists: "exists"
        }
    }

    // MARK: Values (JSON literals)

    private mutating func parseValue(after spelling: String) throws -> JSONValue {
        skipSpace()
        let start = position
        guard position < scalars.count else {
            throw failure(at: position, "expected a value after '\(spelling)' (a string in double quotes, a number, true, false, null or an array)")
        }
        let scalar = scalars[position]
        switch scalar {
        case "\"": return .string(try parseString())
        case "[":
            position += 1
            var elements: [JSONValue] = []
            if take(symbol: "]") { return .array(elements) }
            repeat { elements.append(try parseValue(after: elements.isEmpty ? "[" : ",")) } while take(symbol: ",")
            guard take(symbol: "]") else {
                throw failure(at: skippingSpace(), "expected ',' or ']' in the array that starts at character \(start + 1), found \(describeToken(at: skippingSpace()))")
            }
            return .array(elements)
        case "{":
            position += 1
            var members: [String: JSONValue] = [:]
            if take(symbol: "}") { return .object(members) }
            repeat {
                skipSpace()
                guard position < scalars.count, scalars[position] == "\"" else {
                    throw failure(at: position, "expected a member name in double quotes in the object that starts at character \(start + 1), found \(describeToken(at: position))")
                }
                let key = try parseString()
                guard take(symbol: ":") else {
                    throw failure(at: skippingSpace(), "expected ':' after the member name \"\(key)\", found \(describeToken(at: skippingSpace()))")
                }
                members[key] = try parseValue(after: ":")
            } while take(symbol: ",")
            guard take(symbol: "}") else {
                throw failure(at: skippingSpace(), "expected ',' or '}' in the object that starts at character \(start + 1), found \(describeToken(at: skippingSpace()))")
            }
            return .object(members)
        case "'":
            throw failure(at: start, "strings are written in double quotes, not single quotes")
        case "-", "0"..."9":
            return try parseNumber()
        default:
            guard Self.startsName(scalar) else {
                throw failure(at: start, "expected a value after '\(spelling)' (a string in double quotes, a number, true, false, null or an array), found \(describeToken(at: start))")
            }
            while position < scalars.count, Self.continuesName(scalars[position]) || scalars[position] == "." { position += 1 }
            let word = String(String.UnicodeScalarView(scalars[start..<position]))
            switch word.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            case "and", "or", "not":
                throw failure(at: start, "expected a value after '\(spelling)' (a string in double quotes, a number, true, false, null or an array), found '\(word)'")
            default:
                throw failure(at: start, "'\(word)' is not a value; text is written in double quotes: \"\(word)\"")
            }
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = position
        while position < scalars.count, "0123456789+-.eE".unicodeScalars.contains(scalars[position]) { position += 1 }
        // "5kg", "2024-05-01T10:00": report the whole word, not the number at its front.
        while position < scalars.count, Self.continuesName(scalars[position]) || scalars[position] == ":" { position += 1 }
        let text = String(String.UnicodeScalarView(scalars[start..<position]))
        let numberCharacters = "0123456789+-.eE".unicodeScalars
        guard text.unicodeScalars.allSatisfy(numberCharacters.contains), text.unicodeScalars.last != ".",
              let number = Double(text), number.isFinite
        else {
            throw failure(at: start, "'\(text)' is not a number; text (and an ISO-8601 date) is written in double quotes: \"\(text)\"")
        }
        return .number(number)
    }

    /// A JSON string at `position` (on its opening quote), with JSON escapes.
    private mutating func parseString() throws -> String {
        let start = position
        position += 1
        var text = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            switch scalar {
            case "\"": return String(text)
            case "\\":
                guard position < scalars.count else { break }
                let escape = scalars[position]
                position += 1
                switch escape {
                case "\"", "\\", "/": text.append(escape)
                case "b": text.append("\u{8}")
                case "f": text.append("\u{C}")
                case "n": text.append("\n")
                case "r": text.append("\r")
                case "t": text.append("\t")
                case "u":
                    var unit = try parseHex4(escapeStart: position - 2)
                    if (0xD800..<0xDC00).contains(unit), position + 1 < scalars.count, scalars[position] == "\\", scalars[position + 1] == "u" {
                        let saved = position
                        position += 2
                        let low = try parseHex4(escapeStart: saved)
                        if (0xDC00..<0xE000).contains(low) {
                            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = saved
                        }
                    }
                    guard let decoded = Unicode.Scalar(unit) else {
                        throw failure(at: position - 6, "'\\u\(String(unit, radix: 16, uppercase: true))' is a lone surrogate, not a character")
                    }
                    text.append(decoded)
                default:
                    throw failure(at: position - 2, "'\\\(escape)' is not a JSON escape; use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX")
                }
            default: text.append(scalar)
            }
        }
        throw failure(at: start, "the string that starts here has no closing '\"'")
    }

    private mutating func parseHex4(escapeStart: Int) throws -> UInt32 {
        guard position + 4 <= scalars.count,
              let unit = UInt32(String(String.UnicodeScalarView(scalars[position..<position + 4])), radix: 16)
        else { throw failure(at: escapeStart, "'\\u' is followed by four hexadecimal digits") }
        position += 4
        return unit
    }

    // MARK: Tokens

    private mutating func skipSpace() {
        while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
    }

    private mutating func skippingSpace() -> Int {
        skipSpace()
        return position
    }

    /// Consumes `symbol` after optional space.
    private mutating func take(symbol: String) -> Bool {
        skipSpace()
        let expected = Array(symbol.unicodeScalars)
        guard scalars[position...].starts(with: expected) else { return false }
        position += expected.count
        return true
    }

    /// Consumes `!` that is not the start of `!=`.
    private mutating func takeBang() -> Bool {
        skipSpace()
        guard position < scalars.count, scalars[position] == "!",
              position + 1 == scalars.count || scalars[position + 1] != "=" else { return false }
        position += 1
        return true
    }

    /// Consumes the word `keyword` (any case) when it is a whole word.
    private mutating func take(keyword: String) -> Bool {
        skipSpace()
        let expected = Array(keyword.unicodeScalars)
        let end = position + expected.count
        guard end <= scalars.count,
              zip(scalars[position..<end], expected).allSatisfy({ String($0.0).lowercased() == String($0.1) }),
              end == scalars.count || !(Self.continuesName(scalars[end]) || scalars[end] == ".")
        else { return false }
        position = end
        return true
    }

    private func describeToken(at index: Int) -> String {
        guard index < scalars.count else { return "the end of the filter" }
        var end = index + 1
        if Self.continuesName(scalars[index]) {
            while end < scalars.count, Self.continuesName(scalars[end]) || scalars[end] == "." { end += 1 }
        }
        return "'\(String(String.UnicodeScalarView(scalars[index..<end])))'"
    }

    private func failure(at index: Int, _ problem: String) -> MemoryError {
        let place = index >= scalars.count ? "at character \(index + 1) (the end)" : "at character \(index + 1)"
        return .invalidFilter("\(place): \(problem)")
    }
}
