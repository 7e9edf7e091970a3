// A child process for the multi-process and crash tests of MappedStore.
//
// The workload keeps an invariant a reader can verify in any snapshot: key "total" holds T,
// keys "entry-0" ..< "entry-T" exist, and each entry's value carries its own checksum.
import MappedMemory
import MappedStore
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
    let line = "store-helper: \(text)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func entryKey(_ index: UInt64) -> [UInt8] { Array("entry-\(index)".utf8) }

/// A value of varying length (some in overflow pages) that ends with the CRC32C of the rest.
func entryValue(_ index: UInt64, writer: Int) -> [UInt8] {
    let length = index % 17 == 0 ? 5000 : Int(index % 200) + 8
    var bytes = (0..<length).map { UInt8(truncatingIfNeeded: Int(index) &* 7 &+ $0 &+ writer) }
    let crc = CRC32C.checksum(bytes)
    withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
    return bytes
}

func valueIsIntact(_ value: UnsafeRawBufferPointer) -> Bool {
    guard value.count >= 4 else { return false }
    let body = UnsafeRawBufferPointer(rebasing: value[..<(value.count - 4)])
    let stored = value.loadUnaligned(fromByteOffset: value.count - 4, as: UInt32.self)
    return CRC32C.checksum(body) == UInt32(littleEndian: stored)
}

func total(_ tx: ReadTransaction) throws -> UInt64 {
    try tx.withValue(for: Array("total".utf8)) { $0.loadUnaligned(as: UInt64.self) } ?? 0
}

/// Verifies the invariant in one snapshot; returns T.
func verify(_ tx: ReadTransaction) throws -> UInt64 {
    let count = try total(tx)
    let entries = try tx.info().entries
    let hasTotal = try tx.contains(Array("total".utf8))
    guard entries == count + (hasTotal ? 1 : 0) else { fail("snapshot \(tx.txnID): total \(count) but \(entries) entries") }
    guard try !tx.contains(entryKey(count)) else { fail("snapshot \(tx.txnID): entry \(count) exists beyond the total") }
    for index in stride(from: count, to: count > 20 ? count - 20 : 0, by: -1) {
        let intact = try tx.withValue(for: entryKey(index - 1)) { valueIsIntact($0) }
        guard intact == true else { fail("snapshot \(tx.txnID): entry \(index - 1) missing or damaged") }
    }
    return count
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else { fail("usage: writer|reader <path> ...") }
let path = arguments[1]

do {
    let store = try MappedStore(path: path)
    switch arguments[0] {
    case "writer":  // writer <path> <id> <transactions> [batch]: appends entries, forever if transactions is 0
        let writer = Int(arguments[2]) ?? 0
        let transactions = Int(arguments[3]) ?? 0
        let batch = arguments.count > 4 ? Int(arguments[4]) ?? 1 : 1
        say("ready")
        var done = 0
        while transactions == 0 || done < transactions {
            try store.write { tx in
                var count = try total(tx)
                for _ in 0..<batch {
                    try tx.put(entryKey(count), entryValue(count, writer: writer))
                    count += 1
                }
                try tx.put(Array("total".utf8), withUnsafeBytes(of: count) { Array($0) })
            }
            done += 1
        }
        say("done \(done)")
    case "reader":  // reader <path> <milliseconds>: verifies snapshots until the time is up
        let milliseconds = Int(arguments[2]) ?? 1000
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(milliseconds)
        var last: UInt64 = 0
        var snapshots = 0
        say("ready")
        while clock.now < deadline {
            let count = try store.read { tx in try verify(tx) }
            guard count >= last else { fail("total went back from \(last) to \(count)") }
            last = count
            snapshots += 1
        }
        say("ok \(snapshots) \(last)")
    case "verify":  // verify <path>: checks the invariant and the whole structure once
        let count = try store.read { tx in try verify(tx) }
        let report = try store.check()
        guard report.isIntact else { fail("check: \(report.problems.prefix(3))") }
        say("ok \(count)")
    default:
        fail("unknown command \(arguments[0])")
    }
} catch {
    fail("\(error)")
}
