#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output for bulk data, buffered and written with write(2), so that a failed
/// write (a full disk under a redirect) is an error at once. Commands that use it do not
/// also `print`.
struct StandardOutput {
    private var pending: [UInt8] = []

    mutating func write(_ bytes: some Sequence<UInt8>) throws(CommandFailure) {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 20 { try flush() }
    }

    mutating func write(_ text: String) throws(CommandFailure) {
        try write(text.utf8)
    }

    /// Writes everything buffered; call at the end.
    mutating func flush() throws(CommandFailure) {
        var written = 0
        while written < pending.count {
            let count = pending.withUnsafeBytes { raw in writeToStandardOutput(raw.baseAddress! + written, raw.count - written) }
            let error = errno
            if count < 0 && error == EINTR { continue }
            guard count > 0 else {
                throw CommandFailure("writing to standard output failed: \(String(cString: strerror(error))). Check the disk space or the pipe.")
            }
            written += count
        }
        pending.removeAll(keepingCapacity: true)
    }
}

private func writeToStandardOutput(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(1, bytes, count)
}

/// Standard input, read in large chunks and handed out a line at a time (without the newline
/// and without a carriage return before it).
struct StandardInputLines {
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Lines handed out so far: the current line's number.
    private(set) var lineNumber = 0

    mutating func next() throws(CommandFailure) -> ArraySlice<UInt8>? {
        while true {
            if let newline = newlineIndex() {
                return take(upTo: newline, skip: 1)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                return take(upTo: buffer.count, skip: 0)
            }
            buffer.removeSubrange(0..<start)
            start = 0
            atEnd = try readChunk(into: &buffer) == 0
        }
    }

    /// The index of the next newline at or after `start` (memchr: lines of a dump can be megabytes).
    private func newlineIndex() -> Int? {
        buffer.withUnsafeBytes { raw in
            guard start < raw.count, let found = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) else { return nil }
            return UnsafeRawPointer(found) - raw.baseAddress!
        }
    }

    private mutating func take(upTo end: Int, skip: Int) -> ArraySlice<UInt8> {
        var line = buffer[start..<end]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        start = end + skip
        lineNumber += 1
        return line
    }
}

/// All of standard input.
func readStandardInput() throws(CommandFailure) -> [UInt8] {
    var bytes: [UInt8] = []
    while try readChunk(into: &bytes) > 0 {}
    return bytes
}

/// Appends up to 1 MiB from standard input to `bytes`; returns the count read (0 at the end).
private func readChunk(into bytes: inout [UInt8]) throws(CommandFailure) -> Int {
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = chunk.withUnsafeMutableBytes { raw in read(0, raw.baseAddress!, raw.count) }
        let error = errno
        if count < 0 && error == EINTR { continue }
        guard count >= 0 else { throw CommandFailure("reading standard input failed: \(String(cString: strerror(error))).") }
        chunk.withUnsafeBytes { raw in bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[..<count])) }
        return count
    }
}
