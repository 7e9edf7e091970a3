import CMnemapShims

/// Distance kernels: SIMD with several accumulators (the plain loop is not vectorised by the
/// compiler). Every kernel takes raw pointers to `count` components. Where the CPU has
/// AVX2, FMA and F16C, the C kernels built for them run instead (chosen once, at run time);
/// the Swift ones are the portable baseline (SSE2 on x86-64, NEON on ARM).
enum Kernels {
    /// Whether the AVX2/FMA/F16C kernels run on this machine.
    static let accelerated = mnemap_kernel_level() != 0

    @inline(__always)
    static func load16(_ pointer: UnsafeRawPointer, _ index: Int) -> SIMD16<Float> {
        pointer.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
    }

    /// Σ a·b over Float32.
    static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_dot_f32(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), count) }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i + 64 <= count {
            s0 += load16(a, i) * load16(b, i)
            s1 += load16(a, i + 16) * load16(b, i + 16)
            s2 += load16(a, i + 32) * load16(b, i + 32)
            s3 += load16(a, i + 48) * load16(b, i + 48)
            i += 64
        }
        while i + 16 <= count {
            s0 += load16(a, i) * load16(b, i)
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) * b.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
            i += 1
        }
        return sum
    }

    /// Σ (a−b)² over Float32.
    static func squaredL2(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_l2sq_f32(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), count) }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i + 64 <= count {
            let d0 = load16(a, i) - load16(b, i)
            let d1 = load16(a, i + 16) - load16(b, i + 16)
            let d2 = load16(a, i + 32) - load16(b, i + 32)
            let d3 = load16(a, i + 48) - load16(b, i + 48)
            s0 += d0 * d0
            s1 += d1 * d1
            s2 += d2 * d2
            s3 += d3 * d3
            i += 64
        }
        while i + 16 <= count {
            let d = load16(a, i) - load16(b, i)
            s0 += d * d
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            let d = a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) - b.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
            sum += d * d
            i += 1
        }
        return sum
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    @inline(__always)
    static func loadHalf16(_ pointer: UnsafeRawPointer, _ index: Int) -> SIMD16<Float> {
        SIMD16<Float>(pointer.loadUnaligned(fromByteOffset: index * 2, as: SIMD16<Float16>.self))
    }

    /// Σ a·b with `a` Float32 (the query) and `b` Float16 (stored).
    static func dotHalf(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_dot_f32_f16(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            s0 += load16(a, i) * loadHalf16(b, i)
            s1 += load16(a, i + 16) * loadHalf16(b, i + 16)
            i += 32
        }
        while i + 16 <= count {
            s0 += load16(a, i) * loadHalf16(b, i)
            i += 16
        }
        var sum = (s0 + s1).sum()
        while i < count {
            sum += a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) * Float(b.loadUnaligned(fromByteOffset: i * 2, as: Float16.self))
            i += 1
        }
        return sum
    }

    /// Σ (a−b)² with `a` Float32 and `b` Float16.
    static func squaredL2Half(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_l2sq_f32_f16(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            let d0 = load16(a, i) - loadHalf16(b, i)
            let d1 = load16(a, i + 16) - loadHalf16(b, i + 16)
            s0 += d0 * d0
            s1 += d1 * d1
            i += 32
        }
        while i + 16 <= count {
            let d = load16(a, i) - loadHalf16(b, i)
            s0 += d * d
            i += 16
        }
        var sum = (s0 + s1).sum()
        while i < count {
            let d = a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) - Float(b.loadUnaligned(fromByteOffset: i * 2, as: Float16.self))
            sum += d * d
            i += 1
        }
        return sum
    }

    static func storeHalf(_ values: UnsafeBufferPointer<Float>, to target: UnsafeMutableRawPointer) {
        for (index, value) in values.enumerated() { target.storeBytes(of: Float16(value), toByteOffset: index * 2, as: Float16.self) }
    }

    static func loadHalf(_ source: UnsafeRawPointer, index: Int) -> Float {
        Float(source.loadUnaligned(fromByteOffset: index * 2, as: Float16.self))
    }
    #else
    // Intel Macs have no Float16: store halves through their bit patterns.
    static func dotHalf(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_dot_f32_f16(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var sum: Float = 0
        for i in 0..<count { sum += a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) * loadHalf(b, index: i) }
        return sum
    }
    static func squaredL2Half(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_l2sq_f32_f16(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var sum: Float = 0
        for i in 0..<count { let d = a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) - loadHalf(b, index: i); sum += d * d }
        return sum
    }
    static func storeHalf(_ values: UnsafeBufferPointer<Float>, to target: UnsafeMutableRawPointer) {
        for (index, value) in values.enumerated() { target.storeBytes(of: halfBits(value), toByteOffset: index * 2, as: UInt16.self) }
    }
    static func loadHalf(_ source: UnsafeRawPointer, index: Int) -> Float {
        floatFromHalf(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
    }
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        let mantissa = bits & 0x7F_FFFF
        if exponent <= 0 { return sign }
        if exponent >= 31 { return sign | 0x7C00 }
        return sign | UInt16(exponent << 10) | UInt16(mantissa >> 13)
    }
    static func floatFromHalf(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32((half >> 10) & 0x1F)
        let mantissa = UInt32(half & 0x3FF)
        if exponent == 0 { return Float(bitPattern: sign) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
    #endif

    /// Σ a·b with both in Float16.
    static func dotHalfHalf(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_dot_f16_f16(a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var sum: Float = 0
        var i = 0
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        var s0 = SIMD16<Float>()
        while i + 16 <= count {
            s0 += loadHalf16(a, i) * loadHalf16(b, i)
            i += 16
        }
        sum = s0.sum()
        #endif
        while i < count {
            sum += loadHalf(a, index: i) * loadHalf(b, index: i)
            i += 1
        }
        return sum
    }

    /// Σ (a−b)² with both in Float16.
    static func squaredL2HalfHalf(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        if accelerated { return mnemap_l2sq_f16_f16(a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), count) }
        var sum: Float = 0
        var i = 0
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        var s0 = SIMD16<Float>()
        while i + 16 <= count {
            let d = loadHalf16(a, i) - loadHalf16(b, i)
            s0 += d * d
            i += 16
        }
        sum = s0.sum()
        #endif
        while i < count {
            let d = loadHalf(a, index: i) - loadHalf(b, index: i)
            sum += d * d
            i += 1
        }
        return sum
    }

    /// Σ a·b over Int8, accumulated exactly in Int32.
    static func dotInt8(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Int32 {
        if accelerated { return mnemap_dot_i8(a.assumingMemoryBound(to: Int8.self), b.assumingMemoryBound(to: Int8.self), count) }
        var s0 = SIMD16<Int32>(), s1 = SIMD16<Int32>()
        var i = 0
        while i + 32 <= count {
            let a0 = SIMD16<Int16>(truncatingIfNeeded: a.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self))
            let b0 = SIMD16<Int16>(truncatingIfNeeded: b.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self))
            let a1 = SIMD16<Int16>(truncatingIfNeeded: a.loadUnaligned(fromByteOffset: i + 16, as: SIMD16<Int8>.self))
            let b1 = SIMD16<Int16>(truncatingIfNeeded: b.loadUnaligned(fromByteOffset: i + 16, as: SIMD16<Int8>.self))
            s0 &+= SIMD16<Int32>(truncatingIfNeeded: a0 &* b0)
            s1 &+= SIMD16<Int32>(truncatingIfNeeded: a1 &* b1)
            i += 32
        }
        var sum = (s0 &+ s1).wrappedSum()
        while i < count {
            sum &+= Int32(a.load(fromByteOffset: i, as: Int8.self)) * Int32(b.load(fromByteOffset: i, as: Int8.self))
            i += 1
        }
        return sum
    }
}
