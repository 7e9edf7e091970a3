import Foundation
import Hummingbird
import Mnemap
import MnemapServer
import Testing

/// The OpenAPI document and the routes agree, and the one in docs/ is the one served.
@Suite struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// The (method, path) pairs the document describes.
    func documented() throws -> Set<String> {
        let document = try JSONValue(parsing: OpenAPIDocument.bytes)
        let paths = try #require(document["paths"]?.objectValue)
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.objectValue?.keys ?? [:].keys where Self.methods.contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() throws {
        let server = try TestServer()
        let routes = Set(server.server.endpoints.map(\.description))
        let documented = try documented()
        #expect(routes.subtracting(documented).isEmpty, "routes missing from docs/openapi.json: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented operations the server lacks: \(documented.subtracting(routes).sorted())")
        #expect(routes.count == server.server.endpoints.count, "a route is registered twice")
    }

    @Test func theDocumentIsOpenAPI31WithAResponseForEveryOperation() throws {
        let document = try JSONValue(parsing: OpenAPIDocument.bytes)
        #expect(document["openapi"] == "3.1.0")
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] where Self.methods.contains(method) {
                let statuses = operation["responses"]?.objectValue?.keys.map { $0 } ?? []
                #expect(statuses.contains { $0.hasPrefix("2") }, "\(method) \(path) has no success response")
                #expect(operation["operationId"]?.stringValue != nil, "\(method) \(path) has no operationId")
            }
        }
    }

    @Test func theServedDocumentIsTheOneInDocs() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try Data(contentsOf: root.appendingPathComponent("docs/openapi.json"))
        #expect(Array(committed) == OpenAPIDocument.bytes)
        let server = try TestServer()
        try await server.run { client in
            let served = try await client.get("/openapi.json")
            #expect(served.text == String(decoding: committed, as: UTF8.self))
        }
    }
}
