import Foundation

/// Multi-head self-attention of packed sequences: `softmax(Q Kᵀ / √d) V` per sequence and head.
///
/// The batch is packed: the rows of all sequences follow each other with no padding, and
/// `sequences[s]` is the row range of sequence `s`. A query attends only to the keys of its own
/// sequence, which is what the attention mask of a padded batch does (padded keys get weight
/// exactly 0 there), without computing the padded rows.
enum Attention {
    /// `context[r] = Σ_j softmax_j(q_r · k_j / √headSize) v_j` over the rows `j` of the sequence of `r`, per head.
    ///
    /// `query`, `key`, `value` and `context` are `[rows, heads × headSize]`, row-major.
    static func apply(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, headSize: Int,
        level: KernelLevel
    ) {
        let width = heads * headSize
        let scale = 1 / Float(headSize).squareRoot()
        let longest = sequences.map(\.count).max() ?? 0
        Parallel.forEach(sequences.count * heads) { task in
            let rows = sequences[task / heads]
            let head = task % heads
            let column = head * headSize
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, longest)) { scores in
                for i in rows {
                    let q = query + i * width + column
                    if headSize == 32 {
                        scores32(query: q, rows: rows, key: key + column, width: width, scale: scale, into: scores)
                    } else {
                        for (index, j) in rows.enumerated() {
                            scores[index] = MatrixMultiply.dot(q, key + j * width + column, headSize, accelerated: level == .avx2) * scale
                        }
                    }
                    var maximum = -Float.infinity
                    for index in 0..<rows.count { maximum = max(maximum, scores[index]) }
                    var total: Float = 0
                    for index in 0..<rows.count {
                        let weight = exp(scores[index] - maximum)
                        scores[index] = weight
                        total += weight
                    }
                    let out = context + i * width + column
                    if headSize == 32 {
                        weightedSum32(scores: scores, rows: rows, value: value + column, width: width, into: out)
                    } else {
                        weightedSum(scores: scores, rows: rows, value: value + column, width: width, headSize: headSize, into: out)
                    }
                    let inverse = 1 / total
                    for d in 0..<headSize { out[d] *= inverse }
                }
            }
        }
    }

    /// `out = Σ_j scores[j] · value[rows[j]]` for any head size.
    private static func weightedSum(
        scores: UnsafeMutableBufferPointer<Float>, rows: Range<Int>, value: UnsafePointer<Float>,
        width: Int, headSize: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for d in 0..<headSize { out[d] = 0 }
        for (index, j) in rows.enumerated() {
            let weight = scores[index]
            let v = value + j * width
            for d in 0..<headSize { out[d] += weight * v[d] }
        }
    }

    /// The same for MiniLM's head size of 32, with the sum held in eight `SIMD4<Float>` registers.
    private static func weightedSum32(
        scores: UnsafeMutableBufferPointer<Float>, rows: Range<Int>, value: UnsafePointer<Float>,
        width: Int, into out: UnsafeMutablePointer<Float>
    ) {
        var s0 = SIMD4<Float>(), s1 = SIMD4<Float>(), s2 = SIMD4<Float>(), s3 = SIMD4<Float>()
        var s4 = SIMD4<Float>(), s5 = SIMD4<Float>(), s6 = SIMD4<Float>(), s7 = SIMD4<Float>()
        for (index, j) in rows.enumerated() {
            let weight = SIMD4<Float>(repeating: scores[index])
            let v = UnsafeRawPointer(value + j * width)
            s0 += weight * v.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self)
            s1 += weight * v.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
            s2 += weight * v.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
            s3 += weight * v.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
            s4 += weight * v.loadUnaligned(fromByteOffset: 64, as: SIMD4<Float>.self)
            s5 += weight * v.loadUnaligned(fromByteOffset: 80, as: SIMD4<Float>.self)
            s6 += weight * v.loadUnaligned(fromByteOffset: 96, as: SIMD4<Float>.self)
            s7 += weight * v.loadUnaligned(fromByteOffset: 112, as: SIMD4<Float>.self)
        }
        let target = UnsafeMutableRawPointer(out)
        target.storeBytes(of: s0, toByteOffset: 0, as: SIMD4<Float>.self)
        target.storeBytes(of: s1, toByteOffset: 16, as: SIMD4<Float>.self)
        target.storeBytes(of: s2, toByteOffset: 32, as: SIMD4<Float>.self)
        target.storeBytes(of: s3, toByteOffset: 48, as: SIMD4<Float>.self)
        target.storeBytes(of: s4, toByteOffset: 64, as: SIMD4<Float>.self)
        target.storeBytes(of: s5, toByteOffset: 80, as: SIMD4<Float>.self)
        target.storeBytes(of: s6, toByteOffset: 96, as: SIMD4<Float>.self)
        target.storeBytes(of: s7, toByteOffset: 112, as: SIMD4<Float>.self)
    }

    /// `scores[j] = q · key[rows[j]] · scale` for MiniLM's head size of 32, with `q` held in eight
    /// `SIMD4<Float>` registers; summed in the order of `MatrixMultiply.dot`.
    private static func scores32(
        query: UnsafePointer<Float>, rows: Range<Int>, key: UnsafePointer<Float>,
        width: Int, scale: Float, into scores: UnsafeMutableBufferPointer<Float>
    ) {
        let q = UnsafeRawPointer(query)
        let q0 = q.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self), q1 = q.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
        let q2 = q.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self), q3 = q.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
        let q4 = q.loadUnaligned(fromByteOffset: 64, as: SIMD4<Float>.self), q5 = q.loadUnaligned(fromByteOffset: 80, as: SIMD4<Float>.self)
        let q6 = q.loadUnaligned(fromByteOffset: 96, as: SIMD4<Float>.self), q7 = q.loadUnaligned(fromByteOffset: 112, as: SIMD4<Float>.self)
        for (index, j) in rows.enumerated() {
            let k = UnsafeRawPointer(key + j * width)
            var sum = q0 * k.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self)
            sum += q1 * k.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
            sum += q2 * k.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
            sum += q3 * k.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
            sum += q4 * k.loadUnaligned(fromByteOffset: 64, as: SIMD4<Float>.self)
            sum += q5 * k.loadUnaligned(fromByteOffset: 80, as: SIMD4<Float>.self)
            sum += q6 * k.loadUnaligned(fromByteOffset: 96, as: SIMD4<Float>.self)
            sum += q7 * k.loadUnaligned(fromByteOffset: 112, as: SIMD4<Float>.self)
            scores[index] = sum.sum() * scale
        }
    }
}
