import Mnemap

/// How `MemoryMCPServer` presents a store.
public struct MCPServerConfiguration: Sendable {
    /// The namespace memories and agent state go to when a tool call names none.
    public var defaultNamespace: String
    /// Where the knowledge-graph tools keep entities, relations and observations (see
    /// ``KnowledgeGraph``). The memory tools refuse to write below it, so that the graph stays
    /// consistent; searching and listing it is allowed.
    public var graphNamespace: String
    /// How many of a namespace's newest memories reading its resource returns.
    public var resourceMemories: Int

    public init(defaultNamespace: String = "agent", graphNamespace: String = "graph", resourceMemories: Int = 50) {
        self.defaultNamespace = defaultNamespace
        self.graphNamespace = graphNamespace
        self.resourceMemories = resourceMemories
    }

    /// Checks the namespaces and bounds.
    /// - Throws: `MemoryError.invalidField` naming the bad setting.
    public func validate() throws {
        for (namespace, name) in [(defaultNamespace, "default namespace"), (graphNamespace, "graph namespace")] {
            guard Self.isNamespace(namespace) else {
                throw MemoryError.invalidField("the \(name) '\(namespace)' is not a namespace; write path segments such as user/alice.")
            }
        }
        if MemoryFilter.namespace(defaultNamespace, matchesPrefix: graphNamespace) {
            throw MemoryError.invalidField("the default namespace '\(defaultNamespace)' lies in the graph namespace '\(graphNamespace)'; choose another.")
        }
        guard (1...1000).contains(resourceMemories) else {
            throw MemoryError.invalidField("resource memories \(resourceMemories) is outside 1 to 1000.")
        }
    }

    /// A namespace is 1 to 512 bytes of `/`-separated non-empty segments without control characters.
    static func isNamespace(_ namespace: String) -> Bool {
        let bytes = Array(namespace.utf8)
        return !bytes.isEmpty && bytes.count <= 512 && !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F })
            && !namespace.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty)
    }
}
