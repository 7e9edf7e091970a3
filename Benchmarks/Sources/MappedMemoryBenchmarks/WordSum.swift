/// The one checksum every method uses: the wrapping sum of the bytes read as
/// little-endian `UInt64` words (a last partial word is zero-padded).
///
/// The sum is associative, so the sum of 1 MiB chunks equals the sum of the whole
/// file, and it is what each scan computes whatever way the bytes arrived.
/// `@inline(never)` keeps one copy of the machine code: every method runs exactly
/// the same loop. Four independent accumulators let LLVM vectorize the loop (it
/// emits packed 64-bit adds), so the scan is bound by memory, not by the adds.
@inline(never)
func wordSum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    let wordCount = bytes.count / 8
    var s0: UInt64 = 0
    var s1: UInt64 = 0
    var s2: UInt64 = 0
    var s3: UInt64 = 0
    var index = 0
    while index + 4 <= wordCount {
        let p = base + index &* 8
        s0 &+= p.loadUnaligned(as: UInt64.self)
        s1 &+= p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        s2 &+= p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        s3 &+= p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        index &+= 4
    }
    while index < wordCount {
        s0 &+= base.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self)
        index &+= 1
    }
    var tail: UInt64 = 0
    let tailCount = bytes.count - wordCount * 8
    if tailCount > 0 {
        withUnsafeMutableBytes(of: &tail) { word in
            word.copyMemory(from: UnsafeRawBufferPointer(start: base + wordCount * 8, count: tailCount))
        }
    }
    return s0 &+ s1 &+ s2 &+ s3 &+ tail
}
