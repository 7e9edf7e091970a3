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
