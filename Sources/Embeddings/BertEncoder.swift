/// The BERT encoder forward pass (post-LN) with mean pooling, on packed sequences.
///
/// Per sequence: embeddings (word + position + token type 0, LayerNorm), then per layer
/// `h = LN(h + Attention(h) Wₒ)`, `h = LN(h + GELU(h W₁) W₂)`, then the mean of `h` over the
/// sequence's tokens ([CLS] and [SEP] included). Sequences are packed row after row without padding;
/// every matrix product runs over all rows of the batch at once.
struct BertEncoder: Sendable {
    let configuration: BertConfiguration
    let weights: BertWeights
    /// The build of the vector kernels every step runs.
    let level: KernelLevel

    init(configuration: BertConfiguration, weights: BertWeights, level: KernelLevel = .best) {
        self.configuration = configuration
        self.weights = weights
        self.level = level
    }

    /// The mean-pooled last hidden state of each sequence, `[sequences.count × hiddenSize]`, row-major.
    ///
    /// Every id must be below the vocabulary size and every sequence no longer than the position table;
    /// the caller checks.
    func meanPooled(_ sequences: [[Int32]]) -> [Float] {
        let h = configuration.hiddenSize
        var ranges: [Range<Int>] = []
        var rows = 0
        for sequence in sequences {
            ranges.append(rows..<(rows + sequence.count))
            rows += sequence.count
        }
        var pooled = [Float](repeating: 0, count: sequences.count * h)
        guard rows > 0 else { return pooled }

        let hidden = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let attended = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let query = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let key = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let value = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let context = UnsafeMutablePointer<Float>.allocate(capacity: rows * h)
        let intermediate = UnsafeMutablePointer<Float>.allocate(capacity: rows * configuration.intermediateSize)
        let level = self.level
        let epsilon = configuration.layerNormEpsilon
        // Each weight matrix packed for the product kernel, one buffer per product of a layer
        // (reused by the next layer; all layers have the same shapes): 7 MB for MiniLM. For a few
        // rows (a short text alone) no buffers: the products pack their panels as they go.
        let shared = rows >= MatrixMultiply.sharedPackingRows
        func buffer(_ linear: (BertWeights.Layer) -> BertWeights.Linear) -> UnsafeMutablePointer<Float>? {
            guard shared, let layer = weights.layers.first else { return nil }
            return .allocate(capacity: MatrixMultiply.packedCount(linear(layer)))
        }
        let packedQuery = buffer(\.query), packedKey = buffer(\.key), packedValue = buffer(\.value)
        let packedAttentionOutput = buffer(\.attentionOutput)
        let packedIntermediate = buffer(\.intermediate), packedOutput = buffer(\.output)
        defer {
            for buffer in [hidden, attended, query, key, value, context, intermediate] { buffer.deallocate() }
            for buffer in [packedQuery, packedKey, packedValue, packedAttentionOutput, packedIntermediate, packedOutput] { buffer?.deallocate() }
        }
        func pack(_ layer: BertWeights.Linear, into packed: UnsafeMutablePointer<Float>?) -> [Parallel.Work] {
            packed.map { [MatrixMultiply.pack(layer, into: $0, level: level)] } ?? []
        }
        func packQKV(_ layer: BertWeights.Layer) -> [Parallel.Work] {
            pack(layer.query, into: packedQuery) + pack(layer.key, into: packedKey) + pack(layer.value, into: packedValue)
        }

        // Five rounds per layer (one wait for all cores at the end of each); packing the weights of
        // the next product runs as extra tasks of the round before it.
        embed(sequences, into: hidden)
        Parallel.run(
            [LayerNorm.work(hidden, adding: nil, rows: rows, width: h, norm: weights.embeddingNorm, epsilon: epsilon, level: level)]
                + (weights.layers.first.map(packQKV) ?? [])
        )
        for (index, layer) in weights.layers.enumerated() {
            Parallel.run(pack(layer.attentionOutput, into: packedAttentionOutput) + [
                MatrixMultiply.linear(layer.query, packed: packedQuery, input: hidden, rows: rows, output: query, level: level),
                MatrixMultiply.linear(layer.key, packed: packedKey, input: hidden, rows: rows, output: key, level: level),
                MatrixMultiply.linear(layer.value, packed: packedValue, input: hidden, rows: rows, output: value, level: level),
            ])
            Parallel.run(pack(layer.intermediate, into: packedIntermediate) + [
                Attention.work(
                    query: query, key: key, value: value, context: context,
                    sequences: ranges, heads: configuration.headCount, headSize: configuration.headSize,
                    level: level
                ),
            ])
            // attended = LN(context Wₒ + bₒ + hidden)
            Parallel.run(pack(layer.output, into: packedOutput) + [
                MatrixMultiply.linear(
                    layer.attentionOutput, packed: packedAttentionOutput, input: context, rows: rows, output: attended,
                    epilogue: .residualLayerNorm(residual: hidden, norm: layer.attentionNorm, epsilon: epsilon), level: level
                ),
            ])
            // intermediate = GELU(attended W₁ + b₁)
            let next = index + 1 < weights.layers.count ? packQKV(weights.layers[index + 1]) : []
            Parallel.run(next + [
                MatrixMultiply.linear(
                    layer.intermediate, packed: packedIntermediate, input: attended, rows: rows, output: intermediate,
                    epilogue: .gelu, level: level
                ),
            ])
            // hidden = LN(intermediate W₂ + b₂ + attended)
            Parallel.run([
                MatrixMultiply.linear(
                    layer.output, packed: packedOutput, input: intermediate, rows: rows, output: hidden,
                    epilogue: .residualLayerNorm(residual: attended, norm: layer.outputNorm, epsilon: epsilon), level: level
                ),
            ])
        }

        pooled.withUnsafeMutableBufferPointer { out in
            for (index, range) in ranges.enumerated() where !range.isEmpty {
                let target = out.baseAddress! + index * h
                for row in range {
                    for i in 0..<h { target[i] += hidden[row * h + i] }
                }
                let scale = 1 / Float(range.count)
                for i in 0..<h { target[i] *= scale }
            }
        }
        return pooled
    }

    private func embed(_ sequences: [[Int32]], into hidden: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        var row = 0
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let word = weights.wordEmbeddings + Int(id) * h
                let place = weights.positionEmbeddings + position * h
                let type = weights.tokenTypeEmbeddings
                let target = hidden + row * h
                // BertEmbeddings adds in this order.
                for i in 0..<h { target[i] = (word[i] + type[i]) + place[i] }
                row += 1
            }
        }
    }
}
