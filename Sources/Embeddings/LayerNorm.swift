import CMnemapShims

/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm` computes it:
/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, variance biased (divided by the width).
enum LayerNorm {
    /// Normalises each of `rows` rows of `width` floats in `values`, in place, after adding `residual` when given.
    static func apply(
        _ values: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        let rowsPerTask = 64
        Parallel.forEach((rows + rowsPerTask - 1) / rowsPerTask) { task in
            for row in (task * rowsPerTask)..<min(rows, (task + 1) * rowsPerTask) {
                let x = values + row * width
                if let residual {
                    let r = residual + row * width
                    for i in 0..<width { x[i] += r[i] }
                }
                var sum: Float = 0
                for i in 0..<width { sum += x[i] }
                let mean = sum / Float(width)
                var squares: Float = 0
                for i in 0..<width {
                    let centred = x[i] - mean
                    squares += centred * centred
                }
                let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
                for i in 0..<width { x[i] = (x[i] - mean) * scale * gamma[i] + beta[i] }
            }
        }
    }
}

/// The exact GELU of BERT's `hidden_act: "gelu"`: `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`.
///
/// `erf` is the C kernels' vectorised rational approximation (Eigen's), at most 5e-7 from the true
/// value (libm's `erff`, which this replaces, is called per element and was 12 % of the forward pass).
enum GELU {
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel) {
        let chunk = 16_384
        Parallel.forEach((count + chunk - 1) / chunk) { task in
            let start = task * chunk
            mnemap_gelu_f32(values + start, min(chunk, count - start), level.code)
        }
    }
}
