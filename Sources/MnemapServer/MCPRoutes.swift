import Foundation
import Hummingbird
import Mnemap
import MnemapMCP

/// `POST /mcp`: the MCP server (the tools of `mnemap mcp`) over MCP's streamable HTTP transport,
/// answered statelessly (see ``MCPHTTPEndpoint``). Its tools reach the whole store, so with tokens
/// it needs a writable token for the whole store: a token confined to a namespace, or read-only,
/// is refused (403) rather than trusted to tools that do not know its bounds.
enum MCPRoutes {
    static func register(_ routes: RouteTable, endpoint: MCPHTTPEndpoint) {
        let state = routes.state
        routes.add(.post, "/mcp", .storeWrite) { request, _, _ in
            let body = try await request.bytes(limit: state.limits.maxBodyBytes)
            var headers: [String: String] = [:]
            for field in request.headers {
                headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
            }
            // HTTP/1's Host header arrives as the request's authority; the SDK checks it as Host.
            if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
            let answer = await endpoint.answer(method: "POST", headers: headers, body: body, path: request.uri.path)
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPFields.Element.Name(name) { fields[name] = value }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }
}
