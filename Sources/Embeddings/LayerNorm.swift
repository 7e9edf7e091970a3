import CMnemapShims

/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm` computes it:
/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, variance biased (divided by the width).
/// The C kernel `mnemap_layernorm_f32` (also the epilogue of the products before each LayerNorm).
enum LayerNorm {
    /// The tasks that normalise each of `rows` rows of `width` floats in `values`, in place, after
    /// adding `residual` when given.
    static func work(
        _ values: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, rows: Int, width: Int,
        norm: BertWeights.Norm, epsilon: Float, level: KernelLevel
    ) -> Parallel.Work {
        let rowsPerTask = 64
        return Parallel.Work(count: (rows + rowsPerTask - 1) / rowsPerTask) { task in
            let first = task * rowsPerTask
            mnemap_layernorm_f32(
                values + first * width, residual.map { $0 + first * width }, min(rowsPerTask, rows - first), width,
                norm.gamma, norm.beta, epsilon, level.code
            )
        }
    }
}

/// The exact GELU of BERT's `hidden_act: "gelu"`: `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`.
///
/// `erf` is the C kernels' vectorised rational approximation (Eigen's), at most 4.7e-7 from the
/// true value (libm's `erff`, which it replaces, was called per element and took 12 % of the
/// forward pass). The encoder applies it as the epilogue of the intermediate product, the same
/// arithmetic as here.
enum GELU {
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel) {
        let chunk = 16_384
        Parallel.forEach((count + chunk - 1) / chunk) { task in
            let start = task * chunk
            mnemap_gelu_f32(values + start, min(chunk, count - start), level.code)
        }
    }
}
