import Foundation
import MappedMemory

extension VectorIndex {
    /// Rebuilds the index in `directory` without its deleted vectors and switches to the new
    /// files atomically: a process opening the folder sees the old index or the new one, never a
    /// mix; processes that still have the old files open keep searching them until they reopen.
    ///
    /// Takes the writer lock for the whole rebuild. Returns, for every surviving vector, its new
    /// id (new ids are dense, in the old order).
    /// - Throws: `.writerExists` when another process is writing.
    @discardableResult
    public static func compact(directory: String) throws -> [UInt32: UInt32] {
        let old = try VectorIndex(directory: directory, writable: true)
        let building = directory.hasSuffix("/") ? String(directory.dropLast()) + ".compacting" : directory + ".compacting"
        try? FileManager.default.removeItem(atPath: building)
        var mapping: [UInt32: UInt32] = [:]
        do {
            let fresh = try VectorIndex.create(at: building, configuration: old.configuration)
            for index in 0..<old.count {
                let id = UInt32(index)
                guard !old.isDeleted(id) else { continue }
                mapping[id] = try fresh.add(old.storage.vector(id))
            }
            try fresh.commit()
        }
        do {
            try PathExchange.exchange(directory, building)
            let parent = (directory as NSString).deletingLastPathComponent
            try DirectorySync.synchronize(path: parent.isEmpty ? "." : parent)
        } catch {
            throw VectorIndexError.wrap(error, path: directory)
        }
        try? FileManager.default.removeItem(atPath: building)
        withExtendedLifetime(old) {}
        return mapping
    }
}
