import Foundation
import MCP
import Mnemap

// The MCP SDK's `Value` and Mnemap's `JSONValue` are both JSON; tools read the one and the store
// speaks the other.

extension JSONValue {
    /// The JSON an MCP client sent. The SDK reads a string that looks like a data URL as `.data`:
    /// it becomes that data URL again.
    init(_ value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .data(let mimeType, let data): self = .string(data.dataURLEncoded(mimeType: mimeType))
        case .array(let elements): self = .array(elements.map { JSONValue($0) })
        case .object(let members): self = .object(members.mapValues { JSONValue($0) })
        }
    }

    /// What a model reads in a message: "a string", "an array"…
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension Value {
    /// The JSON to send to an MCP client; whole numbers as integers.
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { self = .int(Int(number)) } else { self = .double(number) }
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(Value.init))
        case .object(let members): self = .object(members.mapValues(Value.init))
        }
    }
}
