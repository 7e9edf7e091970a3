/// The weights of a BERT encoder, as pointers into a mapped safetensors file (no copy).
///
/// Every tensor's name, dtype (F32), shape and alignment is checked when the weights are opened,
/// so the encoder reads only inside the file.
final class BertWeights: @unchecked Sendable {
    struct Linear {
        /// `[outputs, inputs]`, row-major (PyTorch's layout).
        let weight: UnsafePointer<Float>
        let bias: UnsafePointer<Float>
        let inputs: Int
        let outputs: Int
    }

    struct Norm {
        let gamma: UnsafePointer<Float>
        let beta: UnsafePointer<Float>
    }

    struct Layer {
        let query: Linear
        let key: Linear
        let value: Linear
        let attentionOutput: Linear
        let attentionNorm: Norm
        let intermediate: Linear
        let output: Linear
        let outputNorm: Norm
    }

    /// Owns the mapping the pointers point into.
    let file: SafeTensors
    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    let tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNorm: Norm
    let layers: [Layer]
    /// The tensor names of the layers' weight matrices (not biases), as in the file.
    let layerMatrixNames: [String]

    init(file: SafeTensors, configuration c: BertConfiguration) throws(SafeTensorsError) {
        // Checkpoints saved from BertModel have no "bert." prefix; those from BertFor… tasks have one.
        let prefix = file.tensors["embeddings.word_embeddings.weight"] == nil && file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> UnsafePointer<Float> {
            try file.unsafeElements(prefix + name, as: Float.self, shape: shape).baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!
        }
        func linear(_ name: String, inputs: Int, outputs: Int) throws(SafeTensorsError) -> Linear {
            Linear(weight: try tensor(name + ".weight", [outputs, inputs]), bias: try tensor(name + ".bias", [outputs]), inputs: inputs, outputs: outputs)
        }
        func norm(_ name: String) throws(SafeTensorsError) -> Norm {
            Norm(gamma: try tensor(name + ".weight", [c.hiddenSize]), beta: try tensor(name + ".bias", [c.hiddenSize]))
        }
        self.file = file
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [c.vocabularySize, c.hiddenSize])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [c.maximumPositions, c.hiddenSize])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, c.hiddenSize])
        embeddingNorm = try norm("embeddings.LayerNorm")
        var layers: [Layer] = []
        var matrixNames: [String] = []
        for index in 0..<c.layerCount {
            let name = "encoder.layer.\(index)"
            for matrix in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"] {
                matrixNames.append("\(prefix)\(name).\(matrix).weight")
            }
            let h = c.hiddenSize
            layers.append(Layer(
                query: try linear("\(name).attention.self.query", inputs: h, outputs: h),
                key: try linear("\(name).attention.self.key", inputs: h, outputs: h),
                value: try linear("\(name).attention.self.value", inputs: h, outputs: h),
                attentionOutput: try linear("\(name).attention.output.dense", inputs: h, outputs: h),
                attentionNorm: try norm("\(name).attention.output.LayerNorm"),
                intermediate: try linear("\(name).intermediate.dense", inputs: h, outputs: c.intermediateSize),
                output: try linear("\(name).output.dense", inputs: c.intermediateSize, outputs: h),
                outputNorm: try norm("\(name).output.LayerNorm")
            ))
        }
        self.layers = layers
        self.layerMatrixNames = matrixNames
    }
}
