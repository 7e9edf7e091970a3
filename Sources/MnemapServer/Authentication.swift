import Foundation
import Hummingbird
import Mnemap

/// What a route needs from the request's token.
enum Need: Sendable, Hashable {
    /// Nothing: answered to anyone (health, the OpenAPI document).
    case open
    /// Any valid token; reads are confined to the token's namespace.
    case read
    /// A token that is not read-only; writes are confined to its namespace.
    case write
    /// A token for the whole store (not confined to a namespace): store-wide counts and checks.
    case storeRead
    /// A token for the whole store that is not read-only: compaction, purging expired memories.
    case storeWrite
}

/// What one request may do: the namespace it is confined to (nil: the whole store) and whether it
/// may write.
struct Access: Sendable {
    var namespace: String?
    var readOnly: Bool

    static let full = Access(namespace: nil, readOnly: false)

    /// Whether a memory, a state value or a namespace named `namespace` is inside the token's prefix.
    func allows(_ namespace: String) -> Bool {
        guard let prefix = self.namespace else { return true }
        return MemoryFilter.namespace(namespace, matchesPrefix: prefix)
    }

    /// The namespace prefix a listing or search may use: the one asked for when it lies inside the
    /// token's prefix, the token's prefix when none is asked for.
    /// - Throws: 403 `namespace_forbidden` when the prefix asked for reaches outside the token's.
    func confine(_ requested: String?) throws(APIError) -> String? {
        guard let requested, !requested.allSatisfy({ $0 == "/" }) else { return namespace }
        do { _ = try AccessToken.validPrefix(requested, place: "the namespace prefix") } catch {
            throw APIError.invalidField("\(error.description)")
        }
        guard let prefix = namespace else { return requested }
        guard allows(requested) else { throw Self.forbidden(requested, prefix: prefix) }
        return requested
    }

    /// Throws 403 `namespace_forbidden` unless `namespace` is inside the token's prefix.
    func require(_ namespace: String) throws(APIError) {
        if let prefix = self.namespace, !allows(namespace) { throw Self.forbidden(namespace, prefix: prefix) }
    }

    static func forbidden(_ namespace: String, prefix: String) -> APIError {
        APIError(.forbidden, "namespace_forbidden", "this token is confined to namespace '\(prefix)' and those below it; '\(namespace)' is outside it.")
    }
}

/// Finds the token of a request and checks it against what the route needs.
struct Authenticator: Sendable {
    let tokens: [AccessToken]

    /// The access `request` has for a route that needs `need`.
    /// - Throws: 401 `missing_token` or `invalid_token`; 403 `read_only_token` for a write with a
    ///   read-only token, 403 `store_wide_forbidden` for a store-wide route with a confined token.
    func access(for request: Request, need: Need) throws(APIError) -> Access {
        if need == .open || tokens.isEmpty { return .full }
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "missing_token", "this server needs a bearer token: send the header Authorization: Bearer <token>.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError(.unauthorized, "invalid_token", "the Authorization header must be Bearer <token>.")
        }
        guard let token = find(String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw APIError(.unauthorized, "invalid_token", "the bearer token is not one this server knows; check it, or ask for a new one.")
        }
        let access = Access(namespace: token.namespace, readOnly: token.readOnly)
        if access.readOnly, need == .write || need == .storeWrite {
            throw APIError(.forbidden, "read_only_token", "this token is read-only; writing needs a token without readOnly.")
        }
        if access.namespace != nil, need == .storeRead || need == .storeWrite {
            throw APIError(.forbidden, "store_wide_forbidden", "this concerns the whole store, and this token is confined to namespace '\(access.namespace!)'; use a token without a namespace.")
        }
        return access
    }

    /// The token equal to `presented`, compared in time that does not depend on where they differ.
    private func find(_ presented: String) -> AccessToken? {
        let given = Array(presented.utf8)
        var found: AccessToken?
        for token in tokens where Self.constantTimeEqual(Array(token.token.utf8), given) {
            found = token
        }
        return found
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = a.count ^ b.count
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= Int(x ^ y)
        }
        return difference == 0
    }
}
