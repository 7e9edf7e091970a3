import Atomics
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock file beside the data file (`<store>-lock`): shared state of every process that
/// has the store open. Not durable and never needed after the last process closes.
///
/// ```
///     0 magic        UInt64 "MNEMAPLK"
///     8 version      UInt32
///    12 slotCount    UInt32
///    16 bootID       16 bytes   the boot during which the file was initialised
///    32 current      UInt64     txnID of the newest visible commit (atomic)
///    40 durable      UInt64     txnID of the newest meta known durable on disk (atomic)
///    48 durableSlot  UInt64     data-file meta slot (0 or 1) that holds it
///    56 highWater    UInt64     reader slots ever used (atomic)
///  4096 meta copy for even txnIDs (a meta page image)
///  8192 meta copy for odd txnIDs
/// 12288 reader slots: slotCount × (pid UInt64, txnID UInt64), atomic
/// ```
/// Byte-range locks (OFD) on the file: byte 0 shared by every opener (exclusive while the first
/// opener initialises), byte 1 exclusive for the one writer.
final class LockFile: @unchecked Sendable {
    static let magic: UInt64 = 0x4B4C_5041_4D45_4E4D  // "MNEMAPLK"
    static let version: UInt32 = 1
    static let slotCount = 1024
    static let metaCopyOffset = 4096
    static let slotsOffset = 12288
    static let size = slotsOffset + slotCount * 16

    let path: String
    let file: MappedFile
    let openLock: FileLock
    let writerLock: FileLock
    /// True when this process initialised the file (no other process had the store open).
    let isFirstOpener: Bool
    private let base: UnsafeMutableRawPointer

    init(path: String, system: SystemCalls) throws(MappedMemoryError) {
        self.path = path
        openLock = try FileLock(path: path, system: system)
        writerLock = try FileLock(path: path, system: system)
        if try openLock.tryLock(.exclusive, range: 0..<1) {
            isFirstOpener = true
        } else {
            try openLock.lock(.shared, range: 0..<1)
            isFirstOpener = false
        }
        if isFirstOpener {
            let data = try SystemFile(path: path, system: system)
            if try data.size() < Int64(Self.size) { try data.grow(to: Int64(Self.size)) }
        }
        file = try MappedFile(path: path, mode: .readWrite, length: Self.size)
        base = file.unsafeBaseAddress!
    }

    /// Ends initialisation: from now on other processes may open the store.
    func finishOpening() throws(MappedMemoryError) {
        if isFirstOpener { try openLock.lock(.shared, range: 0..<1) }
    }

