#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MappedMemory

/// The few directory operations the journal needs besides MappedMemory: listing, linking, removing.
enum Directory {
    /// The names in `path` (without `.` and `..`).
    static func names(in path: String) throws(JournalError) -> [String] {
        guard let stream = opendir(path) else {
            throw .system("list", .system("opendir", path: path, errno: errno))
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The segment numbers present in `path`, ascending.
    static func segmentNumbers(in path: String) throws(JournalError) -> [UInt32] {
        try names(in: path).compactMap(SegmentFormat.number(fromFileName:)).sorted()
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates the directory if it is missing.
    static func make(_ path: String) throws(JournalError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .system("create", .system("mkdir", path: path, errno: errno))
        }
    }

    /// Gives the file at `source` the name `target` unless `target` exists; returns whether it did.
    static func linkIfAbsent(_ source: String, _ target: String) throws(JournalError) -> Bool {
        if link(source, target) == 0 { return true }
        if errno == EEXIST { return false }
        throw .system("create segment", .system("link", path: target, errno: errno))
    }

    /// Removes the temporary files of segments being created (`.segment-….tmp`) in `path`: call
    /// only when no process can be creating one. Best effort.
    static func removeSegmentTemporaries(in path: String) {
        guard let names = try? names(in: path) else { return }
        for name in names where name.hasPrefix(".segment-") && name.hasSuffix(".tmp") {
            try? remove(path + "/" + name)
        }
    }

    static func remove(_ path: String) throws(JournalError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw .system("remove", .system("unlink", path: path, errno: errno))
        }
    }

    /// Modification time of `path` in nanoseconds since 1970, or nil.
    static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if os(Linux)
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #else
        return Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #endif
    }
}

/// Wall-clock time in nanoseconds since 1970.
func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// `CLOCK_MONOTONIC` in nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// `duration` in nanoseconds (saturating; negative durations are 0).
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? .max : whole.addingSaturating(attoseconds / 1_000_000_000)
}

extension Int64 {
    func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

var processID: Int32 { getpid() }

extension Directory {
    /// The size of the file at `path`, or nil.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }
}
