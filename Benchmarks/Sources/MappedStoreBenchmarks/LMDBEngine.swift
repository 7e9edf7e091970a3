import CLMDB

/// LMDB (the system's liblmdb) through its C API: one environment file (`MDB_NOSUBDIR`), the
/// main database, default flags (full durability: data synced, then the meta page synced, per
/// commit), `MDB_NOSYNC` for the no-sync rows.
final class LMDBEngine: Engine, @unchecked Sendable {
    let name = "LMDB"
    let path: String
    private var env: OpaquePointer?
    private var dbi = MDB_dbi()

    init(directory: String) throws {
        path = directory + "/lmdb.mdb"
        for file in [path, path + "-lock"] { removeFile(file) }
        try check(mdb_env_create(&env), "mdb_env_create")
        try check(mdb_env_set_mapsize(env, 1 << 36), "mdb_env_set_mapsize")
        try check(mdb_env_set_maxreaders(env, 126), "mdb_env_set_maxreaders")
        try check(mdb_env_open(env, path, UInt32(MDB_NOSUBDIR), 0o644), "mdb_env_open")
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
        try check(mdb_dbi_open(txn, nil, 0, &dbi), "mdb_dbi_open")
        try check(mdb_txn_commit(txn), "mdb_txn_commit")
    }

    var dataFiles: [String] { [path] }

    private func check(_ code: Int32, _ what: String) throws {
        guard code == 0 else { throw BenchmarkError("LMDB \(what): \(String(cString: mdb_strerror(code)))") }
    }

    /// Runs `body` in a write transaction and commits it.
    private func write(_ body: (OpaquePointer?) throws -> Void) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
        do {
            try body(txn)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try check(mdb_txn_commit(txn), "mdb_txn_commit")
    }

    private func read<R>(_ body: (OpaquePointer?) throws -> R) throws -> R {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(RDONLY)")
        defer { mdb_txn_abort(txn) }
        return try body(txn)
    }

    func bulkLoad(_ workload: Workload) throws {
        try workload.keys.flat.withUnsafeBytes { keys in
            try workload.initialValues.flat.withUnsafeBytes { values in
                try write { txn in
                    var cursor: OpaquePointer?
                    try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
                    defer { mdb_cursor_close(cursor) }
                    for index in 0..<workload.n {
                        var key = MDB_val(mv_size: Workload.keySize, mv_data: UnsafeMutableRawPointer(mutating: keys.baseAddress! + index * Workload.keySize))
                        var value = MDB_val(mv_size: Workload.valueSize, mv_data: UnsafeMutableRawPointer(mutating: values.baseAddress! + index * Workload.valueSize))
                        try check(mdb_cursor_put(cursor, &key, &value, UInt32(MDB_APPEND)), "mdb_cursor_put(APPEND)")
                    }
                }
            }
        }
    }

    func setDurability(full: Bool) throws {
        try check(mdb_env_set_flags(env, UInt32(MDB_NOSYNC), full ? 0 : 1), "mdb_env_set_flags")
        if full { try check(mdb_env_sync(env, 1), "mdb_env_sync") }
    }

    func put(_ puts: PutSequence, _ range: Range<Int>, batch: Int, keys: Records) throws {
        try keys.flat.withUnsafeBytes { keyBytes in
            try puts.values.flat.withUnsafeBytes { values in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + batch, range.upperBound)
                    try write { txn in
                        for index in start..<end {
                            var key = MDB_val(mv_size: Workload.keySize, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress! + puts.keys[index] * Workload.keySize))
                            var value = MDB_val(mv_size: Workload.valueSize, mv_data: UnsafeMutableRawPointer(mutating: values.baseAddress! + index * Workload.valueSize))
                            try check(mdb_put(txn, dbi, &key, &value, 0), "mdb_put")
                        }
                    }
                    start = end
                }
            }
        }
    }

    let getVariants = ["mdb_get (zero-copy)"]

    func gets(_ order: [Int], keys: Records, variant: Int) throws -> Checksum {
        try keys.flat.withUnsafeBytes { keyBytes in
            try read { txn in
                var checksum = Checksum()
                var value = MDB_val()
                for index in order {
                    var key = MDB_val(mv_size: Workload.keySize, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress! + index * Workload.keySize))
                    try check(mdb_get(txn, dbi, &key, &value), "mdb_get")
                    checksum.add(value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
                }
                return checksum
            }
        }
    }

    func scan() throws -> Checksum {
        try read { txn in
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
            defer { mdb_cursor_close(cursor) }
            var checksum = Checksum()
            var key = MDB_val()
            var value = MDB_val()
            var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
            while code == 0 {
                checksum.add(key: UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                             value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
                code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            guard code == MDB_NOTFOUND else { try check(code, "mdb_cursor_get"); return checksum }
            return checksum
        }
    }

    func readerWork(keys: Records, order: ArraySlice<Int>, perTransaction: Int, stop: StopFlag) throws -> Int {
        try keys.flat.withUnsafeBytes { keyBytes in
            var done = 0
            var position = order.startIndex
            var sink = Checksum()
            var value = MDB_val()
            while !stop.isSet {
                try read { txn in
                    for _ in 0..<perTransaction {
                        var key = MDB_val(mv_size: Workload.keySize, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress! + order[position] * Workload.keySize))
                        try check(mdb_get(txn, dbi, &key, &value), "mdb_get")
                        sink.add(value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
                        position = position + 1 == order.endIndex ? order.startIndex : position + 1
                    }
                }
                done += perTransaction
            }
            return done
        }
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
        try read { txn in
            var stat = MDB_stat()
            try check(mdb_stat(txn, dbi, &stat), "mdb_stat")
            var info = MDB_envinfo()
            try check(mdb_env_info(env, &info), "mdb_env_info")
            let tree = UInt64(stat.ms_branch_pages + stat.ms_leaf_pages) * 4096
            return "depth \(stat.ms_depth), \(stat.ms_branch_pages) branch + \(stat.ms_leaf_pages) leaf pages (\(stat.ms_entries) entries); " +
                "tree \(MappedStoreEngine.megabytes(tree)), \(info.me_last_pgno + 1) pages used, of the \(MappedStoreEngine.megabytes(UInt64(fileBytes))) file"
        }
    }

    func close() throws {
        if let env {
            mdb_dbi_close(env, dbi)
            mdb_env_close(env)
        }
        env = nil
    }
}
