import Foundation

/// A memory's id: 16 bytes, the first 6 the creation time in milliseconds (big-endian), the
/// other 10 random. Ids sort by creation time; ids made in one process in the same millisecond
/// still sort in the order they were made. Written as 26 Crockford base-32 characters (a ULID).
public struct MemoryID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 16 bytes, in sort order.
    public let bytes: [UInt8]

    /// Wraps 16 bytes.
    /// - Throws: `.invalidID` when there are not 16.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 16 else { throw MemoryError.invalidID("an id has 16 bytes, not \(bytes.count)") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parses the 26-character text form (case-insensitive; I, L read as 1 and O as 0).
    /// - Throws: `.invalidID` saying which character is wrong.
    public init(_ text: String) throws {
        let characters = Array(text.uppercased().utf8)
        guard characters.count == 26 else {
            throw MemoryError.invalidID("'\(text)' has \(characters.count) characters; a memory id has 26 (for example 01JDZ3K7M2X8Q4W5E6R7T8Y9AB)")
        }
        var value: (high: UInt64, low: UInt64) = (0, 0)
        for (position, character) in characters.enumerated() {
            guard let digit = Self.decodeTable[Int(character)], position > 0 || digit < 8 else {
                throw MemoryError.invalidID("'\(text)' has an invalid character at position \(position + 1)")
            }
            value = ((value.high << 5) | (value.low >> 59), (value.low << 5) | UInt64(digit))
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: value.high >> (56 - 8 * UInt64(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: value.low >> (56 - 8 * UInt64(index)))
        }
        self.bytes = bytes
    }

    /// A new id for a memory created at `date`.
    public static func make(at date: Date = Date()) -> MemoryID {
        // The id holds 48 bits of milliseconds (until the year 10889): earlier and later times clamp.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return Generator.shared.next(milliseconds: milliseconds.isNaN ? 0 : UInt64(min(max(0, milliseconds), Double(1 << 48 - 1))))
    }

    /// The creation time encoded in the id.
    public var timestamp: Date {
        var milliseconds: UInt64 = 0
        for index in 0..<6 { milliseconds = milliseconds << 8 | UInt64(bytes[index]) }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    public var description: String {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[8 + index])
        }
        var characters = [UInt8](repeating: 0, count: 26)
        for position in stride(from: 25, through: 0, by: -1) {
            characters[position] = Self.alphabet[Int(low & 31)]
            low = (low >> 5) | (high << 59)
            high >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }

    public static func < (lhs: MemoryID, rhs: MemoryID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private static let decodeTable: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        table[Int(UInt8(ascii: "I"))] = 1
        table[Int(UInt8(ascii: "L"))] = 1
        table[Int(UInt8(ascii: "O"))] = 0
        return table
    }()

    /// Monotonic within a process: in a millisecond already used the random part of the last id
    /// made for it is incremented, even when ids for other times were made in between (a
    /// transaction dates all its memories with the time it started, while other stores of the
    /// process make ids for later times). The last 1,024 milliseconds used are remembered. An id for
    /// an earlier time (an imported memory) encodes that time.
    private final class Generator: @unchecked Sendable {
        static let shared = Generator()
        private static let remembered = 1024
        private let lock = NSLock()
        private var last: [UInt64: (high: UInt16, low: UInt64)] = [:]

        func next(milliseconds: UInt64) -> MemoryID {
            lock.lock()
            defer { lock.unlock() }
            var random: (high: UInt16, low: UInt64)
            if let previous = last[milliseconds] {
                let (low, carry) = previous.low.addingReportingOverflow(1)
                random = (previous.high &+ (carry ? 1 : 0), low)
            } else {
                random = (UInt16.random(in: 0...UInt16.max), UInt64.random(in: 0...UInt64.max) >> 1)
                if last.count >= 2 * Self.remembered {
                    // Forget all but the most recent times, in one pass now and then.
                    let kept = Set(last.keys.sorted().suffix(Self.remembered))
                    last = last.filter { kept.contains($0.key) }
                }
            }
            last[milliseconds] = random
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(index))) }
            bytes[6] = UInt8(truncatingIfNeeded: random.high >> 8)
            bytes[7] = UInt8(truncatingIfNeeded: random.high)
            for index in 0..<8 { bytes[8 + index] = UInt8(truncatingIfNeeded: random.low >> (56 - 8 * UInt64(index))) }
            return MemoryID(unchecked: bytes)
        }
    }
}
