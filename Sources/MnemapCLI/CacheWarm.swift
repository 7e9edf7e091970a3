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
        try reportEachFile(under: options.paths, json: json) { path throws(MappedMemoryError) in
            try PageCache.warm(fileAt: path)
        }
    }
}
