@testable import Embeddings
import Foundation
import Synchronization
import Testing

/// The forward pass costs about 21 MFLOP per token. Unoptimised Swift runs it at under
/// 0.2 GFLOP/s (every SIMD and pointer operation is a generic call), so a debug build embeds
/// 8 short sentences (32 tokens: a word, empty, punctuation, accents, an emoji, NUL and BEL,
/// letters outside the vocabulary) and the two that sit at the 256-token limit (62: exactly 256
/// ids; 63: 257, truncated by one), so CI checks truncation too; an optimised build
/// (`swift test -c release -Xswiftc -enable-testing`) embeds all 64, the 256-token ones included.
#if DEBUG
private let embeddedIDs = [3, 8, 15, 29, 31, 44, 49, 58, 62, 63]
#else
private let embeddedIDs = Array(0..<64)
#endif

/// The vectors of `embeddedIDs`, embedded in one call, shared by the tests that compare against them.
private let embeddedVectors: Result<[[Float]], any Error> = Result {
    let reference = try Reference.load()
    let embedder = try sharedEmbedder.get()
    let texts = embeddedIDs.map { reference.sentences[$0].text }
    let clock = ContinuousClock()
    let start = clock.now
    let vectors = try embedder.embed(texts)
    let seconds = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
    let tokens = texts.map { embedder.tokenizer.encode($0).count }.reduce(0, +)
    print("MiniLM: \(texts.count) sentences, \(tokens) tokens in \(seconds) s: \(Double(texts.count) / seconds) sentences/s, \(Double(tokens) / seconds) tokens/s")
    return vectors
}

@Suite("all-MiniLM-L6-v2 against sentence-transformers", .serialized)
struct MiniLMEmbedderTests {
    @Test func vectorsMatchTheReferenceInABatch() throws {
        let reference = try Reference.load()
        let embedder = try sharedEmbedder.get()
        #expect(embedder.dimension == 384 && embedder.isNormalized)
        let vectors = try embeddedVectors.get()
        #expect(vectors.count == embeddedIDs.count)
        var worst = (cosine: 1.0, id: -1)
        for (index, id) in embeddedIDs.enumerated() {
            let similarity = cosine(vectors[index], reference.normalized[id])
            #expect(similarity >= 0.9999, "sentence \(id) '\(reference.sentences[id].text.prefix(40))': cosine \(similarity)")
            #expect(abs(norm(vectors[index]) - 1) < 1e-5)
            // The reference's own batched vectors, of padded batches of 32.
            #expect(cosine(vectors[index], reference.batch32[id]) >= 0.9999)
            if similarity < worst.cosine { worst = (similarity, id) }
        }
        print("MiniLM: worst cosine \(worst.cosine) (sentence \(worst.id)) over \(embeddedIDs.count) sentences")
    }

    /// The portable build of the kernels (what a CPU without AVX2 runs; `MNEMAP_KERNEL_LEVEL=0`
    /// forces it for a whole process) against the reference too, when the suite itself runs AVX2.
    @Test(.enabled(if: KernelLevel.best != .portable))
    func thePortableKernelsMatchTheReferenceToo() throws {
        let reference = try Reference.load()
        let portable = try MiniLMEmbedder(folder: installedModelFolder(), normalize: true, batchSize: 32, level: .portable)
        #if DEBUG
        let ids = [3, 29, 49]  // unoptimised Swift products: a few short sentences
        #else
        let ids = embeddedIDs
        #endif
        let vectors = try portable.embed(ids.map { reference.sentences[$0].text })
        let best = try embeddedVectors.get()
        for (index, id) in ids.enumerated() {
            #expect(cosine(vectors[index], reference.normalized[id]) >= 0.9999, "sentence \(id)")
            if let position = embeddedIDs.firstIndex(of: id) {
                #expect(maximumDifference(vectors[index], best[position]) <= 1e-5, "sentence \(id)")
            }
        }
        let alone = try portable.embed(reference.sentences[ids[1]].text)
        #expect(alone == vectors[1])
    }

    @Test func unnormalizedVectorsMatchTheMeanPooledReference() throws {
        let reference = try Reference.load()
        let embedder = try sharedUnnormalizedEmbedder.get()
        #expect(!embedder.isNormalized)
        #if DEBUG
        let ids = [29]
        #else
        let ids = embeddedIDs
        #endif
        let vectors = try embedder.embed(ids.map { reference.sentences[$0].text })
        for (index, id) in ids.enumerated() {
            #expect(cosine(vectors[index], reference.unnormalized[id]) >= 0.9999, "sentence \(id)")
            let expectedNorm = norm(reference.unnormalized[id])
            #expect(abs(norm(vectors[index]) - expectedNorm) <= 1e-3 * expectedNorm, "sentence \(id)")
        }
    }

