/// A query prepared for the index's storage: normalised (cosine) and, for Int8, quantised.
struct PreparedQuery {
    var floats: [Float]
    var int8: [Int8] = []
    var scale: Float = 0
    /// ‖q‖² of the quantised query (Int8 L2).
    var squaredNorm: Float = 0
}

/// Scalar quantisation: one scale per vector, symmetric, so that `value ≈ Int8 · scale`.
enum Quantizer {
    static func quantize(_ values: UnsafeBufferPointer<Float>) -> (bytes: [Int8], scale: Float) {
        let maxAbs = values.reduce(Float(0)) { max($0, abs($1)) }
        guard maxAbs > 0 else { return ([Int8](repeating: 0, count: values.count), 0) }
        let scale = maxAbs / 127
        return (values.map { Int8(clamping: Int(($0 / scale).rounded())) }, scale)
    }
}

extension IndexStorage {
    /// Writes `vector` (already normalised when cosine) into slot `id`.
    func store(_ vector: [Float], at id: UInt32) {
        let target = slot(id)
        vector.withUnsafeBufferPointer { values in
            switch configuration.elementType {
            case .float32:
                target.copyMemory(from: values.baseAddress!, byteCount: values.count * 4)
            case .float16:
                Kernels.storeHalf(values, to: target)
            case .int8:
                let (bytes, scale) = Quantizer.quantize(values)
                target.storeBytes(of: scale, as: Float.self)
                bytes.withUnsafeBytes { (target + 4).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            }
        }
    }

    /// The stored vector of `id` as floats (dequantised).
    func vector(_ id: UInt32) -> [Float] {
        let source = UnsafeRawPointer(slot(id))
        let dimension = configuration.dimension
        switch configuration.elementType {
        case .float32:
            return (0..<dimension).map { source.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        case .float16:
            return (0..<dimension).map { Kernels.loadHalf(source, index: $0) }
        case .int8:
            let scale = source.loadUnaligned(as: Float.self)
            return (0..<dimension).map { Float(source.load(fromByteOffset: 4 + $0, as: Int8.self)) * scale }
        }
    }

    func prepare(_ vector: [Float]) -> PreparedQuery {
        var query = PreparedQuery(floats: vector)
        if configuration.elementType == .int8 {
            let (bytes, scale) = vector.withUnsafeBufferPointer { Quantizer.quantize($0) }
            query.int8 = bytes
            query.scale = scale
            let selfDot = bytes.withUnsafeBytes { Kernels.dotInt8($0.baseAddress!, $0.baseAddress!, count: bytes.count) }
            query.squaredNorm = Float(selfDot) * scale * scale
        }
        return query
    }

    /// Distance from the query to the vector in slot `id`: lower is nearer.
    /// Cosine and inner product: 1 − dot; L2: the squared distance.
    @inline(__always)
    func distance(_ query: PreparedQuery, _ id: UInt32) -> Float {
        let target = UnsafeRawPointer(slot(id))
        let dimension = configuration.dimension
        switch configuration.elementType {
        case .float32:
            return query.floats.withUnsafeBytes { q in
                configuration.metric == .l2 ? Kernels.squaredL2(q.baseAddress!, target, count: dimension) : 1 - Kernels.dot(q.baseAddress!, target, count: dimension)
            }
        case .float16:
            return query.floats.withUnsafeBytes { q in
                configuration.metric == .l2 ? Kernels.squaredL2Half(q.baseAddress!, target, count: dimension) : 1 - Kernels.dotHalf(q.baseAddress!, target, count: dimension)
            }
        case .int8:
            let scale = target.loadUnaligned(as: Float.self)
            let dot = query.int8.withUnsafeBytes { Kernels.dotInt8($0.baseAddress!, target + 4, count: dimension) }
            if configuration.metric == .l2 {
                // ‖q − v‖² = ‖q‖² + ‖v‖² − 2 q·v, every product on the integers.
                let vectorNorm = Float(Kernels.dotInt8(target + 4, target + 4, count: dimension)) * scale * scale
                return max(0, query.squaredNorm + vectorNorm - 2 * Float(dot) * query.scale * scale)
            }
            return 1 - Float(dot) * query.scale * scale
        }
    }

    /// Distance between two stored vectors (building the graph), computed in place: no copies.
    @inline(__always)
    func distance(_ a: UInt32, _ b: UInt32) -> Float {
        let x = UnsafeRawPointer(slot(a))
        let y = UnsafeRawPointer(slot(b))
        let dimension = configuration.dimension
        let l2 = configuration.metric == .l2
        switch configuration.elementType {
        case .float32:
            return l2 ? Kernels.squaredL2(x, y, count: dimension) : 1 - Kernels.dot(x, y, count: dimension)
        case .float16:
            return l2 ? Kernels.squaredL2HalfHalf(x, y, count: dimension) : 1 - Kernels.dotHalfHalf(x, y, count: dimension)
        case .int8:
            let scaleX = x.loadUnaligned(as: Float.self)
            let scaleY = y.loadUnaligned(as: Float.self)
            let dot = Float(Kernels.dotInt8(x + 4, y + 4, count: dimension)) * scaleX * scaleY
            if l2 {
                let normX = Float(Kernels.dotInt8(x + 4, x + 4, count: dimension)) * scaleX * scaleX
                let normY = Float(Kernels.dotInt8(y + 4, y + 4, count: dimension)) * scaleY * scaleY
                return max(0, normX + normY - 2 * dot)
            }
            return 1 - dot
        }
    }
}
