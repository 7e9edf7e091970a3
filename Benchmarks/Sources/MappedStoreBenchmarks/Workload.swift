/// The data every engine gets: the same keys, values and operation sequences, generated
/// from one seed before anything is timed.

/// SplitMix64: small, fast, and the same on every platform.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            var word = next()
            let take = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { buffer.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: take) }
            offset += take
        }
    }
}

/// Fixed-size records in one contiguous buffer (what the C engines read from), plus the same
/// bytes as one `[UInt8]` per record (what MappedStore's API takes), both built untimed.
struct Records {
    let size: Int
    let flat: [UInt8]
    let arrays: [[UInt8]]
    var count: Int { arrays.count }

    init(size: Int, flat: [UInt8]) {
        self.size = size
        self.flat = flat
        let count = flat.count / size
        var arrays: [[UInt8]] = []
        arrays.reserveCapacity(count)
        for index in 0..<count { arrays.append(Array(flat[index * size ..< (index + 1) * size])) }
        self.arrays = arrays
    }

    /// Calls `body` with record `index` in the contiguous buffer.
    @inline(__always)
    func withRecord<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try flat.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[index * size ..< (index + 1) * size])) }
    }
}

/// A sequence of puts: key number `keys[i]` gets value record `i`.
struct PutSequence {
    let keys: [Int]
    let values: Records
    var count: Int { keys.count }
}

/// The order-sensitive summary of a whole store, or of the values read: compared across
/// engines and with the model.
struct Checksum: Equatable, CustomStringConvertible {
    var count = 0
    /// Sum of every value byte.
    var valueBytes: UInt64 = 0
    /// A hash of the keys in the order visited (only for scans).
    var keyOrder: UInt64 = 0

    mutating func add(value: UnsafeRawBufferPointer) {
        count += 1
        valueBytes &+= byteSum(value)
    }

    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        add(value: value)
        let head = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
        keyOrder = (keyOrder ^ head) &* 0x100_0000_01B3
    }

    var description: String { "count \(count), value bytes \(valueBytes), key order \(String(keyOrder, radix: 16))" }
}

/// The sum of the bytes (every engine's reads go through it, so they all touch the whole value).
@inline(never)
func byteSum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var sum: UInt64 = 0
    for byte in bytes { sum &+= UInt64(byte) }
    return sum
}

/// Everything the benchmark writes and reads.
struct Workload {
    static let keySize = 16
    static let valueSize = 100

    let n: Int
    /// The N keys, random and distinct, in ascending (memcmp) order: key number i is the i-th smallest.
    let keys: Records
    /// The bulk-load values: value i for key i.
    let initialValues: Records
    /// Gets: every key once, in random order.
    let getOrder: [Int]
    /// Random overwrites of existing keys, one sequence per put phase.
    let singlePuts: PutSequence
    let singlePutsNoSync: PutSequence
    let batchPuts: PutSequence
    let batchPutsNoSync: PutSequence
    /// What the concurrent writer cycles through (not part of the checksums).
    let concurrentPuts: PutSequence

    init(n: Int, seed: UInt64, singleTransactions: Int, batchTransactions: Int, batchSize: Int) {
        self.n = n
        var random = SplitMix64(seed: seed)
        // Random keys, sorted; duplicates (astronomically unlikely for 128 bits) are replaced.
        var keyFlat = [UInt8](repeating: 0, count: n * Self.keySize)
        keyFlat.withUnsafeMutableBytes { random.fill($0) }
        var sorted: [[UInt8]] = (0..<n).map { Array(keyFlat[$0 * Self.keySize ..< ($0 + 1) * Self.keySize]) }
        while true {
            sorted.sort { $0.lexicographicallyPrecedes($1) }
            var duplicates = 0
            for index in 1..<max(1, sorted.count) where sorted[index] == sorted[index - 1] {
                sorted[index].withUnsafeMutableBytes { random.fill($0) }
                duplicates += 1
            }
            if duplicates == 0 { break }
        }
        keys = Records(size: Self.keySize, flat: sorted.flatMap { $0 })
        initialValues = Self.values(n, &random)
        var order = Array(0..<n)
        for index in stride(from: n - 1, to: 0, by: -1) { order.swapAt(index, random.next(below: index + 1)) }
        getOrder = order
        func puts(_ count: Int) -> PutSequence {
            PutSequence(keys: (0..<count).map { _ in random.next(below: n) }, values: Self.values(count, &random))
        }
        singlePuts = puts(singleTransactions)
        singlePutsNoSync = puts(singleTransactions)
        batchPuts = puts(batchTransactions * batchSize)
        batchPutsNoSync = puts(batchTransactions * batchSize)
        concurrentPuts = puts(max(100_000, min(n, 1_000_000)))
    }

    private static func values(_ count: Int, _ random: inout SplitMix64) -> Records {
        var flat = [UInt8](repeating: 0, count: count * valueSize)
        flat.withUnsafeMutableBytes { random.fill($0) }
        return Records(size: valueSize, flat: flat)
    }

    /// The checksum a full scan must give after the bulk load and the four checksummed put phases,
    /// from an in-memory model (independent of every engine).
    func expectedAfterPuts() -> Checksum {
        // Which record holds each key's current value: (sequence, index); sequence -1 = initial.
        var current = [(sequence: Int, index: Int)](repeating: (-1, 0), count: n)
        let sequences = [singlePuts, singlePutsNoSync, batchPuts, batchPutsNoSync]
        for (number, sequence) in sequences.enumerated() {
            for (index, key) in sequence.keys.enumerated() { current[key] = (number, index) }
        }
        var checksum = Checksum()
        for key in 0..<n {
            let (sequence, index) = current[key]
            let values = sequence < 0 ? initialValues : sequences[sequence].values
            let record = sequence < 0 ? key : index
            keys.withRecord(key) { keyBytes in values.withRecord(record) { checksum.add(key: keyBytes, value: $0) } }
        }
        return checksum
    }

    /// The checksum of the initial load.
    func expectedAfterLoad() -> Checksum {
        var checksum = Checksum()
        for index in 0..<n { keys.withRecord(index) { key in initialValues.withRecord(index) { checksum.add(key: key, value: $0) } } }
        return checksum
    }
}
