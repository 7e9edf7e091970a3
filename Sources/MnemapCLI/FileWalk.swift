import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular files named by command-line paths: files as given, folders walked recursively
/// (symbolic links to folders are not followed, so there are no cycles). Paths that cannot be
/// read are collected as problems, each with a message that says what to do.
struct FileWalk {
    var files: [String] = []
    var problems: [(path: String, message: String)] = []

    init(paths: [String]) {
        for path in paths { visit(path, named: true) }
    }

    private mutating func visit(_ path: String, named: Bool) {
        var info = stat()
        let statResult = named ? stat(path, &info) : lstat(path, &info)
        guard statResult == 0 else {
            problems.append((path, MappedMemoryError.system("stat", path: path, errno: errno).description))
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            files.append(path)
        case S_IFDIR:
            guard let directory = opendir(path) else {
                problems.append((path, MappedMemoryError.system("opendir", path: path, errno: errno).description))
                return
            }
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(directory)
            for name in names.sorted() {
                visit(path.hasSuffix("/") ? path + name : path + "/" + name, named: false)
            }
        case S_IFLNK:
            break  // links inside folders are skipped; name a linked file directly to include it
        default:
            if named {
                problems.append((path, "'\(path)' is not a regular file or folder; name files or folders."))
            }
        }
    }
}
