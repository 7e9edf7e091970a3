@testable import Embeddings
import Foundation
import Testing

/// The vector kernels of the encoder at every level this CPU runs (`portable` always, `avx2` where
/// the CPU has it), against double-precision Foundation math.
@Suite("Embedding kernels")
struct KernelTests {
    /// A dense grid over `range`, its ends included.
    private func grid(_ range: ClosedRange<Double>, count: Int) -> [Float] {
        (0..<count).map { Float(range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1)) }
    }

    @Test(arguments: KernelLevel.available)
    func erfIsWithinSixTenMillionthsOfFoundations(level: KernelLevel) {
        #if DEBUG
        let count = 200_001
        #else
        let count = 4_000_001
        #endif
        var x = grid(-10...10, count: count)
        x += [0, -0, 1e-30, -1e-30, 1e-8, 4, -4, 4.5, 100, -100, .infinity, -.infinity, .greatestFiniteMagnitude]
        let y = VectorMath.erf(x, level: level)
        var worst = (error: 0.0, at: Float(0))
        for (input, output) in zip(x, y) {
            let error = abs(Double(output) - Foundation.erf(Double(input)))
            if error > worst.error { worst = (error, input) }
        }
        print("erf (\(level)): max |error| \(worst.error) at \(worst.at) over \(x.count) points")
        #expect(worst.error <= 6e-7)
        #expect(y[count] == 0 && y[count + 1] == 0)
        #expect(abs(y[count + 4]) <= 2e-8)
        #expect(y[x.count - 3] == 1 && y[x.count - 2] == -1)
        // Odd, as erf is.
        let positive = x.prefix(count).filter { $0 > 0 }
        #expect(VectorMath.erf(positive.map { -$0 }, level: level) == VectorMath.erf(positive, level: level).map { -$0 })
    }

    @Test(arguments: KernelLevel.available)
    func geluIsWithinAMillionthTimesItsInput(level: KernelLevel) {
        // Odd lengths reach the tail of less than 8 values.
        let x = grid(-12...12, count: 480_007)
        let y = VectorMath.gelu(x, level: level)
        var worst = 0.0
        for (input, output) in zip(x, y) {
            let exact = 0.5 * Double(input) * (1 + Foundation.erf(Double(input) / 2.0.squareRoot()))
            let error = abs(Double(output) - exact) / max(1, abs(Double(input)))
            worst = max(worst, error)
        }
        print("GELU (\(level)): max |error| / max(1, |x|) \(worst)")
        #expect(worst <= 4e-7)
        for count in 0..<20 {
            let short = Array(x[1000..<(1000 + count)])
            #expect(VectorMath.gelu(short, level: level) == Array(y[1000..<(1000 + count)]))
        }
    }

    @Test(arguments: KernelLevel.available)
    func expIsWithinTwoUlps(level: KernelLevel) {
        let x = grid(-87...88, count: 1_000_003) + [0, -1e-9, 1e-9, 88.7, -87.3]
        let y = VectorMath.exp(x, level: level)
        var worst = 0.0
        for (input, output) in zip(x, y) {
            let exact = Foundation.exp(Double(input))
            worst = max(worst, abs(Double(output) - exact) / exact)
        }
        print("exp (\(level)): max relative error \(worst)")
        #expect(worst <= 2.4e-7)  // 2 ulp: an ulp is at most 2⁻²³ ≈ 1.19e-7 of the value
        #expect(y[x.count - 5] == 1)
        // Far below: tiny, never negative, never NaN.
        let low = VectorMath.exp([-100, -1000, -.infinity], level: level)
        #expect(low.allSatisfy { $0 >= 0 && $0 < 1e-37 })
    }

    @Test(arguments: KernelLevel.available)
    func attentionMatchesADoublePrecisionSoftmax(level: KernelLevel) {
        var generator = SplitMix(seed: 7)
        // Head sizes: MiniLM's 32, a multiple of 16, one of 8 only, and one the scalar path takes.
        #if DEBUG
        let shapes = [(2, 32), (1, 64), (1, 24), (1, 20)]
        let lengths = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 70]
        #else
        let shapes = [(3, 32), (2, 64), (2, 24), (2, 20)]
        let lengths = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 100, 256]
        #endif
        for (heads, headSize) in shapes {
            let width = heads * headSize
            let rows = lengths.reduce(0, +)
            var sequences: [Range<Int>] = []
            for length in lengths { sequences.append((sequences.last?.upperBound ?? 0)..<((sequences.last?.upperBound ?? 0) + length)) }
            let q = (0..<(rows * width)).map { _ in generator.nextFloat() * 4 - 2 }
            let k = (0..<(rows * width)).map { _ in generator.nextFloat() * 4 - 2 }
            let v = (0..<(rows * width)).map { _ in generator.nextFloat() * 2 - 1 }
            var context = [Float](repeating: .nan, count: rows * width)
            context.withUnsafeMutableBufferPointer { out in
                Attention.apply(
                    query: q, key: k, value: v, context: out.baseAddress!, sequences: sequences,
                    heads: heads, headSize: headSize, level: level
                )
            }
            let scale = 1 / Double(headSize).squareRoot()
            var worst = 0.0
            for range in sequences {
                for head in 0..<heads {
                    let c = head * headSize
                    for i in range {
                        var scores = range.map { j in
                            (0..<headSize).reduce(0.0) { $0 + Double(q[i * width + c + $1]) * Double(k[j * width + c + $1]) } * scale
                        }
                        let maximum = scores.max()!
                        scores = scores.map { Foundation.exp($0 - maximum) }
                        let total = scores.reduce(0, +)
                        for d in 0..<headSize {
                            var sum = 0.0
                            for (index, j) in range.enumerated() { sum += scores[index] * Double(v[j * width + c + d]) }
                            worst = max(worst, abs(sum / total - Double(context[i * width + c + d])))
                        }
                    }
                }
            }
            print("attention (\(level)), head size \(headSize): max |error| \(worst)")
            #expect(worst <= 2e-6, "head size \(headSize)")
        }
    }

    @Test(arguments: KernelLevel.available)
    func linearLayersMatchDoublePrecisionWithEveryEpilogue(level: KernelLevel) {
        var generator = SplitMix(seed: 11)
        // MiniLM's shapes, and odd ones: a last panel of fewer than 16 columns, inputs not a
        // multiple of 8, rows that leave partial tiles.
        for (rows, inputs, outputs) in [(13, 384, 384), (7, 1536, 384), (19, 37, 21), (1, 8, 16), (40, 100, 40)] {
            let input = (0..<(rows * inputs)).map { _ in generator.nextFloat() * 2 - 1 }
            let weight = (0..<(outputs * inputs)).map { _ in (generator.nextFloat() * 2 - 1) * 0.1 }
            let bias = (0..<outputs).map { _ in generator.nextFloat() - 0.5 }
            let residual = (0..<(rows * outputs)).map { _ in generator.nextFloat() * 2 - 1 }
            let gamma = (0..<outputs).map { _ in generator.nextFloat() + 0.5 }
            let beta = (0..<outputs).map { _ in generator.nextFloat() - 0.5 }
            var exact = [Double](repeating: 0, count: rows * outputs)
            for m in 0..<rows {
                for n in 0..<outputs {
                    var sum = Double(bias[n])
                    for k in 0..<inputs { sum += Double(input[m * inputs + k]) * Double(weight[n * inputs + k]) }
                    exact[m * outputs + n] = sum
                }
            }
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    gamma.withUnsafeBufferPointer { g in
                        beta.withUnsafeBufferPointer { e in
                            let layer = BertWeights.Linear(weight: w.baseAddress!, bias: b.baseAddress!, inputs: inputs, outputs: outputs)
                            let norm = BertWeights.Norm(gamma: g.baseAddress!, beta: e.baseAddress!)
                            var plain = [Float](repeating: .nan, count: rows * outputs)
                            var gelu = plain, normed = plain
                            plain.withUnsafeMutableBufferPointer { MatrixMultiply.linear(layer, input: input, rows: rows, output: $0.baseAddress!, level: level) }
                            gelu.withUnsafeMutableBufferPointer { MatrixMultiply.linear(layer, input: input, rows: rows, output: $0.baseAddress!, epilogue: .gelu, level: level) }
                            residual.withUnsafeBufferPointer { r in
                                normed.withUnsafeMutableBufferPointer {
                                    MatrixMultiply.linear(
                                        layer, input: input, rows: rows, output: $0.baseAddress!,
                                        epilogue: .residualLayerNorm(residual: r.baseAddress!, norm: norm, epsilon: 1e-12), level: level
                                    )
                                }
                            }
                            var worst = (plain: 0.0, gelu: 0.0, norm: 0.0)
                            for m in 0..<rows {
                                let row = (0..<outputs).map { exact[m * outputs + $0] + Double(residual[m * outputs + $0]) }
                                let mean = row.reduce(0, +) / Double(outputs)
                                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(outputs)
                                for n in 0..<outputs {
                                    let x = exact[m * outputs + n]
                                    worst.plain = max(worst.plain, abs(Double(plain[m * outputs + n]) - x))
                                    let g = 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
                                    worst.gelu = max(worst.gelu, abs(Double(gelu[m * outputs + n]) - g))
                                    let y = (row[n] - mean) / (variance + 1e-12).squareRoot() * Double(gamma[n]) + Double(beta[n])
                                    worst.norm = max(worst.norm, abs(Double(normed[m * outputs + n]) - y))
                                }
                            }
                            print("linear (\(level)) \(rows) × \(inputs) → \(outputs): max |error| \(worst.plain), GELU \(worst.gelu), residual + LayerNorm \(worst.norm)")
                            #expect(worst.plain <= 2e-6 && worst.gelu <= 2e-6 && worst.norm <= 1e-5, "\(rows) × \(inputs) → \(outputs)")
                            // Without packing first (each task packs its panels): the same floats.
                            var unpacked = [Float](repeating: .nan, count: rows * outputs)
                            var unpackedGelu = unpacked, unpackedNormed = unpacked
                            unpacked.withUnsafeMutableBufferPointer { MatrixMultiply.linear(layer, input: input, rows: rows, output: $0.baseAddress!, packFirst: false, level: level) }
                            unpackedGelu.withUnsafeMutableBufferPointer { MatrixMultiply.linear(layer, input: input, rows: rows, output: $0.baseAddress!, epilogue: .gelu, packFirst: false, level: level) }
                            residual.withUnsafeBufferPointer { r in
                                unpackedNormed.withUnsafeMutableBufferPointer {
                                    MatrixMultiply.linear(
                                        layer, input: input, rows: rows, output: $0.baseAddress!,
                                        epilogue: .residualLayerNorm(residual: r.baseAddress!, norm: norm, epsilon: 1e-12), packFirst: false, level: level
                                    )
                                }
                            }
                            #expect(unpacked == plain && unpackedGelu == gelu && unpackedNormed == normed)
                            // Row by row: the same floats, bit for bit.
                            for m in [0, rows - 1] {
                                var alone = [Float](repeating: .nan, count: outputs)
                                alone.withUnsafeMutableBufferPointer { out in
                                    input.withUnsafeBufferPointer { x in
                                        MatrixMultiply.linear(layer, input: x.baseAddress! + m * inputs, rows: 1, output: out.baseAddress!, level: level)
                                    }
                                }
                                #expect(alone == Array(plain[(m * outputs)..<((m + 1) * outputs)]))
                            }
                        }
                    }
                }
            }
        }
    }

}

/// SplitMix64, for reproducible test inputs.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
