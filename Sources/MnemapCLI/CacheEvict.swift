import ArgumentParser
import MappedMemory

/// `mnemap cache evict`: drop files from the page cache.
struct CacheEvict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evict",
        abstract: "Drop files' clean pages from the page cache.",
        discussion: "Pages that another process maps or locks, and dirty pages, may stay resident."
    )

    @OptionGroup var options: CachePaths
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        try reportEachFile(under: options.paths, json: json) { path throws(MappedMemoryError) in
            try PageCache.evict(fileAt: path)
        }
    }
}
