import MCP
import Mnemap

/// One tool: what `tools/list` shows of it and the work a call does (blocking store calls, run
/// off the concurrency pool by the server).
struct ToolDefinition: Sendable {
    let tool: Tool
    let call: @Sendable ([String: JSONValue]) throws -> ToolOutput

    init(
        name: String, title: String, description: String, input: Value, output: Value? = nil, readOnly: Bool, destructive: Bool = false,
        idempotent: Bool = false, call: @escaping @Sendable ([String: JSONValue]) throws -> ToolOutput
    ) {
        tool = Tool(
            name: name, title: title, description: description, inputSchema: input,
            annotations: Tool.Annotations(title: title, readOnlyHint: readOnly, destructiveHint: destructive, idempotentHint: idempotent, openWorldHint: false),
            outputSchema: output
        )
        self.call = call
    }

    /// The argument names the tool's input schema declares.
    var argumentNames: [String] {
        tool.inputSchema.objectValue?["properties"]?.objectValue?.keys.sorted() ?? []
    }
}

/// What a tool call returns: a JSON object (sent as `structuredContent`) and the text the model
/// reads (by default the same JSON).
struct ToolOutput: Sendable {
    let structured: JSONValue
    let text: String

    init(_ structured: JSONValue, text: String? = nil) {
        self.structured = structured
        self.text = text ?? structured.jsonText
    }

    var result: CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: Optional(Value(structured)), isError: false)
    }

    static func error(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }
}
