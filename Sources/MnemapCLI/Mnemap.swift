import ArgumentParser

@main
struct Mnemap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnemap",
        abstract: "Persistent memory for AI agents, on memory-mapped files.",
        subcommands: [DemoCommand.self, CacheCommand.self, KVCommand.self, IndexCommand.self, JournalCommand.self, EmbedCommand.self, ModelCommand.self]
    )
}
