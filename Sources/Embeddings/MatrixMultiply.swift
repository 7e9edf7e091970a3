import CMnemapShims

/// The matrix product of a linear layer, `output = input · weightᵀ + bias`, with the weight in
/// PyTorch's `[out, in]` layout, read in place from the mapped safetensors file.
///
/// Each output element is a dot product of an input row and a weight row, both contiguous. The
/// kernel computes a tile of 4 input rows × 2 weight rows at once with eight `SIMD4<Float>`
/// accumulators, so that each loaded vector is used 2 or 4 times and nothing spills from
/// registers. The work is cut into blocks of input rows × weight rows sized to stay in the L2
/// cache, and the blocks run on all cores.
/// Every output element is summed in the same order whatever the blocking or the batch, so a
/// sentence gets bit-identical vectors alone or in a batch.
enum MatrixMultiply {
    /// Input rows per block.
    static let rowBlock = 32

    /// `output[m][n] = Σ_k input[m][k] · weight[n][k] + bias[n]` for `m < rows`, `n < outputs`, `k < inputs`.
    static func linear(
        input: UnsafePointer<Float>, rows: Int, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>, level: KernelLevel
    ) {
        // With `.avx2` the AVX2/FMA kernels (in C) compute the tiles and dot products. An encoder
        // runs every product at one level, so a text gets the same vector bit for bit alone or in
        // any batch.
        let accelerated = level == .avx2
        // About 96 KiB of weight rows per block, an even number of them.
        let columnBlock = min(outputs, max(2, (24_576 / inputs) & ~1))
        let rowBlocks = (rows + rowBlock - 1) / rowBlock
        let columnBlocks = (outputs + columnBlock - 1) / columnBlock
        Parallel.forEach(rowBlocks * columnBlocks) { task in
            let rowStart = (task / columnBlocks) * rowBlock
            let columnStart = (task % columnBlocks) * columnBlock
            block(
                input: input, inputs: inputs, weight: weight, bias: bias, outputs: outputs, output: output,
                rows: rowStart..<min(rows, rowStart + rowBlock),
                columns: columnStart..<min(outputs, columnStart + columnBlock), accelerated: accelerated
            )
        }
    }

    private static func block(
        input: UnsafePointer<Float>, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>,
        rows: Range<Int>, columns: Range<Int>, accelerated: Bool
    ) {
        var n = columns.lowerBound
        while n + 2 <= columns.upperBound {
            var m = rows.lowerBound
            while m + 4 <= rows.upperBound {
                tile4x2(input: input, inputs: inputs, weight: weight, bias: bias, outputs: outputs, output: output, row: m, column: n, accelerated: accelerated)
                m += 4
            }
            while m < rows.upperBound {
                for column in n..<(n + 2) {
                    output[m * outputs + column] = dot(input + m * inputs, weight + column * inputs, inputs, accelerated: accelerated) + bias[column]
                }
                m += 1
            }
            n += 2
        }
        if n < columns.upperBound {
            for m in rows {
                output[m * outputs + n] = dot(input + m * inputs, weight + n * inputs, inputs, accelerated: accelerated) + bias[n]
            }
        }
    }

    /// Four input rows times two weight rows: eight `SIMD4<Float>` accumulators, two weight vectors,
    /// one input vector and a product fit the sixteen vector registers of baseline x86-64 (SSE),
    /// whose two-operand instructions need the spare one (measured: 4 × 3 spills and runs 30 % slower).
    @inline(__always)
    private static func tile4x2(
        input: UnsafePointer<Float>, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>, row m: Int, column n: Int, accelerated: Bool
    ) {
        if accelerated {
            mnemap_tile4x2_f32(input, inputs, weight, bias, outputs, output, m, n)
            return
        }
        let a0 = UnsafeRawPointer(input + m * inputs), a1 = UnsafeRawPointer(input + (m + 1) * inputs)
        let a2 = UnsafeRawPointer(input + (m + 2) * inputs), a3 = UnsafeRawPointer(input + (m + 3) * inputs)
        let w0 = UnsafeRawPointer(weight + n * inputs), w1 = UnsafeRawPointer(weight + (n + 1) * inputs)
        var c00 = SIMD4<Float>(), c01 = SIMD4<Float>(), c10 = SIMD4<Float>(), c11 = SIMD4<Float>()
        var c20 = SIMD4<Float>(), c21 = SIMD4<Float>(), c30 = SIMD4<Float>(), c31 = SIMD4<Float>()
        let vectorEnd = inputs & ~3
        var offset = 0
        while offset < vectorEnd * 4 {
            let v0 = w0.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            let v1 = w1.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            let x0 = a0.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            c00 += x0 * v0; c01 += x0 * v1
            let x1 = a1.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            c10 += x1 * v0; c11 += x1 * v1
            let x2 = a2.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            c20 += x2 * v0; c21 += x2 * v1
            let x3 = a3.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            c30 += x3 * v0; c31 += x3 * v1
            offset += 16
        }
        @inline(__always) func finish(_ i: Int, _ j: Int, _ lanes: SIMD4<Float>) {
            var sum = lanes.sum()
            for k in vectorEnd..<inputs { sum += input[(m + i) * inputs + k] * weight[(n + j) * inputs + k] }
            output[(m + i) * outputs + n + j] = sum + bias[n + j]
        }
        finish(0, 0, c00); finish(0, 1, c01)
        finish(1, 0, c10); finish(1, 1, c11)
        finish(2, 0, c20); finish(2, 1, c21)
        finish(3, 0, c30); finish(3, 1, c31)
    }

    /// A dot product summed in the same order as one lane of `tile4x2`, so that rows outside
    /// full tiles get exactly the values they would get inside one.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, accelerated: Bool) -> Float {
        if accelerated { return mnemap_dot8_f32(a, b, count) }
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var accumulator = SIMD4<Float>()
        let vectorEnd = count & ~3
        var offset = 0
        while offset < vectorEnd * 4 {
            accumulator += ra.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self) * rb.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            offset += 16
        }
        var sum = accumulator.sum()
        for k in vectorEnd..<count { sum += a[k] * b[k] }
        return sum
    }
}
