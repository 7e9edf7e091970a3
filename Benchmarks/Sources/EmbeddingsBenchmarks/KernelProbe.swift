// `EmbeddingsBenchmarks kernels`: one thread, the shape of MiniLM's intermediate product
// (rows × 384 input times 1536 × 384 weights, PyTorch's [out, in] layout), with two kernels:
// a copy of the library's SSE kernel (4 × 2 tile of SIMD4 accumulators, `*` then `+=`) and an
// 8-wide candidate (4 × 2 tile of SIMD8 accumulators with `addProduct`, which is a fused
// multiply-add only when the compiler may use FMA: build with `-Xswiftc -target-cpu -Xswiftc haswell`;
// on baseline x86-64 it becomes a call to `fmaf` per lane and crawls). A 4 × 3 SIMD8 tile spills
// two accumulators to the stack (19 live vectors, 16 registers) and is no faster than SSE.
// It measures what an AVX2/FMA kernel would gain; the library is unchanged.
import Foundation

@inline(never)
func probeSSEStrided(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, rows: Int, inputs k: Int, outputs n: Int, stride s: Int) {
    var j = 0
    while j + 2 <= n {
        var i = 0
        while i + 4 <= rows {
            let a0 = UnsafeRawPointer(a + i * k), a1 = UnsafeRawPointer(a + (i + 1) * k)
            let a2 = UnsafeRawPointer(a + (i + 2) * k), a3 = UnsafeRawPointer(a + (i + 3) * k)
            let w0 = UnsafeRawPointer(w + j * k), w1 = UnsafeRawPointer(w + (j + 1) * k)
            var c00 = SIMD4<Float>(), c01 = SIMD4<Float>(), c10 = SIMD4<Float>(), c11 = SIMD4<Float>()
            var c20 = SIMD4<Float>(), c21 = SIMD4<Float>(), c30 = SIMD4<Float>(), c31 = SIMD4<Float>()
            var o = 0
            while o < k * 4 {
                let v0 = w0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                let v1 = w1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                let x0 = a0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self); c00 += x0 * v0; c01 += x0 * v1
                let x1 = a1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self); c10 += x1 * v0; c11 += x1 * v1
                let x2 = a2.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self); c20 += x2 * v0; c21 += x2 * v1
                let x3 = a3.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self); c30 += x3 * v0; c31 += x3 * v1
                o += 16
            }
            c[i * s + j] = c00.sum(); c[i * s + j + 1] = c01.sum()
            c[(i + 1) * s + j] = c10.sum(); c[(i + 1) * s + j + 1] = c11.sum()
            c[(i + 2) * s + j] = c20.sum(); c[(i + 2) * s + j + 1] = c21.sum()
            c[(i + 3) * s + j] = c30.sum(); c[(i + 3) * s + j + 1] = c31.sum()
            i += 4
        }
        j += 2
    }
}

@inline(never)
func probeFMA8Strided(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, rows: Int, inputs k: Int, outputs n: Int, stride s: Int) {
    var j = 0
    while j + 2 <= n {
        var i = 0
        while i + 4 <= rows {
            let a0 = UnsafeRawPointer(a + i * k), a1 = UnsafeRawPointer(a + (i + 1) * k)
            let a2 = UnsafeRawPointer(a + (i + 2) * k), a3 = UnsafeRawPointer(a + (i + 3) * k)
            let w0 = UnsafeRawPointer(w + j * k), w1 = UnsafeRawPointer(w + (j + 1) * k)
            var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
            var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
            var o = 0
            while o < k * 4 {
                let v0 = w0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                let v1 = w1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                let x0 = a0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self); c00.addProduct(x0, v0); c01.addProduct(x0, v1)
                let x1 = a1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self); c10.addProduct(x1, v0); c11.addProduct(x1, v1)
                let x2 = a2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self); c20.addProduct(x2, v0); c21.addProduct(x2, v1)
                let x3 = a3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self); c30.addProduct(x3, v0); c31.addProduct(x3, v1)
                o += 32
            }
            c[i * s + j] = c00.sum(); c[i * s + j + 1] = c01.sum()
            c[(i + 1) * s + j] = c10.sum(); c[(i + 1) * s + j + 1] = c11.sum()
            c[(i + 2) * s + j] = c20.sum(); c[(i + 2) * s + j + 1] = c21.sum()
            c[(i + 3) * s + j] = c30.sum(); c[(i + 3) * s + j + 1] = c31.sum()
            i += 4
        }
        j += 2
    }
}

/// GFLOP/s of each kernel per CPU-second of this thread (best of `repeats`), with blocks of 32 rows
/// × 64 weight rows as the library uses, and the largest difference between the two outputs.
func kernelProbe(rows: Int = 512, repeats: Int = 5) -> String {
    let k = 384, n = 1536
    var seed: UInt64 = 42
    func random() -> Float {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 1000
    }
    let a = (0..<(rows * k)).map { _ in random() }, w = (0..<(n * k)).map { _ in random() }
    var c1 = [Float](repeating: 0, count: rows * n), c2 = c1
    func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
    func run(_ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Int) -> Void,
             _ columnBlock: Int, _ out: inout [Float]) -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = threadCPU()
            a.withUnsafeBufferPointer { a in w.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer { c in
                for column in stride(from: 0, to: n, by: columnBlock) {
                    for row in stride(from: 0, to: rows, by: 32) {
                        // A block: 32 rows of the input × columnBlock weight rows, output row stride n.
                        kernel(a.baseAddress! + row * k, w.baseAddress! + column * k, c.baseAddress! + row * n + column,
                               min(32, rows - row), k, columnBlock)
                    }
                }
            } } }
            best = min(best, threadCPU() - start)
        }
        return 2 * Double(rows * n * k) / best / 1e9
    }
    let sse = run({ probeSSEStrided($0, $1, $2, rows: $3, inputs: $4, outputs: $5, stride: 1536) }, 64, &c1)
    let fma = run({ probeFMA8Strided($0, $1, $2, rows: $3, inputs: $4, outputs: $5, stride: 1536) }, 64, &c2)
    var difference: Float = 0
    for i in c1.indices { difference = max(difference, abs(c1[i] - c2[i])) }
    return String(format: "kernel=SSE_4x2_SIMD4 gflops_per_cpu_s=%.1f kernel=SIMD8_4x2_addProduct gflops_per_cpu_s=%.1f ratio=%.2f max_difference=%.2e rows=%d",
                  sse, fma, fma / sse, difference, rows)
}