    @Test func aTextGetsTheSameVectorAloneAndInABatch() throws {
        let reference = try Reference.load()
        let embedder = try sharedEmbedder.get()
        let batch = try embeddedVectors.get()
        for index in [0, 4] {
            let alone = try embedder.embed(reference.sentences[embeddedIDs[index]].text)
            #expect(maximumDifference(alone, batch[index]) <= 1e-6, "sentence \(embeddedIDs[index])")
        }
    }

    /// A short text alone, first, runs on weights packed panel by panel as it goes; the first pass
    /// of 64 rows or more, or the second pass, packs all of them once and later passes read that
    /// copy. All give the same floats.
    @Test func aTextGetsTheSameVectorBeforeAndAfterTheWeightsArePacked() throws {
        let reference = try Reference.load()
        let embedder = try MiniLMEmbedder(folder: installedModelFolder(), normalize: true, batchSize: 32, level: .best)
        let text = reference.sentences[3].text
        let before = try embedder.embed(text)
        let longer = reference.sentences[50].text
        let batch = try embedder.embed([text] + Array(repeating: longer, count: 5))
        #expect(embedder.tokenizer.encode(text).count + 5 * embedder.tokenizer.encode(longer).count >= MatrixMultiply.sharedPackingRows)
        let after = try embedder.embed(text)
        #expect(before == batch[0])
        #expect(after == before)
        // Short passes only: the second one packs.
        let other = try MiniLMEmbedder(folder: installedModelFolder(), normalize: true, batchSize: 32, level: .best)
        let first = try other.embed(text), second = try other.embed(text), third = try other.embed(text)
        #expect(first == before && second == before && third == before)
    }

    @Test func threadsCanEmbedAtTheSameTime() throws {
        let reference = try Reference.load()
        let embedder = try sharedEmbedder.get()
        let expected = try embeddedVectors.get()[0]  // sentence 3, "hello"
        let text = reference.sentences[embeddedIDs[0]].text
        let results = Mutex<[[Float]]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let vector = (try? embedder.embed(text)) ?? []
            results.withLock { $0.append(vector) }
        }
        let vectors = results.withLock { $0 }
        #expect(vectors.count == 2)
        #expect(vectors.allSatisfy { $0 == expected })
    }

    @Test func emptyAndWhitespaceOnlyTextsShareTheVectorOfCLSSEP() throws {
        let reference = try Reference.load()
        let embedder = try sharedEmbedder.get()
        let vectors = try embedder.embed(["   \n  \t\r\n", "\u{200B}\u{0}"])
        for vector in vectors {
            #expect(maximumDifference(vector, vectors[0]) == 0)
            #expect(cosine(vector, reference.normalized[8]) >= 0.9999)
        }
        #expect(try embedder.embed([]).isEmpty)
    }

    @Test func smallBatchesGiveTheSameVectorsAsOneBatch() throws {
        let reference = try Reference.load()
        let small = try MiniLMEmbedder(folder: installedModelFolder(), batchSize: 2)
        let count = 3
        let inSmallBatches = try small.embed(embeddedIDs.prefix(count).map { reference.sentences[$0].text })
        let inOneBatch = try embeddedVectors.get()
        for index in 0..<count {
            #expect(maximumDifference(inSmallBatches[index], inOneBatch[index]) <= 1e-6)
        }
    }

    @Test func aMissingModelFolderSaysHowToInstall() {
        let folder = "/nonexistent/mnemap-model"
        #expect {
            _ = try MiniLMEmbedder(folder: folder)
        } throws: { error in
            guard let error = error as? EmbeddingError, case .modelNotInstalled = error else { return false }
            return error.description.contains("install-model.sh")
        }
    }

    @Test func aTruncatedOrForeignWeightFileIsAnErrorNotACrash() throws {
        let installed = try installedModelFolder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemap-model-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: installed + "/" + name, toPath: folder + "/" + name)
        }
        // The first megabyte of the real file: a valid header whose tensors reach past the end.
        let handle = try #require(FileHandle(forReadingAtPath: installed + "/model.safetensors"))
        let prefix = try #require(try handle.read(upToCount: 1 << 20))
        try handle.close()
        try prefix.write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        #expect(throws: SafeTensorsError.self) { _ = try MiniLMEmbedder(folder: folder) }
        // A well-formed file of another model: the first missing tensor is named.
        var header = Array(#"{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [UInt8](repeating: 0, count: 16)
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        #expect {
            _ = try MiniLMEmbedder(folder: folder)
        } throws: { error in
            guard let error = error as? SafeTensorsError, case .wrongShape = error.reason else { return false }
            return true
        }
    }

    @Test func theModelFolderIsFoundThroughTheEnvironment() {
        #expect(ModelStore.miniLMDirectory(environment: ["MNEMAP_MODEL_DIR": "/m/x", "HOME": "/h"]) == "/m/x")
        #expect(ModelStore.miniLMDirectory(environment: ["HOME": "/h"]) == "/h/.cache/mnemap/models/all-MiniLM-L6-v2")
        #expect(ModelStore.miniLMDirectory(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/c"]) == "/c/mnemap/models/all-MiniLM-L6-v2")
    }
}
