import CSQLite3
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SQLite (the system's libsqlite3) through its C API: `CREATE TABLE kv(k BLOB PRIMARY KEY,
/// v BLOB) WITHOUT ROWID` (the table is the primary-key B-tree, as in a key-value store), WAL
/// mode, prepared statements with static binds, a 256 MiB page cache and a 1 GiB mmap per
/// connection. Full durability: `synchronous=FULL` (the WAL is synced at every commit); no
/// sync: `synchronous=OFF`. Each reader thread has its own connection (`SQLITE_OPEN_NOMUTEX`).
final class SQLiteEngine: Engine, @unchecked Sendable {
    let name = "SQLite"
    let path: String
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(directory: String) throws {
        path = directory + "/sqlite.db"
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] { removeFile(file) }
        db = try Self.open(path)
        try Self.exec(db, "PRAGMA journal_mode=WAL")
        try Self.exec(db, "PRAGMA synchronous=FULL")
        try Self.exec(db, "CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
    }

    var dataFiles: [String] { [path, path + "-wal"] }

    static func open(_ path: String) throws -> OpaquePointer? {
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK else { throw BenchmarkError("sqlite3_open_v2: \(String(cString: sqlite3_errstr(code)))") }
        try exec(db, "PRAGMA cache_size=-262144")
        try exec(db, "PRAGMA mmap_size=1073741824")
        return db
    }

    static func exec(_ db: OpaquePointer?, _ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(db, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw BenchmarkError("SQLite \(sql): \(text)")
        }
    }

    static func prepare(_ db: OpaquePointer?, _ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw BenchmarkError("SQLite prepare \(sql): \(String(cString: sqlite3_errmsg(db)))") }
        return statement
    }

    /// A prepared statement of the main connection, prepared once.
    private func statement(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        let statement = try Self.prepare(db, sql)
        statements[sql] = statement
        return statement
    }

    /// Steps a statement that returns no rows, and resets it.
    private static func run(_ db: OpaquePointer?, _ statement: OpaquePointer) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw BenchmarkError("SQLite step: \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Runs `body` between BEGIN IMMEDIATE and COMMIT.
    private func transaction(_ body: () throws -> Void) throws {
        try Self.run(db, try statement("BEGIN IMMEDIATE"))
        do {
            try body()
        } catch {
            try? Self.exec(db, "ROLLBACK")
            throw error
        }
        try Self.run(db, try statement("COMMIT"))
    }

    /// Binds a key and a value (static: the buffers outlive the step) and steps.
    private func bindAndRun(_ statement: OpaquePointer, key: UnsafeRawPointer, value: UnsafeRawPointer) throws {
        sqlite3_bind_blob(statement, 1, key, Int32(Workload.keySize), nil)
        sqlite3_bind_blob(statement, 2, value, Int32(Workload.valueSize), nil)
        try Self.run(db, statement)
    }

    func bulkLoad(_ workload: Workload) throws {
        let insert = try statement("INSERT INTO kv(k, v) VALUES (?1, ?2)")
        try workload.keys.flat.withUnsafeBytes { keys in
            try workload.initialValues.flat.withUnsafeBytes { values in
                try transaction {
                    for index in 0..<workload.n {
                        try bindAndRun(insert, key: keys.baseAddress! + index * Workload.keySize, value: values.baseAddress! + index * Workload.valueSize)
                    }
                }
            }
        }
    }

    func setDurability(full: Bool) throws {
        try Self.exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF")
    }

    func put(_ puts: PutSequence, _ range: Range<Int>, batch: Int, keys: Records) throws {
        let replace = try statement("INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)")
        try keys.flat.withUnsafeBytes { keyBytes in
            try puts.values.flat.withUnsafeBytes { values in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + batch, range.upperBound)
                    try transaction {
                        for index in start..<end {
                            try bindAndRun(replace, key: keyBytes.baseAddress! + puts.keys[index] * Workload.keySize, value: values.baseAddress! + index * Workload.valueSize)
                        }
                    }
                    start = end
                }
            }
        }
    }

    let getVariants = ["SELECT v WHERE k=? (column_blob)"]

    /// Reads the keys in `order` (each: bind, step, column_blob, reset) with `statement`.
    private static func get(_ db: OpaquePointer?, _ statement: OpaquePointer, key: UnsafeRawPointer, into checksum: inout Checksum) throws {
        sqlite3_bind_blob(statement, 1, key, Int32(Workload.keySize), nil)
        guard sqlite3_step(statement) == SQLITE_ROW else {
            sqlite3_reset(statement)
            throw BenchmarkError("SQLite: a key is missing (\(String(cString: sqlite3_errmsg(db))))")
        }
        let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: Int(sqlite3_column_bytes(statement, 0)))
        checksum.add(value: bytes)
        sqlite3_reset(statement)
    }

    func gets(_ order: [Int], keys: Records, variant: Int) throws -> Checksum {
        let select = try statement("SELECT v FROM kv WHERE k = ?1")
        return try keys.flat.withUnsafeBytes { keyBytes in
            var checksum = Checksum()
            try Self.run(db, try statement("BEGIN"))
            defer { try? Self.run(db, try statement("COMMIT")) }
            for index in order {
                try Self.get(db, select, key: keyBytes.baseAddress! + index * Workload.keySize, into: &checksum)
            }
            return checksum
        }
    }

    func scan() throws -> Checksum {
        let select = try statement("SELECT k, v FROM kv ORDER BY k")
        var checksum = Checksum()
        var code = sqlite3_step(select)
        while code == SQLITE_ROW {
            checksum.add(key: UnsafeRawBufferPointer(start: sqlite3_column_blob(select, 0), count: Int(sqlite3_column_bytes(select, 0))),
                         value: UnsafeRawBufferPointer(start: sqlite3_column_blob(select, 1), count: Int(sqlite3_column_bytes(select, 1))))
            code = sqlite3_step(select)
        }
        sqlite3_reset(select)
        guard code == SQLITE_DONE else { throw BenchmarkError("SQLite scan: \(String(cString: sqlite3_errmsg(db)))") }
        return checksum
    }

    func readerWork(keys: Records, order: ArraySlice<Int>, perTransaction: Int, stop: StopFlag) throws -> Int {
        let connection = try Self.open(path)
        defer { sqlite3_close_v2(connection) }
        let select = try Self.prepare(connection, "SELECT v FROM kv WHERE k = ?1")
        let begin = try Self.prepare(connection, "BEGIN")
        let commit = try Self.prepare(connection, "COMMIT")
        defer { for statement in [select, begin, commit] { sqlite3_finalize(statement) } }
        return try keys.flat.withUnsafeBytes { keyBytes in
            var done = 0
            var position = order.startIndex
            var sink = Checksum()
            while !stop.isSet {
                try Self.run(connection, begin)
                for _ in 0..<perTransaction {
                    try Self.get(connection, select, key: keyBytes.baseAddress! + order[position] * Workload.keySize, into: &sink)
                    position = position + 1 == order.endIndex ? order.startIndex : position + 1
                }
                try Self.run(connection, commit)
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
        func number(_ sql: String) throws -> Int64 {
            let statement = try self.statement(sql)
            defer { sqlite3_reset(statement) }
            guard sqlite3_step(statement) == SQLITE_ROW else { throw BenchmarkError("SQLite \(sql): no row") }
            return sqlite3_column_int64(statement, 0)
        }
        let pages = try number("PRAGMA page_count")
        let free = try number("PRAGMA freelist_count")
        var wal = stat()
        let walBytes = stat(path + "-wal", &wal) == 0 ? UInt64(wal.st_size) : 0
        return "\(pages) pages (\(free) free) in the database, \(MappedStoreEngine.megabytes(UInt64(pages) * 4096)); WAL file \(MappedStoreEngine.megabytes(walBytes))"
    }

    func close() throws {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }
}
