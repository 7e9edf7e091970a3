import Embeddings
import Foundation
import Testing

/// The reference outputs of all-MiniLM-L6-v2 in `../shared/data/minilm-reference` (beside the package).
struct Reference {
    struct Sentence {
        let id: Int
        let text: String
        let inputIDs: [Int32]
        let tokens: [String]
    }

    static let directory: String = {
        // Tests/EmbeddingsTests/Reference.swift → the package root → ../shared/data.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/data/minilm-reference").standardized.path
    }()

    let sentences: [Sentence]
    let normalized: [[Float]]
    let unnormalized: [[Float]]
    let batch32: [[Float]]

    static let shared: Result<Reference, any Error> = Result { try Reference() }

    static func load() throws -> Reference { try shared.get() }

    private init() throws {
        let texts = try Self.jsonLines("sentences.jsonl")
        let ids = try Self.jsonLines("token_ids.jsonl")
        var sentences: [Sentence] = []
        for (text, tokenized) in zip(texts, ids) {
            let id = try #require(text["id"] as? Int)
            #expect(tokenized["id"] as? Int == id)
            sentences.append(Sentence(
                id: id,
                text: try #require(text["text"] as? String),
                inputIDs: try #require(tokenized["input_ids"] as? [Int]).map { Int32($0) },
                tokens: try #require(tokenized["tokens"] as? [String])
            ))
        }
        self.sentences = sentences
        normalized = try Self.vectors("vectors.f32", count: sentences.count)
        unnormalized = try Self.vectors("vectors-unnormalized.f32", count: sentences.count)
        batch32 = try Self.vectors("vectors-batch32.f32", count: sentences.count)
    }

    private static func jsonLines(_ name: String) throws -> [[String: Any]] {
        let path = (directory as NSString).appendingPathComponent(name)
        let data = try #require(FileManager.default.contents(atPath: path), "reference data missing at \(path)")
        return try data.split(separator: UInt8(ascii: "\n")).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        }
    }

    private static func vectors(_ name: String, count: Int) throws -> [[Float]] {
        let path = (directory as NSString).appendingPathComponent(name)
        let data = try #require(FileManager.default.contents(atPath: path), "reference data missing at \(path)")
        try #require(data.count == count * 384 * 4)
        let floats = data.withUnsafeBytes { raw in
            (0..<(count * 384)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
        return (0..<count).map { Array(floats[($0 * 384)..<(($0 + 1) * 384)]) }
    }
}

/// The installed model folder, found the way `MiniLMEmbedder()` finds it; a test that needs it fails
/// with the install command when it is missing (CI installs it in `.ci/run`).
func installedModelFolder() throws -> String {
    let folder = ModelStore.miniLMDirectory()
    try #require(ModelStore.isInstalled(at: folder), "all-MiniLM-L6-v2 is not installed in \(folder): run scripts/install-model.sh")
    return folder
}

/// One embedder for the whole test run (opening is cheap, but there is no need to repeat it).
let sharedEmbedder: Result<MiniLMEmbedder, any Error> = Result { try MiniLMEmbedder(folder: installedModelFolder()) }
let sharedUnnormalizedEmbedder: Result<MiniLMEmbedder, any Error> = Result {
    try MiniLMEmbedder(folder: installedModelFolder(), normalize: false)
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    guard na > 0, nb > 0 else { return na == nb ? 1 : 0 }
    return dot / (na.squareRoot() * nb.squareRoot())
}

func norm(_ a: [Float]) -> Double {
    a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
}

func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
