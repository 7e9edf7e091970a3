import ArgumentParser
import Mnemap

/// `mnemap state del`: one value.
struct MemoryStateDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Delete a state value.",
        discussion: "Exit status 1 when the key is not set, unless --force.",
        aliases: ["delete"]
    )

    @OptionGroup var options: MemoryOptions
    @OptionGroup var scope: StateNamespace
    @Argument(help: "The key.") var key: String
    @Flag(help: "Succeed when the key is not set.") var force = false

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            let existed = try store.deleteState(key, in: scope.namespace)
            if !existed, !force { throw CommandFailure("no state '\(key)' in namespace \(scope.namespace) (use --force to ignore).") }
            if options.json { try printOutput(JSONValue.object(["deleted": .bool(existed)]).jsonText) }
        }
    }
}
