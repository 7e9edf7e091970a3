/// The matrix product of a linear layer, `output = input · weightᵀ + bias`, with the weight in
/// PyTorch's `[out, in]` layout, read in place from the mapped safetensors file.
///
/// Each output element is a dot product of an input row and a weight row, both contiguous. The
/// kernel computes a tile of 4 input rows × 2 weight rows at once with eight `SIMD8<Float>`
/// accumulators, so that each loaded vector is used 2 or 4 times. The work is cut into blocks of
/// input rows × weight rows sized to stay in the L2 cache, and the blocks run on all cores.
/// Every output element is summed in the same order whatever the blocking or the batch, so a
/// sentence gets bit-identical vectors alone or in a batch.
enum MatrixMultiply {
    /// Input rows per block.
    static let rowBlock = 32

    /// `output[m][n] = Σ_k input[m][k] · weight[n][k] + bias[n]` for `m < rows`, `n < outputs`, `k < inputs`.
    static func linear(
        input: UnsafePointer<Float>, rows: Int, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>
    ) {
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
                columns: columnStart..<min(outputs, columnStart + columnBlock)
            )
        }
    }

    private static func block(
        input: UnsafePointer<Float>, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>,
        rows: Range<Int>, columns: Range<Int>
    ) {
        var n = columns.lowerBound
        while n + 2 <= columns.upperBound {
            var m = rows.lowerBound
            while m + 4 <= rows.upperBound {
                tile4x2(input: input, inputs: inputs, weight: weight, bias: bias, outputs: outputs, output: output, row: m, column: n)
                m += 4
            }
            while m < rows.upperBound {
                output[m * outputs + n] = dot(input + m * inputs, weight + n * inputs, inputs) + bias[n]
                output[m * outputs + n + 1] = dot(input + m * inputs, weight + (n + 1) * inputs, inputs) + bias[n + 1]
                m += 1
            }
            n += 2
        }
        if n < columns.upperBound {
            for m in rows {
                output[m * outputs + n] = dot(input + m * inputs, weight + n * inputs, inputs) + bias[n]
            }
        }
    }

    /// Four input rows times two weight rows.
    @inline(__always)
    private static func tile4x2(
        input: UnsafePointer<Float>, inputs: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int,
        output: UnsafeMutablePointer<Float>, row m: Int, column n: Int
    ) {
        let a0 = UnsafeRawPointer(input + m * inputs), a1 = UnsafeRawPointer(input + (m + 1) * inputs)
        let a2 = UnsafeRawPointer(input + (m + 2) * inputs), a3 = UnsafeRawPointer(input + (m + 3) * inputs)
        let w0 = UnsafeRawPointer(weight + n * inputs), w1 = UnsafeRawPointer(weight + (n + 1) * inputs)
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        let vectorEnd = inputs & ~7
        var offset = 0
        while offset < vectorEnd * 4 {
            let v0 = w0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let v1 = w1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let x0 = a0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            c00 += x0 * v0; c01 += x0 * v1
            let x1 = a1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            c10 += x1 * v0; c11 += x1 * v1
            let x2 = a2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            c20 += x2 * v0; c21 += x2 * v1
            let x3 = a3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            c30 += x3 * v0; c31 += x3 * v1
            offset += 32
        }
        var sums = (c00.sum(), c01.sum(), c10.sum(), c11.sum(), c20.sum(), c21.sum(), c30.sum(), c31.sum())
        for k in vectorEnd..<inputs {
            let v0 = weight[n * inputs + k], v1 = weight[(n + 1) * inputs + k]
            sums.0 += input[m * inputs + k] * v0; sums.1 += input[m * inputs + k] * v1
            sums.2 += input[(m + 1) * inputs + k] * v0; sums.3 += input[(m + 1) * inputs + k] * v1
            sums.4 += input[(m + 2) * inputs + k] * v0; sums.5 += input[(m + 2) * inputs + k] * v1
            sums.6 += input[(m + 3) * inputs + k] * v0; sums.7 += input[(m + 3) * inputs + k] * v1
        }
        output[m * outputs + n] = sums.0 + bias[n]; output[m * outputs + n + 1] = sums.1 + bias[n + 1]
        output[(m + 1) * outputs + n] = sums.2 + bias[n]; output[(m + 1) * outputs + n + 1] = sums.3 + bias[n + 1]
        output[(m + 2) * outputs + n] = sums.4 + bias[n]; output[(m + 2) * outputs + n + 1] = sums.5 + bias[n + 1]
        output[(m + 3) * outputs + n] = sums.6 + bias[n]; output[(m + 3) * outputs + n + 1] = sums.7 + bias[n + 1]
    }

    /// A dot product summed in the same order as one lane of `tile4x2`, so that rows outside
    /// full tiles get exactly the values they would get inside one.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var accumulator = SIMD8<Float>()
        let vectorEnd = count & ~7
        var offset = 0
        while offset < vectorEnd * 4 {
            accumulator += ra.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            offset += 32
        }
        var sum = accumulator.sum()
        for k in vectorEnd..<count { sum += a[k] * b[k] }
        return sum
    }
}
