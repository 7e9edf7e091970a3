import ArgumentParser
import MappedMemory

/// `mnemap cache warm`: read files into the page cache.
struct CacheWarm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warm",
        abstract: "Read files into the page cache (read ahead, then fault every page in)."
    )

    @OptionGroup var options: CachePaths
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let (reports, failures) = forEachFile(under: options.paths) { path throws(MappedMemoryError) in
            try PageCache.warm(fileAt: path)
        }
        print(render(reports, json: json))
        if failures > 0 { throw ExitCode(1) }
    }
}
