import MappedMemory

extension Journal {
    /// Deletes whole segments from the oldest on: those whose records are all older than
    /// `maximumAge` (the next segment's first record is older than that), and then as many more as needed to
    /// bring the journal under `maximumBytes`. The segment producers append to (and the one created
    /// ahead of it) is never deleted.
    ///
    /// A segment that a named cursor still needs (its committed position is in it or before it) is
    /// kept, and so is every segment after it, unless `force` is true. Tailers that are reading a
    /// deleted segment finish it (the mapping stays valid) and continue at the oldest remaining one.
    ///
    /// Cost: one directory listing, reading each cursor file, one `unlink` per deleted segment.
    /// - Returns: the numbers of the deleted segments.
    /// - Throws: `.readOnly`; system errors from listing or unlinking.
    @discardableResult
    public func retire(maximumAge: Duration? = nil, maximumBytes: Int? = nil, force: Bool = false) throws(JournalError) -> [UInt32] {
        try requireWritable("retire")
        let numbers = try segmentNumbers()
        guard numbers.count > 1 else { return [] }
        var protectedFrom = UInt32.max
        if !force {
            for name in try cursorNames() {
                if let state = try? cursor(name) { protectedFrom = min(protectedFrom, state.position.segment) }
            }
        }
        let now = wallClockNanoseconds()
        let cutoff = maximumAge.map { age -> Int64 in
            let (seconds, attoseconds) = age.components
            return now - (seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        var sizes: [UInt32: Int] = [:]
        var total = 0
        for number in numbers {
            let size = Int(Directory.fileSize(segmentPath(number)) ?? 0)
            sizes[number] = size
            total += size
        }
        // Never the segment producers append to, nor the one created ahead of it.
        let active = try activeSegment()?.number ?? numbers.last!
        var removed: [UInt32] = []
        for (position, number) in numbers.enumerated().dropLast() {
            guard number < protectedFrom, number < active else { break }
            let successor = numbers[position + 1]
            var old = false
            // The successor's first record is (up to producers in flight at the roll) newer than
            // every record of this segment.
            if let cutoff, let newer = try firstTimestamp(successor), newer < cutoff { old = true }
            let tooBig = maximumBytes.map { total > $0 } ?? false
            guard old || tooBig else { break }
            forget(number)
            try Directory.remove(segmentPath(number))
            total -= sizes[number] ?? 0
            removed.append(number)
        }
        if !removed.isEmpty {
            try mapped("retire") { () throws(MappedMemoryError) in try DirectorySync.synchronize(path: directory, system: system) }
        }
        return removed
    }
}
