import CIPCBaselines
import MappedJournal
#if canImport(Glibc)
import Glibc
#endif

/// The ways a message goes from the producer process to the consumer process.
enum Transport: String, CaseIterable {
    /// The hand-written C shared-memory SPSC ring (spinning reader): the physical limit.
    case ring
    /// MappedJournal; the consumer waits in `tailer.next(timeout:)` (futex sleep when caught up).
    case journal
    /// MappedJournal; the consumer polls `tailer.next(timeout: .zero)` in a loop (spinning reader).
    case journalSpin = "journal-spin"
    /// A Unix domain stream socket (socketpair), one write and one read per message.
    case uds
    /// A pipe, one write and one read per message.
    case pipe
    /// A POSIX message queue (mq_send / mq_receive).
    case mq

    var label: String {
        switch self {
        case .ring: "C shm ring (spin)"
        case .journal: "MappedJournal (futex wait)"
        case .journalSpin: "MappedJournal (spin poll)"
        case .uds: "Unix socket"
        case .pipe: "pipe"
        case .mq: "POSIX mq"
        }
    }

    var isJournal: Bool { self == .journal || self == .journalSpin }

    var cKind: Int32 {
        switch self {
        case .ring: Int32(IPC_RING.rawValue)
        case .uds: Int32(IPC_UDS.rawValue)
        case .pipe: Int32(IPC_PIPE.rawValue)
        case .mq: Int32(IPC_MQ.rawValue)
        case .journal, .journalSpin: -1
        }
    }
}

/// What the consumer measured.
struct ConsumeResult {
    var count: UInt64
    var firstSend: UInt64
    var lastSend: UInt64
    var lastReceive: UInt64
    /// Receive minus send time of every message (latency runs only).
    var latencies: [UInt64]
    /// CPU time (user + system, all threads) of the producer process and of the consumer during
    /// the run, in nanoseconds: less sensitive than wall time to other work on the machine.
    var producerCPU: UInt64 = 0
    var consumerCPU: UInt64 = 0
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

// MARK: Journal producer and consumer

/// The journal's options in both roles: the defaults, or without work ahead of the producers
/// (`--no-prepare-ahead`, to measure what creating segments and faulting pages in ahead gives).
nonisolated(unsafe) var journalOptions: JournalOptions = {
    var options = JournalOptions()
    options.prepareAhead = !CommandLine.arguments.contains("--no-prepare-ahead")
    return options
}()

/// The producer role for the journal: `count` appends of `size` bytes through one `JournalAppender`,
/// paced like `ipc_produce`.
func produceJournal(directory: String, size: Int, count: UInt64, rate: Double) throws {
    let journal = try Journal(directory: directory, options: journalOptions)
    let appender = try journal.appender()
    let message = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { message.deallocate() }
    for i in 0..<size { message[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
    let period = rate > 0 ? 1e9 / rate : 0
    let start = ipc_now_ns()
    var last: JournalIndex?
    for i in 0..<count {
        if period > 0 { ipc_spin_until(start + UInt64(period * Double(i))) }
        let now = i == 0 ? start : ipc_now_ns()
        message.storeBytes(of: i, toByteOffset: 0, as: UInt64.self)
        message.storeBytes(of: now, toByteOffset: 8, as: UInt64.self)
        last = try appender.append(UnsafeRawBufferPointer(message))
    }
    _ = last
}

/// The consumer role for the journal: reads `count` records in place (`Tailer.withNext`, no copy of
/// the payload), checking sequence numbers and size.
func consumeJournal(tailer: Tailer, spin: Bool, size: Int, count: UInt64, recordLatencies: Bool, producerAlive: () -> Bool) throws -> ConsumeResult {
    var result = ConsumeResult(count: count, firstSend: 0, lastSend: 0, lastReceive: 0, latencies: [])
    if recordLatencies { result.latencies.reserveCapacity(Int(count)) }
    var now: UInt64 = 0
    var idle = 0
    // The payload's size, sequence number and send time, read in place.
    let read = { (record: JournalRecordView) -> (Int, UInt64, UInt64) in
        (record.payload.count, record.payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self), record.payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }
    for i in 0..<count {
        var found: (Int, UInt64, UInt64)?
        if spin {
            while true {
                found = try tailer.withNext(timeout: .zero, read)
                if found != nil { break }
                idle &+= 1
                if idle & 0xFFFFF == 0, !producerAlive() { throw BenchFailure("producer exited after \(i) of \(count) records") }
            }
        } else {
            while found == nil {
                found = try tailer.withNext(timeout: .seconds(1), read)
                if found == nil, !producerAlive() { throw BenchFailure("producer exited after \(i) of \(count) records") }
            }
        }
        now = ipc_now_ns()
        let (bytes, seq, sent) = found!
        guard bytes == size else { throw BenchFailure("record \(i) has \(bytes) bytes, expected \(size)") }
        guard seq == i else { throw BenchFailure("record \(i) carries sequence number \(seq)") }
        if i == 0 { result.firstSend = sent }
        result.lastSend = sent
        if recordLatencies { result.latencies.append(now &- sent) }
    }
    result.lastReceive = now
    return result
}

// MARK: C baselines

func produceBaseline(_ transport: Transport, name: String, fd: Int32, size: Int, count: UInt64, rate: Double) throws {
    var channel = ipc_channel()
    let opened = ipc_open_producer(transport.cKind, name, fd, Int32(size), &channel)
    guard opened == 0 else { throw BenchFailure("open producer \(transport.rawValue): \(String(cString: strerror(opened)))") }
    let produced = ipc_produce(&channel, count, rate)
    ipc_close(&channel, nil)
    guard produced == 0 else { throw BenchFailure("produce \(transport.rawValue): \(String(cString: strerror(produced)))") }
}

func consumeBaseline(_ channel: inout ipc_channel, transport: Transport, count: UInt64, recordLatencies: Bool) throws -> ConsumeResult {
    var result = ConsumeResult(count: count, firstSend: 0, lastSend: 0, lastReceive: 0, latencies: [])
    var bad: UInt64 = 0
    var status: Int32 = 0
    if recordLatencies {
        result.latencies = [UInt64](repeating: 0, count: Int(count))
        status = result.latencies.withUnsafeMutableBufferPointer {
            ipc_consume(&channel, count, $0.baseAddress, &result.firstSend, &result.lastSend, &result.lastReceive, &bad)
        }
    } else {
        status = ipc_consume(&channel, count, nil, &result.firstSend, &result.lastSend, &result.lastReceive, &bad)
    }
    if status == -1 { throw BenchFailure("\(transport.rawValue): out of order, got sequence number \(bad)") }
    if status != 0 { throw BenchFailure("consume \(transport.rawValue): \(String(cString: strerror(status)))") }
    return result
}
