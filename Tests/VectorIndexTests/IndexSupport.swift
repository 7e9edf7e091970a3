import Foundation
import MnemapTestSupport
@testable import VectorIndex

/// A fresh folder for a test's index, removed afterwards.
typealias IndexFolder = TemporaryFolder

extension TemporaryFolder {
    func folder(_ name: String) -> String { path(name) }
}

/// The real embeddings in ../shared/data/pydocs (15,134 × 384 passages, 300 queries).
enum PyDocs {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("../shared/data/pydocs").standardized.path
    }()

    static func floats(_ name: String, dimension: Int = 384, limit: Int? = nil) throws -> [[Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name), options: .alwaysMapped)
        let rows = min(data.count / (dimension * 4), limit ?? .max)
        return data.withUnsafeBytes { raw in
            (0..<rows).map { row in (0..<dimension).map { raw.loadUnaligned(fromByteOffset: (row * dimension + $0) * 4, as: Float.self) } }
        }
    }

    static var available: Bool { FileManager.default.fileExists(atPath: directory + "/vectors.f32") }
}

/// Seeded random vectors.
func randomVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
    var random = SplitMix64(state: seed)
    return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
}

/// Brute force in Float64: the reference for exact search.
func bruteForce(_ query: [Float], _ vectors: [[Float]], k: Int, metric: Metric) -> [(id: Int, score: Double)] {
    func normalized(_ v: [Float]) -> [Double] {
        let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return v.map { Double($0) / (norm > 0 ? norm : 1) }
    }
    let q = metric == .cosine ? normalized(query) : query.map(Double.init)
    let scored = vectors.enumerated().map { (id, vector) -> (Int, Double) in
        let v = metric == .cosine ? normalized(vector) : vector.map(Double.init)
        switch metric {
        case .l2: return (id, zip(q, v).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        default: return (id, zip(q, v).reduce(0.0) { $0 + $1.0 * $1.1 })
        }
    }
    let sorted = metric == .l2 ? scored.sorted { $0.1 < $1.1 } : scored.sorted { $0.1 > $1.1 }
    return Array(sorted.prefix(k)).map { (id: $0.0, score: $0.1) }
}

func recall(_ found: [[SearchResult]], _ truth: [[Int]], k: Int) -> Double {
    var hits = 0
    for (result, expected) in zip(found, truth) {
        hits += Set(result.prefix(k).map { Int($0.id) }).intersection(expected.prefix(k)).count
    }
    return Double(hits) / Double(truth.count * k)
}
