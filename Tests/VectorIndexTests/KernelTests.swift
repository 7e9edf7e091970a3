import Foundation
import Testing
import MnemapTestSupport
@testable import VectorIndex

/// The distance kernels (AVX2/FMA/F16C in C where the CPU has them, Swift SIMD otherwise)
/// against plain Float64 and Int64 references, at every length around the vector widths.
@Suite("Distance kernels")
struct KernelTests {
    @Test func kernelsMatchReferencesAtEveryLength() {
        var random = SplitMix64(state: 99)
        for count in Array(1...70) + [96, 127, 128, 129, 383, 384, 385, 1000, 4096] {
            let a = (0..<count).map { _ in Float.random(in: -2...2, using: &random) }
            let b = (0..<count).map { _ in Float.random(in: -2...2, using: &random) }
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let l2 = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
            let tolerance = 1e-4 * Double(count)
            a.withUnsafeBytes { x in b.withUnsafeBytes { y in
                #expect(abs(Double(Kernels.dot(x.baseAddress!, y.baseAddress!, count: count)) - dot) < tolerance, "dot \(count)")
                #expect(abs(Double(Kernels.squaredL2(x.baseAddress!, y.baseAddress!, count: count)) - l2) < tolerance, "l2 \(count)")
            } }
            // Halves: the reference uses the same rounded halves.
            let halfB = b.map { Float(Float16(bitPattern: Float16($0).bitPattern)) }
            let halfBits = b.map { Float16($0) }
            let halfA = a.map { Float16($0) }
            let dotHalf = zip(a, halfB).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let dotHalfHalf = zip(halfA, halfBits).reduce(0.0) { $0 + Double(Float($1.0)) * Double(Float($1.1)) }
            let l2HalfHalf = zip(halfA, halfBits).reduce(0.0) { $0 + pow(Double(Float($1.0)) - Double(Float($1.1)), 2) }
            a.withUnsafeBytes { x in halfBits.withUnsafeBytes { y in halfA.withUnsafeBytes { h in
                #expect(abs(Double(Kernels.dotHalf(x.baseAddress!, y.baseAddress!, count: count)) - dotHalf) < tolerance, "dotHalf \(count)")
                #expect(abs(Double(Kernels.dotHalfHalf(h.baseAddress!, y.baseAddress!, count: count)) - dotHalfHalf) < tolerance, "dotHalfHalf \(count)")
                #expect(abs(Double(Kernels.squaredL2HalfHalf(h.baseAddress!, y.baseAddress!, count: count)) - l2HalfHalf) < tolerance, "l2HalfHalf \(count)")
            } } }
            let i8a = (0..<count).map { _ in Int8.random(in: -127...127, using: &random) }
            let i8b = (0..<count).map { _ in Int8.random(in: -127...127, using: &random) }
            let exact = zip(i8a, i8b).reduce(Int64(0)) { $0 + Int64($1.0) * Int64($1.1) }
            i8a.withUnsafeBytes { x in i8b.withUnsafeBytes { y in
                #expect(Int64(Kernels.dotInt8(x.baseAddress!, y.baseAddress!, count: count)) == exact, "dotInt8 \(count)")
            } }
        }
    }
}
