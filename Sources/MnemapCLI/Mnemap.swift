import ArgumentParser

@main
struct Mnemap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnemap",
        abstract: "Persistent memory for AI agents, on memory-mapped files.",
        subcommands: [
            DemoCommand.self,
            MemoryInit.self, MemoryAdd.self, MemoryImport.self, MemorySearch.self, MemoryGet.self, MemoryUpdate.self, MemoryForget.self,
            MemoryTimeline.self, MemoryState.self, MemoryExport.self, MemoryStatsCommand.self, MemoryCheck.self, MemoryCompact.self,
            ServeCommand.self, MCPCommand.self,
            CacheCommand.self, KVCommand.self, IndexCommand.self, JournalCommand.self, EmbedCommand.self, ModelCommand.self,
        ]
    )
}
