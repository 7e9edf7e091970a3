/// How vectors are compared.
public enum Metric: UInt32, Sendable, CaseIterable {
    /// Cosine similarity: vectors are normalised when added; the score is their dot product (higher is nearer).
    case cosine = 0
    /// Inner product (higher is nearer).
    case innerProduct = 1
    /// Squared Euclidean distance (lower is nearer; scores are reported negated... see `SearchResult.score`).
    case l2 = 2
}

/// How each component is stored.
public enum ElementType: UInt32, Sendable, CaseIterable {
    /// 4 bytes a component: exact.
    case float32 = 0
    /// 2 bytes a component (IEEE half): about 3 decimal digits.
    case float16 = 1
    /// 1 byte a component, scalar-quantised with one scale per vector (symmetric, max-abs):
    /// 4x smaller than Float32; distances are computed on the integers.
    case int8 = 2

    var componentSize: Int {
        switch self {
        case .float32: 4
        case .float16: 2
        case .int8: 1
        }
    }
}

/// The shape of an index, fixed when it is created.
public struct IndexConfiguration: Sendable, Equatable {
    public var dimension: Int
    public var metric: Metric
    public var elementType: ElementType
    /// HNSW: neighbours per node on the upper layers (2·M on layer 0), as in the paper.
    public var M: Int
    /// HNSW: candidate list size while building.
    public var efConstruction: Int

    public init(dimension: Int, metric: Metric = .cosine, elementType: ElementType = .float32, M: Int = 16, efConstruction: Int = 200) {
        self.dimension = dimension
        self.metric = metric
        self.elementType = elementType
        self.M = M
        self.efConstruction = efConstruction
    }

    var M0: Int { 2 * M }

    func validate(path: String) throws(VectorIndexError) {
        guard (1...16_384).contains(dimension) else { throw VectorIndexError(path: path, reason: .invalidConfiguration("dimension must be 1 to 16384 (got \(dimension)).")) }
        guard (2...128).contains(M) else { throw VectorIndexError(path: path, reason: .invalidConfiguration("M must be 2 to 128 (got \(M)).")) }
        guard (1...10_000).contains(efConstruction) else { throw VectorIndexError(path: path, reason: .invalidConfiguration("efConstruction must be 1 to 10000 (got \(efConstruction)).")) }
    }

    /// Bytes of one stored vector (int8 keeps its scale in front), rounded to 16.
    var stride: Int {
        let payload = dimension * elementType.componentSize + (elementType == .int8 ? 4 : 0)
        return (payload + 15) / 16 * 16
    }
}
