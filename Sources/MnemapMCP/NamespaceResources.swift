import Foundation
import MCP
import Mnemap

/// A resource per namespace: listing the resources lists the namespaces that hold memories;
/// reading one gives its newest memories, as text for a person and as JSON.
///
/// URIs are `mnemap://namespace/` followed by the namespace, each segment percent-encoded
/// (`mnemap://namespace/user/alice`).
struct NamespaceResources: Sendable {
    static let prefix = "mnemap://namespace/"
    static let pageSize = 100

    let store: MemoryStore
    let configuration: MCPServerConfiguration

    static func uri(of namespace: String) -> String {
        prefix + namespace.split(separator: "/").map { String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#[]@"))) ?? String($0) }.joined(separator: "/")
    }

    static func namespace(of uri: String) -> String? {
        guard uri.hasPrefix(prefix) else { return nil }
        let segments = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map { $0.removingPercentEncoding }
        guard !segments.contains(where: { $0 == nil }) else { return nil }
        let namespace = segments.map { $0! }.joined(separator: "/")
        return MCPServerConfiguration.isNamespace(namespace) ? namespace : nil
    }

    static let template = Resource.Template(
        uriTemplate: prefix + "{namespace}", name: "namespace",
        description: "The newest memories of a namespace (such as user/alice), as text and JSON.", mimeType: "application/json"
    )

    func list(cursor: String?) throws -> ListResources.Result {
        let page = try store.namespaces(after: cursor.flatMap { $0.isEmpty ? nil : $0 }, limit: Self.pageSize)
        let resources = page.items.map { item in
            Resource(
                name: item.namespace, uri: Self.uri(of: item.namespace),
                description: "\(item.count) \(item.count == 1 ? "memory" : "memories") in \(item.namespace)\(MemoryFilter.namespace(item.namespace, matchesPrefix: configuration.graphNamespace) ? " (knowledge graph)" : "")",
                mimeType: "application/json"
            )
        }
        return ListResources.Result(resources: resources, nextCursor: page.next)
    }

    /// - Throws: `MCPError.invalidParams` for a URI that names no namespace with memories.
    func read(uri: String) throws -> ReadResource.Result {
        guard let namespace = Self.namespace(of: uri) else {
            throw MCPError.invalidParams("'\(uri)' is not a Mnemap resource; resources are \(Self.prefix)<namespace>, listed by resources/list.")
        }
        let count = try store.namespaces(under: namespace, limit: 1).items.first { $0.namespace == namespace }?.count ?? 0
        guard count > 0 else { throw MCPError.invalidParams("no memory is in namespace '\(namespace)'; resources/list lists the namespaces that hold memories.") }
        let page = try store.timeline(namespace: namespace, after: nil, limit: configuration.resourceMemories, newestFirst: true)
        var lines = ["\(namespace): \(count) \(count == 1 ? "memory" : "memories"); the newest \(page.items.count), newest first:"]
        for memory in page.items {
            lines.append("- \(MemoryJSON.time(memory.createdAt)) [\(memory.kind.rawValue)] \(memory.text) (id \(memory.id))")
        }
        let json: JSONValue = ["namespace": .string(namespace), "count": .number(Double(count)), "memories": .array(page.items.map(MemoryJSON.memory))]
        return ReadResource.Result(contents: [
            .text(lines.joined(separator: "\n"), uri: uri, mimeType: "text/plain"),
            .text(json.jsonText, uri: uri, mimeType: "application/json"),
        ])
    }
}
