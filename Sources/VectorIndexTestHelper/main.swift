// A child process for the multi-process and crash tests of VectorIndex.
// Vector i is always the same: generated from i, so any process can check it.
import VectorIndex
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func say(_ text: String) {
    print(text)
    fflush(nil)
}

func fail(_ text: String) -> Never {
    let line = "index-helper: \(text)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

/// The vector with id `i` (dimension 32).
func vector(_ i: Int) -> [Float] {
    var state = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<32).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int(state >> 40) % 2001 - 1000) / 1000
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else { fail("usage: writer|reader <dir> ...") }
let directory = arguments[1]

do {
    switch arguments[0] {
    case "writer":  // writer <dir> <total> <commitEvery>: adds vectors id = count..., commits; prints "committed N"
        let index = try VectorIndex(directory: directory, writable: true)
        let total = Int(arguments[2]) ?? 1000
        let every = Int(arguments[3]) ?? 50
        say("ready \(index.count)")
        while index.count < total {
            let id = try index.add(vector(index.count))
            if Int(id) + 1 != index.count { fail("id \(id) but count \(index.count)") }
            if index.count % every == 0 {
                try index.commit()
                say("committed \(index.count)")
            }
        }
        try index.commit()
        say("done \(index.count)")
    case "reader":  // reader <dir> <milliseconds>: searches in a loop; results must be published ids
        let index = try VectorIndex(directory: directory)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(arguments[2]) ?? 1000)
        var searches = 0
        var lastCount = 0
        say("ready")
        while clock.now < deadline {
            let before = index.count
            if before < lastCount { fail("count went back from \(lastCount) to \(before)") }
            lastCount = before
            guard before > 0 else { continue }
            let probe = Int.random(in: 0..<before)
            let results = try index.search(vector(probe), k: 5)
            let after = index.count
            for result in results where Int(result.id) >= after { fail("result \(result.id) is not published (count \(after))") }
            // The probe is in the index: searching for it finds it (cosine 1), unless HNSW misses it.
            if let first = results.first, first.score > 0.9999, Int(first.id) != probe, index.count > 0 {
                let stored = try index.vector(first.id)
                if stored != vector(Int(first.id)).normalizedForTest { fail("result \(first.id) has a wrong vector") }
            }
            searches += 1
        }
        say("ok \(searches) \(lastCount)")
    default:
        fail("unknown command \(arguments[0])")
    }
} catch {
    fail("\(error)")
}

extension Array where Element == Float {
    var normalizedForTest: [Float] {
        let norm = reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return map { $0 / norm }
    }
}
