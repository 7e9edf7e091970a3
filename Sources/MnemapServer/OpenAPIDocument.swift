import Hummingbird

/// The OpenAPI 3.1 document of the API, `docs/openapi.json` (a link to `openapi.json` in this
/// target, embedded in the binary), served at `/openapi.json`. A test checks that it lists exactly
/// the routes the server has.
public enum OpenAPIDocument {
    /// The document's JSON text.
    public static var bytes: [UInt8] { PackageResources.openapi_json }

    static func register(_ routes: RouteTable) {
        routes.add(.get, "/openapi.json", .open) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
