import Foundation

extension Array where Element: Sendable {
    /// `map(transform)` on all cores, in chunks of at least `minimumChunk` elements; the same
    /// result, in the same order. Small arrays are mapped on the calling thread.
    func parallelMap<T: Sendable>(minimumChunk: Int = 32, _ transform: @Sendable (Element) -> T) -> [T] {
        let chunks = Swift.min(count / Swift.max(minimumChunk, 1), ProcessInfo.processInfo.activeProcessorCount * 4)
        guard chunks > 1 else { return map(transform) }
        let slots = UnsafeMutableBufferPointer<[T]>.allocate(capacity: chunks)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        nonisolated(unsafe) let shared = slots
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (count * chunk / chunks)..<(count * (chunk + 1) / chunks)
            // Each chunk writes only its own slot.
            shared[chunk] = self[range].map(transform)
        }
        return slots.flatMap { $0 }
    }
}
