/// The one checksum every method uses: the wrapping sum of the bytes read as
/// native-endian `UInt64` words (a last partial word is zero-padded).
///
/// The sum is associative, so the sum of 1 MiB chunks equals the sum of the whole
/// file, whatever way the bytes arrived. `@inline(never)` keeps one copy of the
/// machine code, so every method runs exactly the same loop: two `SIMD8<UInt64>`
/// accumulators (128 bytes per iteration, packed 64-bit adds), which keeps the scan
/// bound by memory, not by the adds.
@inline(never)
func wordSum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    let wordCount = bytes.count / 8
    var vector0 = SIMD8<UInt64>()
    var vector1 = SIMD8<UInt64>()
    var index = 0
    while index &+ 16 <= wordCount {
        let p = base + index &* 8
        vector0 &+= p.loadUnaligned(as: SIMD8<UInt64>.self)
        vector1 &+= p.loadUnaligned(fromByteOffset: 64, as: SIMD8<UInt64>.self)
        index &+= 16
    }
    var sum = (vector0 &+ vector1).wrappedSum()
    while index < wordCount {
        sum &+= base.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self)
        index &+= 1
    }
    let tailCount = bytes.count - wordCount * 8
    if tailCount > 0 {
        var tail: UInt64 = 0
        withUnsafeMutableBytes(of: &tail) { word in
            word.copyMemory(from: UnsafeRawBufferPointer(start: base + wordCount * 8, count: tailCount))
        }
        sum &+= tail
    }
    return sum
}
