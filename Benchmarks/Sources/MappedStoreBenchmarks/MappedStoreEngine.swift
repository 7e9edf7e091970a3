import MappedStore

/// MappedStore through its public API only. Keys and values are read from the same contiguous
/// buffers LMDB and SQLite are given (the `UnsafeRawBufferPointer` overloads); two get variants
/// pass keys as the `[UInt8]` arrays of the array API instead (`Records.arrays`, built before timing).
final class MappedStoreEngine: Engine, @unchecked Sendable {
    let name = "MappedStore"
    let path: String
    private var store: MappedStore?

    /// The durability of the "no sync" rows: `.noSync` (the default, like MDB_NOSYNC and
    /// synchronous=OFF), or `.batched(interval:)` with `--store-relaxed batched` (for comparison).
    let relaxed: MappedStore.Durability

    init(directory: String, relaxed: MappedStore.Durability = .noSync) throws {
        self.relaxed = relaxed
        path = directory + "/store.mnemap"
        for file in [path, path + "-lock"] { removeFile(file) }
        store = try MappedStore(path: path, options: .init(durability: .full))
    }

    var dataFiles: [String] { [path] }

    private var open: MappedStore {
        get throws {
            guard let store else { throw BenchmarkError("MappedStore is closed") }
            return store
        }
    }

    func bulkLoad(_ workload: Workload) throws {
        try workload.keys.flat.withUnsafeBytes { keys in
            try workload.initialValues.flat.withUnsafeBytes { values in
                try open.write { tx in
                    for index in 0..<workload.keys.count {
                        try tx.append(Self.record(keys, index, Workload.keySize), Self.record(values, index, Workload.valueSize))
                    }
                }
            }
        }
    }

    /// The durability is an option of the open store: close (which syncs) and reopen.
    func setDurability(full: Bool) throws {
        store = nil
        store = try MappedStore(path: path, options: .init(durability: full ? .full : relaxed))
    }

    func put(_ puts: PutSequence, _ range: Range<Int>, batch: Int, keys: Records) throws {
        let store = try open
        try keys.flat.withUnsafeBytes { keyBytes in
            try puts.values.flat.withUnsafeBytes { values in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + batch, range.upperBound)
                    try store.write { tx in
                        for index in start..<end {
                            try tx.put(Self.record(keyBytes, puts.keys[index], Workload.keySize), Self.record(values, index, Workload.valueSize))
                        }
                    }
                    start = end
                }
            }
        }
    }

    /// Record `index` of `size` bytes in a contiguous buffer.
    @inline(__always)
    static func record(_ buffer: UnsafeRawBufferPointer, _ index: Int, _ size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer.baseAddress! + index * size, count: size)
    }

    let getVariants = ["get() -> [UInt8] (copy)", "withValue (zero-copy)", "withValue, key bytes from one buffer"]

    func gets(_ order: [Int], keys: Records, variant: Int) throws -> Checksum {
        let keyArrays = keys.arrays
        return try open.read { tx in
            var checksum = Checksum()
            if variant == 0 {
                for key in order {
                    guard let value = try tx.get(keyArrays[key]) else { throw BenchmarkError("MappedStore: key \(key) missing") }
                    value.withUnsafeBytes { checksum.add(value: $0) }
                }
            } else if variant == 2 {
                try keys.flat.withUnsafeBytes { flat in
                    for key in order {
                        let bytes = UnsafeRawBufferPointer(start: flat.baseAddress! + key * Workload.keySize, count: Workload.keySize)
                        guard try tx.withValue(for: bytes, { checksum.add(value: $0) }) != nil else {
                            throw BenchmarkError("MappedStore: key \(key) missing")
                        }
                    }
                }
            } else {
                for key in order {
                    guard try tx.withValue(for: keyArrays[key], { checksum.add(value: $0) }) != nil else {
                        throw BenchmarkError("MappedStore: key \(key) missing")
                    }
                }
            }
            return checksum
        }
    }

    func scan() throws -> Checksum {
        try open.read { tx in
            var checksum = Checksum()
            try tx.scan { key, value in
                checksum.add(key: key, value: value)
                return true
            }
            return checksum
        }
    }

    func readerWork(keys: Records, order: ArraySlice<Int>, perTransaction: Int, stop: StopFlag) throws -> Int {
        let store = try open
        var done = 0
        var position = order.startIndex
        var sink = Checksum()
        while !stop.isSet {
            try store.read { tx in
                for _ in 0..<perTransaction {
                    let found = try keys.flat.withUnsafeBytes { flat in
                        let bytes = UnsafeRawBufferPointer(start: flat.baseAddress! + order[position] * Workload.keySize, count: Workload.keySize)
                        return try tx.withValue(for: bytes, { sink.add(value: $0) }) != nil
                    }
                    guard found else {
                        throw BenchmarkError("MappedStore: key \(order[position]) missing")
                    }
                    position = position + 1 == order.endIndex ? order.startIndex : position + 1
                }
            }
            done += perTransaction
        }
        return done
    }

    func writerWork(_ puts: PutSequence, keys: Records, batch: Int, stop: StopFlag) throws -> Int {
        var done = 0
        var start = 0
        while !stop.isSet {
            if start + batch > puts.count { start = 0 }
            try put(puts, start..<(start + batch), batch: batch, keys: keys)
            start += batch
            done += batch
        }
        return done
    }

    func shape() throws -> String {
        let info = try open.read { tx in try tx.info() }
        return "depth \(info.depth), \(info.branchPages) branch + \(info.leafPages) leaf pages (\(info.entries) entries); " +
            "tree \(Self.megabytes((info.branchPages + info.leafPages) * 4096)) of the \(Self.megabytes(UInt64(fileBytes))) file"
    }

    static func megabytes(_ bytes: UInt64) -> String { "\((bytes + 500_000) / 1_000_000) MB" }

    func close() throws {
        store = nil
    }
}
