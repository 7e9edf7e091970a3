import ArgumentParser

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Page-cache diagnostics and control for files and folders.",
        subcommands: []
    )
}
