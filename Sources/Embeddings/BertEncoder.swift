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
    /// The layers' weights packed for the product kernel, made by the first long or the second forward pass.
    private let packedWeights = PackedWeightsCache()

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
        defer {
            for buffer in [hidden, attended, query, key, value, context, intermediate] { buffer.deallocate() }
        }
        let level = self.level
        let epsilon = configuration.layerNormEpsilon
        // The weights packed for the product kernel, once per encoder (see PackedWeightsCache). A
        // short first pass packs each panel as it goes instead (the same floats).
        let packed = packedWeights.weights(forRows: rows, of: weights, level: level)
        let layers: [PackedWeights.Layer?] = packed.map { $0.layers.map { $0 } } ?? weights.layers.map { _ in nil }
        defer { withExtendedLifetime(packed) {} }

        // Five rounds per layer, each ending when all cores are done with it.
        embed(sequences, into: hidden)
        Parallel.run([LayerNorm.work(hidden, adding: nil, rows: rows, width: h, norm: weights.embeddingNorm, epsilon: epsilon, level: level)])
        for (layer, panels) in zip(weights.layers, layers) {
            Parallel.run([
                MatrixMultiply.linear(layer.query, packed: panels?.query, input: hidden, rows: rows, output: query, level: level),
                MatrixMultiply.linear(layer.key, packed: panels?.key, input: hidden, rows: rows, output: key, level: level),
                MatrixMultiply.linear(layer.value, packed: panels?.value, input: hidden, rows: rows, output: value, level: level),
            ])
            Parallel.run([
                Attention.work(
                    query: query, key: key, value: value, context: context,
                    sequences: ranges, heads: configuration.headCount, headSize: configuration.headSize,
                    level: level
                ),
            ])
            // attended = LN(context Wₒ + bₒ + hidden)
            Parallel.run([
                MatrixMultiply.linear(
                    layer.attentionOutput, packed: panels?.attentionOutput, input: context, rows: rows, output: attended,
                    epilogue: .residualLayerNorm(residual: hidden, norm: layer.attentionNorm, epsilon: epsilon), level: level
                ),
            ])
            // intermediate = GELU(attended W₁ + b₁)
            Parallel.run([
                MatrixMultiply.linear(
                    layer.intermediate, packed: panels?.intermediate, input: attended, rows: rows, output: intermediate,
                    epilogue: .gelu, level: level
                ),
            ])
            // hidden = LN(intermediate W₂ + b₂ + attended)
            Parallel.run([
                MatrixMultiply.linear(
                    layer.output, packed: panels?.output, input: intermediate, rows: rows, output: hidden,
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
