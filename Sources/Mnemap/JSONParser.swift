import Foundation

/// Reads JSON text (RFC 8259, strictly) into a ``JSONValue``, on its UTF-8 bytes.
///
/// What `JSONValue(parsing:)` runs. It replaces decoding `JSONValue` through `JSONDecoder`, which
/// tries each type in turn and throws at every miss: a search request's 384-number vector cost
/// about a fifth of the server's time per request that way.
///
/// Accepted: one value with whitespace around it; `null`, `true`, `false`; numbers as the RFC's
/// grammar writes them (no leading zeros, `+`, `NaN`, `Infinity` or hex), finite as a `Double`;
/// strings with the RFC's escapes, `\u` surrogate pairs joined (a lone surrogate is an error),
/// no raw control characters; nesting at most ``maximumDepth`` deep. A repeated object key keeps
/// its last value. Errors say what was found and at which byte.
struct JSONParser {
    /// Arrays and objects nested deeper than this are refused (the parser recurses).
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var position = 0

    /// Parses a whole document.
    /// - Throws: ``MemoryError`` `.invalidJSON` saying what is wrong and where.
    static func parse(_ text: String) throws(MemoryError) -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.failure("unexpected \(parser.found) after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func value(depth: Int) throws(MemoryError) -> JSONValue {
        guard position < bytes.count else { throw failure("unexpected end of text, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected \(found), expected a value")
        }
    }

    private mutating func object(depth: Int) throws(MemoryError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("arrays and objects nested more than \(Self.maximumDepth) deep") }
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("unexpected \(found), expected a member name in double quotes") }
            let key = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("unexpected \(found), expected ':' after a member name") }
            position += 1
            skipWhitespace()
            members[key] = try value(depth: depth)
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of text, expected ',' or '}'") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw failure("unexpected \(found), expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(MemoryError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("arrays and objects nested more than \(Self.maximumDepth) deep") }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of text, expected ',' or ']'") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw failure("unexpected \(found), expected ',' or ']'")
            }
        }
    }

    /// A string from its opening quote; the bytes between escapes are copied as they are (the
    /// text came from a Swift `String`, so they are valid UTF-8).
    private mutating func string() throws(MemoryError) -> String {
        position += 1
        let start = position
        // The common case: no escape, copied in one piece.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: bytes[start..<(position - 1)], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            position += 1
        }
        var out = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("a \\u escape of a lone high surrogate (\\u\(String(scalar, radix: 16)))")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate \\u escape not followed by a low one") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw failure("a \\u escape of a lone low surrogate (\\u\(String(scalar, radix: 16)))")
                    }
                    guard let decoded = Unicode.Scalar(scalar) else { throw failure("a \\u escape of no character") }
                    Unicode.UTF8.encode(decoded) { out.append($0) }
                default:
                    position -= 1
                    throw failure("an unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
                }
            case 0..<0x20:
                throw failure("a control character (\(byte)) inside a string; write it as a \\u escape")
            default:
                out.append(byte)
                position += 1
            }
        }
        throw failure("unexpected end of text inside a string")
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hex4() throws(MemoryError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// A number as the RFC's grammar writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(MemoryError) -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw failure("a '-' not followed by a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw failure("a number with a leading zero") }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("a '.' not followed by a digit in a number") }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("an exponent without digits in a number") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            position = start
            throw failure("the number \(text), which is out of the range of a 64-bit float")
        }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    private mutating func literal(_ word: String) throws(MemoryError) {
        let count = word.utf8.count
        guard position + count <= bytes.count, bytes[position..<(position + count)].elementsEqual(word.utf8) else {
            throw failure("unexpected \(found), expected a value")
        }
        position += count
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// What is at the current position, for messages: a quoted character or "end of text".
    private var found: String {
        guard position < bytes.count else { return "end of text" }
        let byte = bytes[position]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private func failure(_ problem: String) -> MemoryError {
        .invalidJSON("\(problem) at byte \(position + 1)")
    }
}
