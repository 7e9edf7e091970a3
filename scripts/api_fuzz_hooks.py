"""Schemathesis hooks for scripts/api-fuzz.sh (loaded through $SCHEMATHESIS_HOOKS).

- `POST /v1/import` takes `application/x-ndjson`, a media type schemathesis has no serializer
  for: its schema is a string, sent as it is, like `text/plain`.
- `POST /mcp` follows MCP's streamable HTTP transport, which requires the client to accept both
  JSON and an event stream (else 406); every MCP client sends this `Accept`, so the fuzzed
  requests do too, and reach the JSON-RPC handling instead of stopping at content negotiation.
"""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.operation.path == "/mcp":
        case.headers = {**(case.headers or {}), "Accept": "application/json, text/event-stream"}
