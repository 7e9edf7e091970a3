import Dispatch

/// Work split over all cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// `count` tasks: `body(i)` for `i` in `0..<count`.
    struct Work {
        let count: Int
        let body: (Int) -> Void
    }

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

    /// Runs the tasks of all `works` in one round (one `concurrentPerform`, so one wait at the end
    /// instead of one per work), in order: the tasks of `works[0]` are handed out first. The works
    /// must not depend on each other.
    static func run(_ works: [Work]) {
        var starts: [Int] = []
        var total = 0
        for work in works {
            starts.append(total)
            total += work.count
        }
        forEach(total) { task in
            var index = works.count - 1
            while starts[index] > task { index -= 1 }
            works[index].body(task - starts[index])
        }
    }
}