    private func word(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic<UInt64>(at: (base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    var isValid: Bool {
        base.load(fromByteOffset: 0, as: UInt64.self) == Self.magic
            && base.load(fromByteOffset: 8, as: UInt32.self) == Self.version
            && base.load(fromByteOffset: 12, as: UInt32.self) == UInt32(Self.slotCount)
    }

    var bootID: [UInt8] { Array(UnsafeRawBufferPointer(start: base + 16, count: 16)) }

    /// Resets the file for a store whose visible state is `meta` and durable state `durable` in `slot`.
    func initialize(visible meta: Meta, durable: UInt64, durableSlot: UInt64) {
        memset(base + Self.slotsOffset, 0, Self.slotCount * 16)
        base.storeBytes(of: Self.magic, toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: Self.version, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: UInt32(Self.slotCount), toByteOffset: 12, as: UInt32.self)
        let boot = BootIdentity.current
        for index in 0..<16 { base.storeBytes(of: boot[index], toByteOffset: 16 + index, as: UInt8.self) }
        word(56).store(0, ordering: .sequentiallyConsistent)
        self.durable = durable
        self.durableSlot = durableSlot
        publish(meta)
    }

    var isSameBoot: Bool { BootIdentity.isCurrent(bootID) }

    var current: UInt64 { word(32).load(ordering: .sequentiallyConsistent) }

    var durable: UInt64 {
        get { word(40).load(ordering: .sequentiallyConsistent) }
        set { word(40).store(newValue, ordering: .sequentiallyConsistent) }
    }

    var durableSlot: UInt64 {
        get { word(48).load(ordering: .sequentiallyConsistent) }
        set { word(48).store(newValue, ordering: .sequentiallyConsistent) }
    }

    /// Makes `meta` the visible state: its copy first, then the txnID (release).
    func publish(_ meta: Meta) {
        let image = meta.page(slot: 0)
        let target = base + Self.metaCopyOffset + Int(meta.txnID % 2) * PageLayout.pageSize
        image.bytes.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: PageLayout.pageSize) }
        word(32).store(meta.txnID, ordering: .sequentiallyConsistent)
    }

    /// The copy of the meta of `txnID`, if it is intact and still that transaction's.
    func metaCopy(_ txnID: UInt64) -> Meta? {
        var page = [UInt8](repeating: 0, count: PageLayout.pageSize)
        let source = base + Self.metaCopyOffset + Int(txnID % 2) * PageLayout.pageSize
        page.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source, byteCount: PageLayout.pageSize) }
        guard case .success(let meta) = page.withUnsafeBytes({ Meta.decode($0, slot: 0) }), meta.txnID == txnID else { return nil }
        return meta
    }

    // MARK: Reader slots

    private func slotPID(_ slot: Int) -> UnsafeAtomic<UInt64> { word(Self.slotsOffset + slot * 16) }
    private func slotTxn(_ slot: Int) -> UnsafeAtomic<UInt64> { word(Self.slotsOffset + slot * 16 + 8) }

    /// Claims a reader slot for this process.
    func claimSlot() -> Int? {
        let pid = UInt64(getpid())
        for slot in 0..<Self.slotCount where slotPID(slot).load(ordering: .relaxed) == 0 {
            if slotPID(slot).compareExchange(expected: 0, desired: pid, ordering: .sequentiallyConsistent).exchanged {
                let highWater = word(56)
                var seen = highWater.load(ordering: .relaxed)
                while seen < UInt64(slot + 1) {
                    let (done, now) = highWater.compareExchange(expected: seen, desired: UInt64(slot + 1), ordering: .sequentiallyConsistent)
                    if done { break }
                    seen = now
                }
                return slot
            }
        }
        return nil
    }

    func setSlotTxn(_ slot: Int, _ txnID: UInt64) {
        slotTxn(slot).store(txnID, ordering: .sequentiallyConsistent)
    }

    func releaseSlot(_ slot: Int) {
        slotTxn(slot).store(0, ordering: .sequentiallyConsistent)
        slotPID(slot).store(0, ordering: .sequentiallyConsistent)
    }

    /// The oldest snapshot a live reader uses (nil: no readers). Slots of dead processes are reclaimed.
    func oldestReader() -> UInt64? {
        let myPID = UInt64(getpid())
        var oldest: UInt64?
        let used = Int(min(UInt64(Self.slotCount), word(56).load(ordering: .sequentiallyConsistent)))
        for slot in 0..<used {
            let pid = slotPID(slot).load(ordering: .sequentiallyConsistent)
            guard pid != 0 else { continue }
            let txnID = slotTxn(slot).load(ordering: .sequentiallyConsistent)
            if pid != myPID && kill(pid_t(truncatingIfNeeded: pid), 0) != 0 && errno == ESRCH {
                if slotPID(slot).compareExchange(expected: pid, desired: 0, ordering: .sequentiallyConsistent).exchanged {
                    slotTxn(slot).store(0, ordering: .sequentiallyConsistent)
                }
                continue
            }
            if txnID != 0 { oldest = min(oldest ?? txnID, txnID) }
        }
        return oldest
    }

    /// Live readers: (pid, txnID) of every claimed slot with a snapshot.
    func readers() -> [(pid: Int32, txnID: UInt64)] {
        let used = Int(min(UInt64(Self.slotCount), word(56).load(ordering: .sequentiallyConsistent)))
        return (0..<used).compactMap { slot in
            let pid = slotPID(slot).load(ordering: .sequentiallyConsistent)
            let txnID = slotTxn(slot).load(ordering: .sequentiallyConsistent)
            return pid != 0 && txnID != 0 ? (Int32(truncatingIfNeeded: pid), txnID) : nil
        }
    }
}
