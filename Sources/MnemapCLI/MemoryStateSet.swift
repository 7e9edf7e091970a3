import ArgumentParser
import Mnemap

/// `mnemap state set`: one value.
struct MemoryStateSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a state value (JSON; - reads it from standard input)."
    )

    @OptionGroup var options: MemoryOptions
    @OptionGroup var scope: StateNamespace
    @Argument(help: "The key.") var key: String
    @Argument(help: "The value as JSON, such as 3, \"done\", {\"step\": 2} (- for standard input).") var value: String

    func run() throws {
        try reportingFailures {
            let text = value == "-" ? String(decoding: try readStandardInput(), as: UTF8.self) : value
            let parsed: JSONValue
            do { parsed = try JSONValue(parsing: text) } catch let error as MemoryError {
                throw CommandFailure("the value is not JSON (\(error)); write text in quotes: '\"\(text.prefix(20))\"'.")
            }
            let store = try options.open(embedding: false)
            try store.setState(parsed, for: key, in: scope.namespace)
            if options.json { try printOutput(JSONValue.object(["key": .string(key), "value": parsed]).jsonText) }
        }
    }
}
