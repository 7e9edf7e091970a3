import MappedMemory

extension MappedStore {
    /// Writes a consistent copy of the current snapshot to a new store at `destination`, while
    /// readers and writers go on (an online backup).
    ///
    /// - `compact: false` copies the snapshot's pages as they are (fast, same size).
    /// - `compact: true` rewrites every tree in key order into full pages, leaving out free
    ///   pages: the smallest file that holds the data.
    ///
    /// The copy is synced (file and folder) before this returns.
    /// - Throws: `EEXIST`-like `.invalidArgument` when `destination` exists; `.system` on I/O errors.
    public func copy(to destination: String, compact: Bool = false) throws {
        guard !pathExists(destination) else {
            throw StoreError(path: destination, reason: .invalidArgument("the destination exists; copy only to a new path."))
        }
        if compact {
            try compactCopy(to: destination)
        } else {
            try pageCopy(to: destination)
        }
    }

    private func pageCopy(to destination: String) throws {
        try read { tx in
            do {
                let target = try SystemFile(path: destination, create: true, system: options.system)
                let bytes = Int(tx.meta.pageCount) * PageLayout.pageSize
                try target.grow(to: Int64(bytes))
                // Meta pages: the snapshot's meta in both slots.
                for slot in [PageNumber(0), 1] {
                    let page = tx.meta.page(slot: slot)
                    try page.bytes.withUnsafeBytes { try target.write($0, at: Int64(slot) * Int64(PageLayout.pageSize)) }
                }
                let chunk = 256 * PageLayout.pageSize
                var offset = 2 * PageLayout.pageSize
                while offset < bytes {
                    let length = min(chunk, bytes - offset)
                    try target.write(UnsafeRawBufferPointer(start: tx.source.base + offset, count: length), at: Int64(offset))
                    offset += length
                }
                try target.synchronize(.full)
                try DirectorySync.synchronize(path: Self.folder(of: destination))
            } catch let error as MappedMemoryError {
                throw StoreError.wrap(error, path: destination)
            }
        }
    }

    private func compactCopy(to destination: String) throws {
        let target = try MappedStore(path: destination, options: Options(durability: .noSync, system: options.system))
        try read { tx in
            func copyTree(_ name: String?) throws {
                var batch: [([UInt8], [UInt8])] = []
                func flush() throws {
                    guard !batch.isEmpty else { return }
                    try target.write { out in
                        if let name { try out.createTree(name) }
                        for (key, value) in batch { try out.append(key, value, in: name) }
                    }
                    batch.removeAll(keepingCapacity: true)
                }
                // Commit in slices, so that memory is bounded by a slice, not by the store.
                try tx.scan(in: name) { key, value in
                    batch.append((Array(key), Array(value)))
                    if batch.count == 50_000 { try flush() }
                    return true
                }
                try flush()
                if let name { try target.write { out in try out.createTree(name) } }
            }
            try copyTree(nil)
            for name in try tx.treeNames() { try copyTree(name) }
        }
        try target.sync()
        do {
            try DirectorySync.synchronize(path: Self.folder(of: destination))
        } catch {
            throw StoreError.wrap(error, path: destination)
        }
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func pathExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}
