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
        context: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, headSize: Int
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
                    var maximum = -Float.infinity
                    for (index, j) in rows.enumerated() {
                        let score = MatrixMultiply.dot(q, key + j * width + column, headSize) * scale
                        scores[index] = score
                        maximum = max(maximum, score)
                    }
                    var total: Float = 0
                    for index in 0..<rows.count {
                        let weight = exp(scores[index] - maximum)
                        scores[index] = weight
                        total += weight
                    }
                    let out = context + i * width + column
                    let vectorEnd = headSize & ~3
                    for d in 0..<headSize { out[d] = 0 }
                    for (index, j) in rows.enumerated() {
                        let weight = scores[index]
                        let v = value + j * width + column
                        // Four lanes at a time: the compiler cannot prove that `out` and `v` do not overlap.
                        var d = 0
                        while d < vectorEnd {
                            let sum = UnsafeRawPointer(out + d).loadUnaligned(as: SIMD4<Float>.self)
                                + weight * UnsafeRawPointer(v + d).loadUnaligned(as: SIMD4<Float>.self)
                            UnsafeMutableRawPointer(out + d).storeBytes(of: sum, as: SIMD4<Float>.self)
                            d += 4
                        }
                        while d < headSize {
                            out[d] += weight * v[d]
                            d += 1
                        }
                    }
                    let inverse = 1 / total
                    for d in 0..<headSize { out[d] *= inverse }
                }
            }
        }
    }
}
