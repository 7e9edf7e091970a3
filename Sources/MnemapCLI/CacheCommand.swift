import ArgumentParser
import MappedMemory

/// `mnemap cache`: page-cache diagnostics and control, like vmtouch and fincore.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Page-cache diagnostics and control for files and folders.",
        discussion: "Folders are walked recursively. Exit status is 1 when any path could not be read.",
        subcommands: [CacheStatus.self, CacheWarm.self, CacheEvict.self, CacheLock.self]
    )
}

/// What every cache subcommand takes.
struct CachePaths: ParsableArguments {
    @Argument(help: "Files or folders.", completion: .file())
    var paths: [String]
}

/// One file's residency, as printed and as JSON.
struct FileReport: Encodable {
    var path: String
    var residentPages: Int
    var totalPages: Int
    var bytes: Int64
}

/// Applies `action` to every file under `paths`, reporting problems on standard error.
/// Returns the reports and whether every path was handled.
func forEachFile(
    under paths: [String],
    _ action: (String) throws(MappedMemoryError) -> PageResidency
) -> (reports: [FileReport], failures: Int) {
    let walk = FileWalk(paths: paths)
    var failures = walk.problems.count
    for problem in walk.problems { printError(problem.message) }
    var reports: [FileReport] = []
    for path in walk.files {
        do {
            let residency = try action(path)
            reports.append(FileReport(path: path, residentPages: residency.residentPages, totalPages: residency.totalPages, bytes: fileBytes(path)))
        } catch {
            failures += 1
            printError(error.description)
        }
    }
    return (reports, failures)
}

/// Applies `action` to every file under `paths`, prints the status table (or JSON), and
/// exits with status 1 when any path failed. The body of `status`, `warm` and `evict`.
func reportEachFile(
    under paths: [String],
    json: Bool,
    _ action: (String) throws(MappedMemoryError) -> PageResidency
) throws {
    let (reports, failures) = forEachFile(under: paths, action)
    print(render(reports, json: json))
    if failures > 0 { throw ExitCode(1) }
}
