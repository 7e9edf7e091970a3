/// The `instructions` the server gives the agent at initialisation: when to use which tool.
enum Instructions {
    static func text(_ configuration: MCPServerConfiguration) -> String {
        """
        Mnemap is your long-term memory: what you store here survives this conversation and is shared \
        with other sessions and agents that use the same store. Search it before answering questions \
        about the user, earlier work or decisions; store what will matter later.

        Memories (add_memory, search_memory, get_memory, update_memory, delete_memory, list_memories, \
        list_namespaces):
        - Store one self-contained fact, event or procedure per memory ("Alice prefers green tea", not \
        "she likes it"). kind: semantic for facts and preferences, episodic for events, procedural for \
        how-tos. Add metadata (a JSON object) for what you will want to filter on.
        - Namespaces are paths that scope memories: user/<name>, project/<name>, agent/<task>. Without \
        one, memories go to '\(configuration.defaultNamespace)'. A filter on a namespace includes those below it.
        - search_memory finds memories by meaning and words together; filter by namespace, kind, time or \
        metadata (for example {"namespace": "user/alice", "where": {"topic": "tea"}}).
        - When a fact changes, add the new one with 'supersedes': <old id>; the old one stays as history. \
        Delete only what is wrong.

        Knowledge graph (create_entities, create_relations, add_observations, delete_entities, \
        delete_observations, delete_relations, read_graph, search_nodes, open_nodes):
        - For people, organisations, projects and how they relate. Entities have a unique name, a type and \
        observations (atomic facts); relations are directed and in active voice (Alice works_at Globex). \
        Create both entities before relating them.
        - search_nodes finds entities by meaning and words; open_nodes reads entities by name; read_graph \
        pages through everything (pass nextCursor as cursor). The graph lives in namespace \
        '\(configuration.graphNamespace)': search_memory sees its observations, but change it only with the graph tools.

        Agent state (get_state, set_state): exact JSON values by key, such as a plan, a checklist or \
        settings; not searched.

        Resources: one per namespace (mnemap://namespace/<namespace>) with its newest memories.
        """
    }
}
