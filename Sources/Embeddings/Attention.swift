import CMnemapShims
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
    /// `query`, `key`, `value` and `context` are `[rows, heads × headSize]`, row-major. One task per
    /// (sequence, head). When `headSize` is a multiple of 8 (MiniLM's is 32), the C kernel
    /// `mnemap_attention_f32` runs it as two small matrix products (6 queries × 16 keys at a time
    /// against the transposed keys, then 6 queries × 16 dimensions of `V`; 2 queries in the
    /// portable build) around a softmax with a vectorised `exp`; otherwise the scalar loop below.
    static func work(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, headSize: Int,
        level: KernelLevel
    ) -> Parallel.Work {
        let width = heads * headSize
        let scale = 1 / Float(headSize).squareRoot()
        let longest = sequences.map(\.count).max() ?? 0
        let vectorised = headSize % 8 == 0
        let scratch = vectorised ? mnemap_attention_scratch_count(longest, headSize) : max(1, longest)
        return Parallel.Work(count: sequences.count * heads) { task in
            let rows = sequences[task / heads]
            let column = (task % heads) * headSize
            let offset = rows.lowerBound * width + column
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, scratch)) { scratch in
                if vectorised {
                    _ = mnemap_attention_f32(
                        query + offset, key + offset, value + offset, context + offset,
                        rows.count, width, headSize, scale, scratch.baseAddress!, level.code
                    )
                } else {
                    scalar(
                        query: query + offset, key: key + offset, value: value + offset, context: context + offset,
                        rows: rows.count, width: width, headSize: headSize, scale: scale, scores: scratch.baseAddress!
                    )
                }
            }
        }
    }

    /// The same in a round of its own.
    static func apply(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, headSize: Int,
        level: KernelLevel
    ) {
        Parallel.run([work(
            query: query, key: key, value: value, context: context, sequences: sequences,
            heads: heads, headSize: headSize, level: level
        )])
    }

    /// One sequence and head, any head size: dot products, softmax with libm's `exp`, weighted sum.
    private static func scalar(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        context: UnsafeMutablePointer<Float>, rows: Int, width: Int, headSize: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<rows {
            let q = query + i * width
            var maximum = -Float.infinity
            for j in 0..<rows {
                var sum: Float = 0
                for d in 0..<headSize { sum += q[d] * key[j * width + d] }
                scores[j] = sum * scale
                maximum = max(maximum, scores[j])
            }
            var total: Float = 0
            for j in 0..<rows {
                scores[j] = exp(scores[j] - maximum)
                total += scores[j]
            }
            let out = context + i * width
            for d in 0..<headSize { out[d] = 0 }
            for j in 0..<rows {
                let v = value + j * width
                for d in 0..<headSize { out[d] += scores[j] * v[d] }
            }
            let inverse = 1 / total
            for d in 0..<headSize { out[d] *= inverse }
        }
    }
}
