#!/usr/bin/env python3
"""An external MCP client drives `mnemap mcp` over stdio through every tool.

Uses the `mcp` package from PyPI (the official Python SDK), as a desktop agent would: it starts
`mnemap mcp --store <a new hashing store>`, initialises, lists the tools and resources, calls each
tool and checks the results, then closes the server's input and expects it to exit. Then the same
over the streamable HTTP transport, at `/mcp` of `mnemap serve --port 0` on another new store.

    python3 scripts/mcp-smoke.py [path/to/mnemap]      # default: .build/debug/mnemap

Prints one line per check and a closing count; exits non-zero on the first failure.
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

MNEMAP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/mnemap")
TOOLS = {
    "add_memory", "search_memory", "get_memory", "update_memory", "delete_memory", "list_memories",
    "list_namespaces", "get_state", "set_state",
    "create_entities", "create_relations", "add_observations", "delete_entities", "delete_observations",
    "delete_relations", "read_graph", "search_nodes", "open_nodes",
}
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    passed += 1
    print(f"ok: {what}", flush=True)


async def call(session, tool, arguments=None):
    """A tool call that must succeed: its structured content (which must equal its text)."""
    result = await session.call_tool(tool, arguments or {})
    text = "".join(block.text for block in result.content if block.type == "text")
    if result.is_error:
        print(f"FAILED: {tool} {json.dumps(arguments)} -> error: {text}", flush=True)
        sys.exit(1)
    return result.structured_content, text


async def failure(session, tool, arguments):
    """A tool call that must fail: its message."""
    result = await session.call_tool(tool, arguments)
    text = "".join(block.text for block in result.content if block.type == "text")
    check(result.is_error, f"{tool} refuses {json.dumps(arguments)}: {text}")
    return text


async def memory_tools(session):
    added, text = await call(session, "add_memory", {
        "text": "Alice prefers green tea in the morning", "namespace": "user/alice", "kind": "semantic",
        "metadata": {"topic": "drinks", "priority": 2}, "importance": 0.8,
    })
    check(added["outcome"] == "added" and json.loads(text) == added, "add_memory adds, text is the JSON")
    memory_id = added["id"]
    await call(session, "add_memory", {"text": "Bob plays the cello on weekends", "namespace": "user/bob"})

    found, _ = await call(session, "search_memory", {"query": "what tea does alice like", "limit": 3})
    check(found["hits"][0]["memory"]["id"] == memory_id, "search_memory finds it first")
    narrowed, _ = await call(session, "search_memory", {
        "query": "morning", "filter": {"namespace": "user", "kind": "semantic", "where": {"priority": {"$gte": 2}}},
    })
    check([hit["memory"]["id"] for hit in narrowed["hits"]] == [memory_id], "search_memory filters by namespace, kind, metadata")

    got, _ = await call(session, "get_memory", {"id": memory_id})
    check(got["memory"]["text"] == "Alice prefers green tea in the morning", "get_memory reads it")
    updated, _ = await call(session, "update_memory", {"id": memory_id, "text": "Alice prefers oolong", "mergeMetadata": {"priority": None}})
    check(updated["memory"]["text"] == "Alice prefers oolong" and updated["memory"]["metadata"] == {"topic": "drinks"}, "update_memory changes text and metadata")
    history, _ = await call(session, "get_memory", {"id": memory_id, "history": True})
    check(history["history"][0]["text"] == "Alice prefers green tea in the morning", "get_memory gives the history")

    listed, _ = await call(session, "list_memories", {"namespace": "user", "limit": 1})
    check(len(listed["memories"]) == 1 and listed["nextCursor"], "list_memories pages")
    rest, _ = await call(session, "list_memories", {"namespace": "user", "limit": 1, "cursor": listed["nextCursor"]})
    check(len(rest["memories"]) == 1 and rest["memories"][0]["id"] != listed["memories"][0]["id"], "list_memories follows the cursor")
    namespaces, _ = await call(session, "list_namespaces", {})
    check([n["namespace"] for n in namespaces["namespaces"]] == ["user/alice", "user/bob"], "list_namespaces lists them")

    await call(session, "set_state", {"namespace": "agent/planner", "key": "plan", "value": {"step": 2}})
    state, _ = await call(session, "get_state", {"namespace": "agent/planner", "key": "plan"})
    check(state["found"] and state["value"] == {"step": 2}, "set_state then get_state")
    entries, _ = await call(session, "get_state", {"namespace": "agent/planner"})
    check([e["key"] for e in entries["entries"]] == ["plan"], "get_state lists keys")

    deleted, _ = await call(session, "delete_memory", {"id": memory_id})
    check(deleted["deleted"] is True, "delete_memory deletes")
    message = await failure(session, "get_memory", {"id": memory_id})
    check("no memory with id" in message, "a deleted memory is gone")
    await failure(session, "add_memory", {"text": "x", "importance": 3})
    await failure(session, "search_memory", {"query": "x", "filter": {"namespce": "a"}})


async def graph_tools(session):
    created, _ = await call(session, "create_entities", {"entities": [
        {"name": "Alice", "entityType": "person", "observations": ["Speaks fluent Spanish"]},
        {"name": "Globex", "entityType": "organization", "observations": ["Makes widgets"]},
    ]})
    check([e["name"] for e in created["entities"]] == ["Alice", "Globex"], "create_entities creates")
    relations, _ = await call(session, "create_relations", {"relations": [{"from": "Alice", "to": "Globex", "relationType": "works_at"}]})
    check(relations["relations"] == [{"from": "Alice", "to": "Globex", "relationType": "works_at"}], "create_relations relates")
    observed, _ = await call(session, "add_observations", {"observations": [{"entityName": "Alice", "contents": ["Plays chess on Sundays", "Speaks fluent Spanish"]}]})
    check(observed["results"] == [{"entityName": "Alice", "addedObservations": ["Plays chess on Sundays"]}], "add_observations adds the new ones")

    searched, _ = await call(session, "search_nodes", {"query": "who plays chess"})
    check(searched["entities"][0]["name"] == "Alice" and len(searched["relations"]) == 1, "search_nodes finds by meaning and words")
    opened, _ = await call(session, "open_nodes", {"names": ["Globex"]})
    check(opened["entities"] == [{"name": "Globex", "entityType": "organization", "observations": ["Makes widgets"]}], "open_nodes opens")
    graph, _ = await call(session, "read_graph", {})
    check(len(graph["entities"]) == 2 and len(graph["relations"]) == 1 and graph["nextCursor"] is None, "read_graph reads")

    removed, text = await call(session, "delete_observations", {"deletions": [{"entityName": "Alice", "observations": ["Speaks fluent Spanish"]}]})
    check(removed == {"success": True, "message": "Observations deleted successfully"} and text == removed["message"], "delete_observations")
    removed, _ = await call(session, "delete_relations", {"relations": [{"from": "Alice", "to": "Globex", "relationType": "works_at"}]})
    check(removed["message"] == "Relations deleted successfully", "delete_relations")
    removed, _ = await call(session, "delete_entities", {"entityNames": ["Globex"]})
    check(removed["message"] == "Entities deleted successfully", "delete_entities")
    graph, _ = await call(session, "read_graph", {})
    check(graph["entities"] == [{"name": "Alice", "entityType": "person", "observations": ["Plays chess on Sundays"]}] and graph["relations"] == [], "the graph is what is left")
    message = await failure(session, "create_relations", {"relations": [{"from": "Alice", "to": "Nobody", "relationType": "knows"}]})
    check("Nobody not found" in message, "a relation to a missing entity is refused")


async def every_tool(session):
    initialized = await session.initialize()
    check(initialized.server_info.name == "mnemap" and "search_memory" in (initialized.instructions or ""), "initialize gives instructions")
    tools = await session.list_tools()
    check({tool.name for tool in tools.tools} == TOOLS, "tools/list lists every tool")
    check(all(tool.input_schema.get("additionalProperties") is False for tool in tools.tools), "every input schema is closed")
    await memory_tools(session)
    await graph_tools(session)
    resources = await session.list_resources()
    uris = [resource.uri for resource in resources.resources]
    check("mnemap://namespace/user/bob" in uris, "resources/list lists namespaces")
    read = await session.read_resource("mnemap://namespace/user/bob")
    check(any("cello" in content.text for content in read.contents), "resources/read gives the timeline")


def new_store(folder, name):
    store = os.path.join(folder, name)
    subprocess.run([MNEMAP, "init", "--store", store, "--embedder", "hashing"], check=True, capture_output=True)
    return store


def check_intact(store):
    checked = subprocess.run([MNEMAP, "check", "--store", store], capture_output=True, text=True)
    check(checked.returncode == 0, "the store is intact afterwards")


async def over_stdio(folder):
    print("-- over stdio: mnemap mcp", flush=True)
    store = new_store(folder, "stdio")
    server = StdioServerParameters(command=MNEMAP, args=["mcp", "--store", store])
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await every_tool(session)
    # The server exits when its input closes.
    check_intact(store)


async def over_http(folder):
    print("-- over streamable HTTP: mnemap serve, /mcp", flush=True)
    store = new_store(folder, "http")
    server = subprocess.Popen([MNEMAP, "serve", "--store", store, "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stderr:
            found = re.search(r"serving .* on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        check(port is not None, "mnemap serve says where it listens")
        threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp", terminate_on_close=False) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await every_tool(session)
    finally:
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=60)
    check(status == 0, "mnemap serve stops on SIGTERM")
    check_intact(store)


async def main():
    with tempfile.TemporaryDirectory(prefix="mnemap-mcp-smoke-") as folder:
        await over_stdio(folder)
        await over_http(folder)
    print(f"mcp-smoke: {passed} passed, 0 failed")


asyncio.run(main())
