#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of MappedMemory: what was being done, to which file, and why it failed.
///
/// Its `description` is written for the person running the program: it names the
/// operation, the file and the system's reason, and says what to do about it.
public struct MappedMemoryError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Why an operation failed.
    public enum Reason: Equatable, Sendable {
        /// A system call failed with this `errno`.
        case system(errno: Int32)
        /// A byte range lies outside the mapping.
        case outOfBounds(offset: Int, count: Int, size: Int)
        /// An atomic or mutex placed at an offset that is not aligned for it.
        case misaligned(offset: Int, alignment: Int)
        /// The mapping's mode does not allow the operation (writing a read-only map, growing an anonymous one).
        case notPermittedByMode(MappedFile.Mode)
        /// An argument was invalid; the text says which and why.
        case invalidArgument(String)
        /// A lock or mutex could not be acquired before the deadline.
        case timedOut
        /// The holder of a process-shared mutex died and a previous recovery was abandoned:
        /// the protected state was never marked consistent and the mutex is unusable until re-initialised.
        case notRecoverable
        /// A guarded access touched pages the file no longer backs (it was truncated by someone):
        /// `offset` is the first such byte offset in the mapping. Reads there returned zeros; writes were lost.
        case pageFault(offset: Int)
    }

    /// The operation that failed, e.g. `mmap`, `grow`, `msync`.
    public var operation: String
    /// The file involved, when there is one.
    public var path: String?
    /// Why it failed.
    public var reason: Reason

    public init(operation: String, path: String?, reason: Reason) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    /// The `errno` for system failures, `nil` for the others.
    public var errno: Int32? {
        if case .system(let code) = reason { return code }
        return nil
    }

    public var description: String {
        let subject = path.map { "\(operation) of '\($0)'" } ?? operation
        switch reason {
        case .system(let code):
            return "\(subject) failed: \(Self.errnoText(code)). \(Self.advice(operation: operation, errno: code))"
        case .outOfBounds(let offset, let count, let size):
            return "\(subject) failed: bytes \(offset)..<\(offset + count) lie outside the mapping of \(size) bytes. Check the offset, or grow or remap the mapping first."
        case .misaligned(let offset, let alignment):
            return "\(subject) failed: offset \(offset) is not a multiple of \(alignment). Place atomics and mutexes at aligned offsets."
        case .notPermittedByMode(let mode):
            return "\(subject) failed: the mapping is \(mode), which does not allow it. Open the file in a mode that does (e.g. .readWrite)."
        case .invalidArgument(let text):
            return "\(subject) failed: \(text)"
        case .timedOut:
            return "\(subject) timed out: another thread or process held the lock for the whole wait. Retry later, or find the holder (e.g. with lslocks)."
        case .notRecoverable:
            return "\(subject) failed: the mutex's previous holder died and its state was never marked consistent, so the mutex is unusable. Re-initialise it while no other process uses the file."
        case .pageFault(let offset):
            return "\(subject) failed: the file no longer backs offset \(offset) (it was truncated while mapped, or the disk failed). Reads there saw zeros and writes were lost; remap the file to its new size."
        }
    }

    static func errnoText(_ code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "error"
        return "\(text) (\(errnoName(code)))"
    }

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "ENOENT"
        case EACCES: return "EACCES"
        case EPERM: return "EPERM"
        case ENOSPC: return "ENOSPC"
        case EIO: return "EIO"
        case EINTR: return "EINTR"
        case ENOMEM: return "ENOMEM"
        case EINVAL: return "EINVAL"
        case EAGAIN: return "EAGAIN"
        case EBADF: return "EBADF"
        case EISDIR: return "EISDIR"
        case EEXIST: return "EEXIST"
        case EFBIG: return "EFBIG"
        case ENODEV: return "ENODEV"
        case EROFS: return "EROFS"
        case EDQUOT: return "EDQUOT"
        case EDEADLK: return "EDEADLK"
        case ENOTSUP: return "ENOTSUP"
        case ETIMEDOUT: return "ETIMEDOUT"
        case ENOLCK: return "ENOLCK"
        default: return "errno \(code)"
        }
    }

    static func advice(operation: String, errno code: Int32) -> String {
        switch code {
        case ENOENT: return "Check that the path exists."
        case EACCES, EPERM:
            if operation == "mlock" { return "Raise the locked-memory limit (ulimit -l, RLIMIT_MEMLOCK) or run with CAP_IPC_LOCK." }
            return "Check the file's permissions and the mode it was opened in."
        case ENOSPC, EDQUOT: return "Free disk space (or raise the quota), then retry; the mapping is unchanged."
        case EIO: return "The device reported an I/O error: data written since the last successful sync may not be on disk. Check the disk and the kernel log."
        case ENOMEM:
            if operation == "mlock" { return "Raise the locked-memory limit (ulimit -l, RLIMIT_MEMLOCK) or lock a smaller range." }
            return "Not enough address space or memory for the mapping: map a smaller range or raise the limit (ulimit -v)."
        case EISDIR: return "The path is a directory; give a regular file."
        case EFBIG: return "The size exceeds what the file system allows for one file."
        case ENODEV: return "This file system does not support memory mapping."
        case EROFS: return "The file system is read-only; open the file read-only."
        case EAGAIN: return "The resource is busy or a limit was reached; retry later."
        case EINVAL: return "An argument was rejected by the system (offset, length or flags); this is likely a bug in the caller."
        case ENOTSUP: return "This platform or file system does not support the operation."
        case ENOLCK: return "The system ran out of lock records; release unused locks."
        default: return "See the system's documentation of this error."
        }
    }
}

extension MappedMemoryError {
    /// The error for a failed system call: `operation` on `path` failed with `errno` `code`.
    public static func system(_ operation: String, path: String?, errno code: Int32) -> MappedMemoryError {
        MappedMemoryError(operation: operation, path: path, reason: .system(errno: code))
    }
}
