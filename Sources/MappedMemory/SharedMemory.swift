#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named shared memory (`shm_open`): memory that unrelated processes map by name,
/// without a file on disk. It lives until it is removed or the machine restarts.
public enum SharedMemory {
    /// Maps the shared memory object `name` read-write, creating it when `create` is true.
    ///
    /// - Parameters:
    ///   - name: `/` followed by up to 250 characters without another `/`, e.g. `/mnemap-team-7`.
    ///   - count: the bytes to map; a smaller object is grown to it, with its memory reserved
    ///     (on Linux, so that a full `/dev/shm` is an error here, not a SIGBUS later).
    /// - Throws: `ENOENT` when it does not exist and `create` is false; `ENOSPC` when `/dev/shm` is full.
    public static func open(name: String, count: Int, create: Bool = true, permissions: mode_t = 0o600, system: SystemCalls = .live) throws(MappedMemoryError) -> MappedFile {
        try validate(name)
        let label = "shm:" + name
        let flags = Platform.openReadWrite | (create ? Platform.openCreate : 0)
        var fd: Int32
        repeat { fd = system.shmOpen(name, flags, permissions) } while fd == -1 && currentErrno == EINTR
        guard fd >= 0 else { throw .system("shm_open", path: label, errno: currentErrno) }
        do {
            let size = try system.size(of: fd, path: label)
            if size < Int64(count) {
                #if os(Linux)
                try Growth.extend(fd: fd, from: size, to: Int64(count), path: label, system: system)
                #else
                guard system.truncate(fd, Int64(count)) == 0 else { throw MappedMemoryError.system("grow", path: label, errno: currentErrno) }
                #endif
            }
        } catch {
            _ = system.close(fd)
            throw error
        }
        return try MappedFile(descriptor: fd, path: label, mode: .readWrite, offset: 0, length: count, options: [], system: system)
    }

    /// Removes the name; mappings that exist stay valid until they are destroyed.
    ///
    /// - Throws: `ENOENT` when there is no such object.
    public static func remove(name: String, system: SystemCalls = .live) throws(MappedMemoryError) {
        try validate(name)
        guard system.shmUnlink(name) == 0 else { throw .system("shm_unlink", path: "shm:" + name, errno: currentErrno) }
    }

    static func validate(_ name: String) throws(MappedMemoryError) {
        guard name.hasPrefix("/"), name.count > 1, name.count <= 251, !name.dropFirst().contains("/") else {
            throw MappedMemoryError(operation: "shm_open", path: name, reason: .invalidArgument("a shared memory name is '/' followed by 1 to 250 characters without another '/', such as '/mnemap-team'."))
        }
    }
}
