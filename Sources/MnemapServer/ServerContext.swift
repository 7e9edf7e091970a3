import Hummingbird

/// What Hummingbird keeps for one request. The access a request has is not stored here: each route
/// decides it from the request's token (``Authenticator``) before it touches the store.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}
