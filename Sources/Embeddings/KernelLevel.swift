import CMnemapShims

/// Which build of the vector kernels the encoder runs.
///
/// The C kernels of `CMnemapShims` exist twice: compiled for AVX2+FMA and for the baseline target
/// (SSE2 on x86-64, NEON on ARM). A process uses the best its CPU has (``best``); the environment
/// variable `MNEMAP_KERNEL_LEVEL=0` forces the portable build for every kernel of the process
/// (VectorIndex's too). Tests also run the portable build side by side by passing `.portable`.
/// The two give slightly different floats (fused multiply-adds round once); each is deterministic,
/// so within one level a text gets the same vector alone or in any batch.
enum KernelLevel: Sendable, CustomStringConvertible {
    case portable
    case avx2

    /// The level `MiniLMEmbedder` uses: `.avx2` when the CPU has AVX2, FMA and F16C and
    /// `MNEMAP_KERNEL_LEVEL` is not `0`.
    static let best: KernelLevel = mnemap_kernel_level() != 0 ? .avx2 : .portable

    /// The levels this CPU can run, portable first.
    static var available: [KernelLevel] { best == .avx2 ? [.portable, .avx2] : [.portable] }

    /// The `level` argument of the C kernels.
    var code: Int32 { self == .avx2 ? 1 : 0 }

    var description: String { self == .avx2 ? "avx2" : "portable" }
}

/// The C kernels' element-wise approximations, one array at a time (for tests and probes).
enum VectorMath {
    /// erf of each value, by the approximation GELU uses.
    static func erf(_ values: [Float], level: KernelLevel) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                if let input = x.baseAddress, let output = y.baseAddress { mnemap_erf_f32(input, output, x.count, level.code) }
            }
        }
        return result
    }

    /// exp of each value, by the approximation the softmax uses.
    static func exp(_ values: [Float], level: KernelLevel) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                if let input = x.baseAddress, let output = y.baseAddress { mnemap_exp_f32(input, output, x.count, level.code) }
            }
        }
        return result
    }

    /// GELU of each value.
    static func gelu(_ values: [Float], level: KernelLevel) -> [Float] {
        var result = values
        result.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { GELU.apply(base, count: buffer.count, level: level) }
        }
        return result
    }
}
