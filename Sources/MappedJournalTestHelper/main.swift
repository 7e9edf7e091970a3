// A child process for the multi-process tests of MappedJournal: producers and consumers.
// Each command prints what it did on stdout, one line at a time; "ready" means "kill me now".
@_spi(Testing) import MappedJournal
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func say(_ text: String) {
    print(text)
    fflush(nil)
}

func fail(_ text: String) -> Never {
    let line = "journal helper: \(text)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("no command") }
func argument(_ index: Int) -> String {
    guard index < arguments.count else { fail("\(command): missing argument \(index)") }
    return arguments[index]
}
func integer(_ index: Int) -> Int {
    guard let value = Int(argument(index)) else { fail("\(command): argument \(index) is not an integer") }
    return value
}

func options(segmentSize: Int, padTimeoutMilliseconds: Int) -> JournalOptions {
    var options = JournalOptions()
    options.segmentSize = segmentSize
    options.indexStride = 16
    options.padTimeout = .milliseconds(padTimeoutMilliseconds)
    return options
}

/// A self-checking payload: producer, sequence, a body of a length and content derived from
/// both, and a CRC32C of everything before it.
func makePayload(producer: UInt32, sequence: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: producer.littleEndian) { bytes += $0 }
    withUnsafeBytes(of: sequence.littleEndian) { bytes += $0 }
    let length = Int((producer &* 7919 &+ sequence &* 104_729) % 300)
    for position in 0..<length { bytes.append(UInt8(truncatingIfNeeded: Int(producer) &* 31 &+ Int(sequence) &+ position)) }
    withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { bytes += $0 }
    return bytes
}

/// The producer and sequence of a payload made by `makePayload`, or nil when it is not intact.
func parsePayload(_ bytes: [UInt8]) -> (producer: UInt32, sequence: UInt32)? {
    guard bytes.count >= 12 else { return nil }
    let body = Array(bytes.dropLast(4))
    let stored = bytes.suffix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    guard CRC32C.checksum(body) == UInt32(littleEndian: stored) else { return nil }
    let producer = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }
    let sequence = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
    guard makePayload(producer: producer, sequence: sequence) == bytes else { return nil }
    return (producer, sequence)
}

/// What a consumer has seen: per-producer next sequence, a count, and a hash of the order.
struct Progress {
    var next: [UInt32] = Array(repeating: 0, count: 16)
    var count: UInt64 = 0
    var hash: UInt32 = 0

    /// Takes one record; returns a complaint when it is a repeat, a gap or damaged.
    mutating func take(_ record: JournalRecord) -> String? {
        guard let (producer, sequence) = parsePayload(record.payload), producer < 16 else {
            return "bad payload at \(record.index)"
        }
        if sequence < next[Int(producer)] { return "repeat of producer \(producer) sequence \(sequence) at \(record.index)" }
        if sequence > next[Int(producer)] { return "gap: producer \(producer) sequence \(sequence), expected \(next[Int(producer)]) at \(record.index)" }
        next[Int(producer)] += 1
        count += 1
        var pair: [UInt8] = []
        withUnsafeBytes(of: producer) { pair += $0 }
        withUnsafeBytes(of: sequence) { pair += $0 }
        hash = CRC32C.checksum(pair, continuing: hash)
        return nil
    }

    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        for value in next { withUnsafeBytes(of: value) { bytes += $0 } }
        withUnsafeBytes(of: count) { bytes += $0 }
        withUnsafeBytes(of: hash) { bytes += $0 }
        return bytes
    }

    init() {}

    init?(encoded bytes: [UInt8]) {
        guard bytes.count == 16 * 4 + 12 else { return nil }
        bytes.withUnsafeBytes { raw in
            for producer in 0..<16 { next[producer] = raw.loadUnaligned(fromByteOffset: producer * 4, as: UInt32.self) }
            count = raw.loadUnaligned(fromByteOffset: 64, as: UInt64.self)
            hash = raw.loadUnaligned(fromByteOffset: 72, as: UInt32.self)
        }
    }
}

do {
    switch command {
    case "produce":  // produce <dir> <producer> <count> <segmentSize> <padTimeoutMs>
        let journal = try Journal(directory: argument(1), options: options(segmentSize: integer(4), padTimeoutMilliseconds: integer(5)))
        let producer = UInt32(integer(2))
        for sequence in 0..<UInt32(integer(3)) {
            try journal.append(makePayload(producer: producer, sequence: sequence))
        }
        say("done")
    case "consume":  // consume <dir> <expected> <segmentSize> <padTimeoutMs> <timeoutSeconds>
        let journal = try Journal(directory: argument(1), options: options(segmentSize: integer(3), padTimeoutMilliseconds: integer(4)))
        let tailer = try journal.tailer(from: .start)
        var progress = Progress()
        let expected = UInt64(integer(2))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(integer(5)))
        while progress.count < expected {
            guard clock.now < deadline else {
                say("timeout \(progress.count)")
                exit(1)
            }
            guard let record = try tailer.next(timeout: .milliseconds(200)) else { continue }
            if let complaint = progress.take(record) {
                say("bad \(complaint)")
                exit(1)
            }
        }
        // Nothing more may follow.
        if let extra = try tailer.next(timeout: .milliseconds(50)) {
            say("bad extra record \(extra.index)")
            exit(1)
        }
        say("ok \(progress.count) \(progress.hash) padded \(tailer.paddedOver)")
    case "cursor-consume":  // cursor-consume <dir> <name> <expected> <segmentSize> <padTimeoutMs> <timeoutSeconds>
        let journal = try Journal(directory: argument(1), options: options(segmentSize: integer(4), padTimeoutMilliseconds: integer(5)))
        let tailer = try journal.tailer(cursor: argument(2))
        var progress = Progress(encoded: tailer.committedState) ?? Progress()
        say("resumed \(progress.count)")
        let expected = UInt64(integer(3))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(integer(6)))
        while progress.count < expected {
            guard clock.now < deadline else {
                say("timeout \(progress.count)")
                exit(1)
            }
            guard let record = try tailer.next(timeout: .milliseconds(200)) else { continue }
            if let complaint = progress.take(record) {
                say("bad \(complaint)")
                exit(1)
            }
            // The consumer's whole state goes into the cursor with the position: a kill at any
            // instant leaves both at the same record.
            try tailer.commit(state: progress.encoded, durable: false)
            if progress.count % 100 == 0 { say("progress \(progress.count)") }
        }
        say("ok \(progress.count) \(progress.hash)")
    case "claim-and-hang":  // claim-and-hang <dir> <segmentSize> <padTimeoutMs>: dies holding a claimed slot
        let journal = try Journal(directory: argument(1), options: options(segmentSize: integer(2), padTimeoutMilliseconds: integer(3)))
        let position = try journal.claimWithoutPublishing(payloadLength: 40)
        say("ready \(position.segment) \(position.offset)")
        while true { withExtendedLifetime(journal) { _ = sleep(60) } }
    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("\(error)")
}
