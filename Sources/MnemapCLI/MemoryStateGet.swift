import ArgumentParser
import Mnemap

/// `mnemap state get`: one value.
struct MemoryStateGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a state value (a string as its text; --json: always as JSON).",
        discussion: "Exit status 1 when the key is not set."
    )

    @OptionGroup var options: MemoryOptions
    @OptionGroup var scope: StateNamespace
    @Argument(help: "The key.") var key: String

    func run() throws {
        try reportingFailures {
            let store = try options.open(embedding: false)
            guard let value = try store.state(key, in: scope.namespace) else {
                throw CommandFailure("no state '\(key)' in namespace \(scope.namespace); list the keys with `mnemap state list --namespace \(scope.namespace)`.")
            }
            if !options.json, let text = value.stringValue { return try printOutput(text) }
            try printOutput(value.jsonText)
        }
    }
}
