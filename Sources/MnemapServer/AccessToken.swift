import Foundation
import Mnemap

/// A bearer token and what it may do: all of the store, or one namespace and those below it; read
/// and write, or read only.
public struct AccessToken: Sendable, Hashable {
    /// The secret the client sends as `Authorization: Bearer <token>`: at least 16 characters.
    public var token: String
    /// The namespace prefix the token is confined to (`user/alice` gives `user/alice` and
    /// `user/alice/session/1`, not `user/bob` or `user/alicea`); nil for the whole store.
    public var namespace: String?
    /// Refuse every write (403).
    public var readOnly: Bool

    public init(token: String, namespace: String? = nil, readOnly: Bool = false) {
        self.token = token
        self.namespace = namespace
        self.readOnly = readOnly
    }

    /// The fields of one entry of a tokens file.
    static let fields = ["token", "namespace", "readOnly"]
    static let minimumLength = 16

    /// Reads a tokens file: a JSON array of `{"token": "...", "namespace": "user/alice", "readOnly": true}`
    /// (only `token` is required).
    /// - Throws: ``ServerSetupError`` naming the file, the entry and what is wrong with it (never the
    ///   token itself).
    public static func load(file path: String) throws(ServerSetupError) -> [AccessToken] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerSetupError("cannot read the tokens file \(path); check the path and its permissions.")
        }
        do {
            return try parse(Array(data))
        } catch {
            throw ServerSetupError("the tokens file \(path): \(error.description)")
        }
    }

    /// Parses the JSON text of a tokens file (see ``load(file:)``).
    public static func parse(_ bytes: [UInt8]) throws(ServerSetupError) -> [AccessToken] {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw ServerSetupError("\(error)") }
        guard case .array(let entries) = value else {
            throw ServerSetupError("a tokens file is a JSON array such as [{\"token\": \"...\", \"namespace\": \"user/alice\", \"readOnly\": true}].")
        }
        var tokens: [AccessToken] = []
        for (position, entry) in entries.enumerated() {
            let place = "entry \(position + 1)"
            guard case .object(let members) = entry else { throw ServerSetupError("\(place) is not an object.") }
            if let unknown = members.keys.sorted().first(where: { !fields.contains($0) }) {
                throw ServerSetupError("\(place) has an unknown field '\(unknown)'; an entry takes \(fields.joined(separator: ", ")).")
            }
            guard case .string(let secret)? = members["token"] else { throw ServerSetupError("\(place) needs a \"token\" string.") }
            guard secret.count >= minimumLength, !secret.contains(where: \.isWhitespace) else {
                throw ServerSetupError("\(place): a token has at least \(minimumLength) characters and no spaces (make one with `openssl rand -hex 32`).")
            }
            var namespace: String?
            switch members["namespace"] {
            case nil, .null?: break
            case .string(let prefix)?:
                namespace = try validPrefix(prefix, place: place)
            default: throw ServerSetupError("\(place): \"namespace\" is a namespace prefix string such as \"user/alice\".")
            }
            var readOnly = false
            switch members["readOnly"] {
            case nil, .null?: break
            case .bool(let flag)?: readOnly = flag
            default: throw ServerSetupError("\(place): \"readOnly\" is true or false.")
            }
            tokens.append(AccessToken(token: secret, namespace: namespace, readOnly: readOnly))
        }
        return tokens
    }

    /// A namespace prefix without trailing slashes, nil for the whole store (`""` or `/`).
    static func validPrefix(_ text: String, place: String) throws(ServerSetupError) -> String? {
        var prefix = Substring(text)
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        guard !prefix.isEmpty else { return nil }
        guard !prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw ServerSetupError("\(place): the namespace '\(text)' has an empty segment; write a path such as user/alice.")
        }
        guard !prefix.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), prefix.utf8.count <= 512 else {
            throw ServerSetupError("\(place): the namespace '\(text)' has a control character or more than 512 bytes; write a path such as user/alice.")
        }
        return String(prefix)
    }
}
