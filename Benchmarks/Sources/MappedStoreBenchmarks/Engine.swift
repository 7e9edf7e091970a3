import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One key-value engine under test. Every engine does the same phases on the same data; the
/// driver (`Phases.swift`) times them. Adapters are used from one thread at a time except in the
/// concurrent phase, where `readerWork` runs on 4 threads and `writerWork` on one, at once.
protocol Engine: AnyObject, Sendable {
    var name: String { get }
    /// The files the engine's data lives in (summed for the file size; lock files not included).
    var dataFiles: [String] { get }
    /// (a) All keys in ascending order, in one transaction, with the engine's sorted-load path.
    func bulkLoad(_ workload: Workload) throws
    /// Full durability (each commit synced) or none (commits not synced).
    func setDurability(full: Bool) throws
    /// Applies `puts[range]` in transactions of `batch` puts.
    func put(_ puts: PutSequence, _ range: Range<Int>, batch: Int, keys: Records) throws
    /// The ways this engine reads one value (a row each).
    var getVariants: [String] { get }
    /// (d) Reads every key of `order` in one read transaction, summing every value's bytes.
    func gets(_ order: [Int], keys: Records, variant: Int) throws -> Checksum
    /// (e) A full ordered scan in one read transaction.
    func scan() throws -> Checksum
    /// (f) One reader thread: read transactions of `perTransaction` random gets until `stop`; returns gets done.
    func readerWork(keys: Records, order: ArraySlice<Int>, perTransaction: Int, stop: StopFlag) throws -> Int
    /// (f) The writer: transactions of `batch` puts, cycling through `puts`, until `stop`; returns puts done.
    func writerWork(_ puts: PutSequence, keys: Records, batch: Int, stop: StopFlag) throws -> Int
    /// The tree's shape (depth, pages) and the pages in use, for context.
    func shape() throws -> String
    func close() throws
}

extension Engine {
    /// The size of the data files (st_size), in bytes.
    var fileBytes: Int64 {
        dataFiles.reduce(0) { total, path in
            var info = stat()
            return total + (stat(path, &info) == 0 ? Int64(info.st_size) : 0)
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Set once when a timed concurrent run is over.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Runs each body on its own POSIX thread and waits for all of them.
func runThreads(_ bodies: [@Sendable () -> Void]) {
    final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    var threads: [pthread_t] = []
    for body in bodies {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// Removes a file if it exists.
func removeFile(_ path: String) {
    unlink(path)
}
