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
        defer {
            for buffer in [hidden, attended, query, key, value, context, intermediate] { buffer.deallocate() }
        }

        embed(sequences, into: hidden)
        for layer in weights.layers {
            linear(layer.query, hidden, rows, query)
            linear(layer.key, hidden, rows, key)
            linear(layer.value, hidden, rows, value)
            Attention.apply(
                query: query, key: key, value: value, context: context,
                sequences: ranges, heads: configuration.headCount, headSize: configuration.headSize,
                level: level
            )
            linear(layer.attentionOutput, context, rows, attended)
            norm(layer.attentionNorm, attended, adding: hidden, rows)
            linear(layer.intermediate, attended, rows, intermediate)
            GELU.apply(intermediate, count: rows * configuration.intermediateSize, level: level)
            linear(layer.output, intermediate, rows, hidden)
            norm(layer.outputNorm, hidden, adding: attended, rows)
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
        norm(weights.embeddingNorm, hidden, adding: nil, row)
    }

    private func linear(_ layer: BertWeights.Linear, _ input: UnsafePointer<Float>, _ rows: Int, _ output: UnsafeMutablePointer<Float>) {
        MatrixMultiply.linear(
            input: input, rows: rows, inputs: layer.inputs,
            weight: layer.weight, bias: layer.bias, outputs: layer.outputs, output: output, level: level
        )
    }

    private func norm(_ weights: BertWeights.Norm, _ values: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, _ rows: Int) {
        LayerNorm.apply(
            values, adding: residual, rows: rows, width: configuration.hiddenSize,
            gamma: weights.gamma, beta: weights.beta, epsilon: configuration.layerNormEpsilon
        )
    }
}
