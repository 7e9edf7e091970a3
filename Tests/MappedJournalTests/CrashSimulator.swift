import Foundation
import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Simulated power loss under the journal, through the system-call seam.
///
/// The recorder's `system` passes every call to the kernel and keeps, per file (by inode, so hard
/// links and renames do not matter), a *durable image*: the bytes a successful `msync(MS_SYNC)`,
/// `fsync` or `fdatasync` put on stable storage. For directories it keeps the names present at the
/// last directory sync. ``materialize(into:keeping:seed:)`` then builds the files a machine could
/// find after losing power now: each file's durable image, plus, for every 512-byte sector whose
/// current bytes were never synced, the new sector with some probability (the kernel may have written
/// it back on its own) or the old one. Sectors are atomic; pages and files are not.
final class CrashRecorder: @unchecked Sendable {
    struct Mapping {
        var address: UInt
        var length: Int
        var inode: UInt64
        var offset: Int64
    }

    struct State {
        var inodes: [Int32: UInt64] = [:]
        var directories: [Int32: String] = [:]
        var mappings: [Mapping] = []
        var images: [UInt64: [UInt8]] = [:]
        var durableNames: [String: Set<String>] = [:]
    }

    let state = Mutex(State())
    private(set) var system = SystemCalls.live

    init() {
        var system = SystemCalls.live
        system.open = { [self] path, flags, permissions in
            let fd = SystemCalls.live.open(path, flags, permissions)
            guard fd >= 0 else { return fd }
            var info = stat()
            if fstat(fd, &info) == 0 {
                let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                state.withLock { state in
                    state.inodes[fd] = UInt64(info.st_ino)
                    if isDirectory { state.directories[fd] = path } else { state.directories[fd] = nil }
                }
            }
            return fd
        }
        system.close = { [self] fd in
            state.withLock { state in
                state.inodes[fd] = nil
                state.directories[fd] = nil
            }
            return SystemCalls.live.close(fd)
        }
        system.mmap = { [self] address, length, protection, flags, fd, offset in
            let mapped = SystemCalls.live.mmap(address, length, protection, flags, fd, offset)
            if let mapped {
                state.withLock { state in
                    if let inode = state.inodes[fd] {
                        state.mappings.append(Mapping(address: UInt(bitPattern: mapped), length: length, inode: inode, offset: offset))
                    }
                }
            }
            return mapped
        }
        system.munmap = { [self] address, length in
            state.withLock { $0.mappings.removeAll { $0.address == UInt(bitPattern: address) } }
            return SystemCalls.live.munmap(address, length)
        }
        system.mremap = { [self] address, oldLength, newLength in
            let moved = SystemCalls.live.mremap(address, oldLength, newLength)
            if let moved {
                state.withLock { state in
                    for index in state.mappings.indices where state.mappings[index].address == UInt(bitPattern: address) {
                        state.mappings[index].address = UInt(bitPattern: moved)
                        state.mappings[index].length = newLength
                    }
                }
            }
            return moved
        }
        system.msync = { [self] address, length, flags in
            let result = SystemCalls.live.msync(address, length, flags)
            if result == 0 && flags & MS_SYNC != 0 { recordFlush(address: address, length: length) }
            return result
        }
        let syncFile: @Sendable (Int32, @Sendable (Int32) -> Int32) -> Int32 = { [self] fd, call in
            let result = call(fd)
            if result == 0 { recordSync(fd) }
            return result
        }
        system.fsync = { fd in syncFile(fd, SystemCalls.live.fsync) }
        system.fdatasync = { fd in syncFile(fd, SystemCalls.live.fdatasync) }
        system.fullFsync = { fd in syncFile(fd, SystemCalls.live.fullFsync) }
        self.system = system
    }

    private func recordFlush(address: UnsafeMutableRawPointer, length: Int) {
        let start = UInt(bitPattern: address)
        state.withLock { state in
            guard let mapping = state.mappings.first(where: { start >= $0.address && start < $0.address + UInt($0.length) }) else { return }
            let count = min(length, Int(mapping.address + UInt(mapping.length) - start))
            let fileOffset = Int(mapping.offset) + Int(start - mapping.address)
            let bytes = [UInt8](UnsafeRawBufferPointer(start: address, count: count))
            var image = state.images[mapping.inode] ?? []
            if image.count < fileOffset + count { image += [UInt8](repeating: 0, count: fileOffset + count - image.count) }
            image.replaceSubrange(fileOffset..<(fileOffset + count), with: bytes)
            state.images[mapping.inode] = image
        }
    }

    private func recordSync(_ fd: Int32) {
        let (inode, directory) = state.withLock { ($0.inodes[fd], $0.directories[fd]) }
        if let directory {
            let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            state.withLock { $0.durableNames[directory] = names }
            return
        }
        guard let inode else { return }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read == bytes.count else { return }
        state.withLock { $0.images[inode] = bytes }
    }

    /// Writes into `target` the files of `source` (a directory, recursively) as they could be after
    /// power loss now. `keeping` is the probability that an unsynced sector was written back anyway.
    func materialize(_ source: String, into target: String, keeping: Double, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        try materializeDirectory(source, into: target, keeping: keeping, random: &random)
    }

    private func materializeDirectory(_ source: String, into target: String, keeping: Double, random: inout SeededRandom) throws {
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: source))
        let durable = state.withLock { $0.durableNames[source] }
        for name in present.sorted() {
            let path = source + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                try materializeDirectory(path, into: target + "/" + name, keeping: keeping, random: &random)
                continue
            }
            // A name never made durable by a directory sync may be gone.
            if let durable, !durable.contains(name), random.next() < 0.5 { continue }
            // The journal's background queue may be creating a segment while the snapshot is
            // taken: a temporary file that is gone by now (linked or removed) is simply not there.
            guard let contents = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
                var again = stat()
                guard stat(path, &again) == 0 else { continue }
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            let current = [UInt8](contents)
            let image = state.withLock { $0.images[UInt64(info.st_ino)] } ?? []
            var crashed = Array(image.prefix(current.count))
            if crashed.count < current.count { crashed += [UInt8](repeating: 0, count: current.count - crashed.count) }
            var sector = 0
            while sector < current.count {
                let end = min(current.count, sector + 512)
                if crashed[sector..<end] != current[sector..<end], random.next() < keeping {
                    crashed.replaceSubrange(sector..<end, with: current[sector..<end])
                }
                sector = end
            }
            try Data(crashed).write(to: URL(fileURLWithPath: target + "/" + name))
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing crash state can be reproduced.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<1.
    mutating func next() -> Double { Double(nextBits() >> 11) / Double(1 << 53) }

    mutating func below(_ bound: Int) -> Int { Int(nextBits() % UInt64(bound)) }
}
