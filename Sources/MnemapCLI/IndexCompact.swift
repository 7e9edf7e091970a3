import ArgumentParser
import VectorIndex

/// `mnemap index compact`: rebuild an index without its deleted vectors.
struct IndexCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rebuild an index without its deleted vectors, then switch to it atomically.",
        discussion: """
            Surviving vectors get new ids, dense and in their old order. Takes the writer lock for \
            the whole rebuild (fails when another process is writing); searchers that have the \
            old files open keep searching them until they reopen. Needs free space for a second copy.
            """
    )

    @OptionGroup var path: IndexPath

    func run() throws {
        try reportingFailures {
            let before = try path.open().count
            let kept = try VectorIndex.compact(directory: path.index).count
            let dropped = before - kept
            print("compacted '\(path.index)': kept \(kept) \(kept == 1 ? "vector" : "vectors"), dropped \(dropped) deleted")
        }
    }
}
