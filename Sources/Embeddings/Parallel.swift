import Dispatch

/// Work split over all cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// Runs `body(i)` for `i` in `0..<count`, on all cores when `count > 1`, and returns when all are done.
    ///
    /// `body` is not `@Sendable`: the kernels pass closures that capture buffer pointers, and each
    /// iteration writes a range of the output no other iteration touches. That contract, not the
    /// compiler, is what makes the calls safe; this is the one place it is assumed.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
        } else if count > 1 {
            withoutActuallyEscaping(body) { body in
                let shared = unsafeBitCast(body, to: (@Sendable (Int) -> Void).self)
                DispatchQueue.concurrentPerform(iterations: count, execute: shared)
            }
        }
    }
}
