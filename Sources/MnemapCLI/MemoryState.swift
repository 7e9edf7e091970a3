import ArgumentParser
import Mnemap

/// `mnemap state`: an agent's key–value state, JSON values per namespace.
struct MemoryState: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Get, set, delete and list agent state: JSON values by key in a namespace.",
        discussion: "Each write is durable when the command returns. Values are JSON: quote text ('\"done\"').",
        subcommands: [MemoryStateGet.self, MemoryStateSet.self, MemoryStateDelete.self, MemoryStateList.self]
    )
}

/// The namespace every state subcommand works in.
struct StateNamespace: ParsableArguments {
    @Option(help: "The namespace, such as agent/planner.") var namespace: String
}
