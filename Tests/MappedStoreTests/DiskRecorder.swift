import Foundation
import MnemapTestSupport
import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A disk that remembers: a `SystemCalls` seam that passes every call through to the real file
/// system and records, in order, each write, size change and sync of one file. From the record
/// it builds what the disk could hold after a power loss at any point: everything synced, plus
/// any subset of the later writes, each possibly torn at 512-byte sectors.
final class DiskRecorder: @unchecked Sendable {
    enum Operation {
        case write(offset: Int64, bytes: [UInt8])
        case resize(Int64)
        case sync
    }

    let watchedPath: String
    private let state = Mutex<(descriptors: Set<Int32>, log: [Operation])>((descriptors: [], log: []))

    init(watching path: String) { watchedPath = path }

    var log: [Operation] { state.withLock { $0.log } }
    var count: Int { state.withLock { $0.log.count } }

    private func record(_ fd: Int32, _ operation: Operation) {
        state.withLock { if $0.descriptors.contains(fd) { $0.log.append(operation) } }
    }

    var system: SystemCalls {
        var system = SystemCalls.live
        let watched = watchedPath
        system.open = { [self] path, flags, permissions in
            let fd = SystemCalls.live.open(path, flags, permissions)
            if fd >= 0 && path == watched && flags & O_ACCMODE != O_RDONLY { state.withLock { _ = $0.descriptors.insert(fd) } }
            return fd
        }
        system.close = { [self] fd in
            state.withLock { _ = $0.descriptors.remove(fd) }
            return SystemCalls.live.close(fd)
        }
        system.pwrite = { [self] fd, buffer, count, offset in
            let written = SystemCalls.live.pwrite(fd, buffer, count, offset)
            if written > 0 { record(fd, .write(offset: offset, bytes: Array(UnsafeRawBufferPointer(start: buffer, count: written)))) }
            return written
        }
        // A vectored write is recorded as one write of its buffers back to back.
        system.pwritev = { [self] fd, buffers, count, offset in
            var bytes: [UInt8] = []
            for vector in UnsafeBufferPointer(start: buffers, count: Int(count)) {
                bytes += UnsafeRawBufferPointer(start: vector.iov_base, count: vector.iov_len)
            }
            let written = bytes.withUnsafeBytes { SystemCalls.live.pwrite(fd, $0.baseAddress!, $0.count, offset) }
            if written > 0 { record(fd, .write(offset: offset, bytes: Array(bytes.prefix(written)))) }
            return written
        }
        system.truncate = { [self] fd, size in
            let result = SystemCalls.live.truncate(fd, size)
            if result == 0 { record(fd, .resize(size)) }
            return result
        }
        system.fdatasync = { [self] fd in
            let result = SystemCalls.live.fdatasync(fd)
            if result == 0 { record(fd, .sync) }
            return result
        }
        system.fsync = { [self] fd in
            let result = SystemCalls.live.fsync(fd)
            if result == 0 { record(fd, .sync) }
            return result
        }
        return system
    }

    /// Disk images after a power loss at `point` (the first `point` operations happened).
    struct Crash {
        var durable: [UInt8]
        var pending: [Operation]
    }

    /// The durable image and the unsynced operations at `point`.
    func crash(at point: Int) -> Crash {
        let operations = Array(log.prefix(point))
        var image: [UInt8] = []
        var pending: [Operation] = []
        for operation in operations {
            switch operation {
            case .sync:
                for write in pending { Self.apply(write, to: &image, sectors: nil) }
                pending.removeAll()
            default:
                pending.append(operation)
            }
        }
        return Crash(durable: image, pending: pending)
    }

    /// Applies `operation`; with `sectors`, a write lands only in the 512-byte sectors it names.
    static func apply(_ operation: Operation, to image: inout [UInt8], sectors: Set<Int>?) {
        switch operation {
        case .write(let offset, let bytes):
            let end = Int(offset) + bytes.count
            if image.count < end { image += [UInt8](repeating: 0, count: end - image.count) }
            for sector in stride(from: 0, to: bytes.count, by: 512) {
                if let sectors, !sectors.contains(sector / 512) { continue }
                let upper = min(bytes.count, sector + 512)
                image.replaceSubrange((Int(offset) + sector)..<(Int(offset) + upper), with: bytes[sector..<upper])
            }
        case .resize(let size):
            if image.count < Int(size) { image += [UInt8](repeating: 0, count: Int(size) - image.count) } else { image.removeLast(image.count - Int(size)) }
        case .sync:
            break
        }
    }
}

extension DiskRecorder.Crash {
    /// One possible disk: the durable image plus a random subset of the pending operations,
    /// in order, writes possibly torn.
    func possibleImage(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var image = durable
        let mode = Int.random(in: 0..<4, using: &generator)
        for operation in pending {
            switch mode {
            case 0: continue                      // nothing after the last sync reached the disk
            case 1: DiskRecorder.apply(operation, to: &image, sectors: nil)   // everything did
            default:
                guard Bool.random(using: &generator) else { continue }
                if case .write(_, let bytes) = operation, Int.random(in: 0..<3, using: &generator) == 0 {
                    let sectors = Set((0..<((bytes.count + 511) / 512)).filter { _ in Bool.random(using: &generator) })
                    DiskRecorder.apply(operation, to: &image, sectors: sectors)
                } else {
                    DiskRecorder.apply(operation, to: &image, sectors: nil)
                }
            }
        }
        return image
    }
}
