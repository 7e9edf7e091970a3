import CMnemapShims
import Foundation

/// The matrix products of linear layers, `output = input · weightᵀ + bias`, with the weight in
/// PyTorch's `[out, in]` layout as mapped from the safetensors file.
///
/// The C kernel (`mnemap_linear_f32`, AVX2+FMA or portable) reads the weight through panels: 16
/// output columns transposed so that each input index gives 16 consecutive floats. The encoder
/// packs every weight matrix once and keeps them (``PackedWeights``), on its first forward pass
/// of 64 rows or more or on its second pass; a short first pass packs each panel as it goes.
/// A tile of 6 input rows × 16 columns keeps 12 AVX2 accumulators (2 × 16 and 8 SSE accumulators
/// in the portable build). Each output is summed over the inputs in order, in chunks of 64 added
/// one after the other, whatever the tile and the batch: a sentence gets bit-identical vectors
/// alone or in a batch.
///
/// Products run one task per block of input rows, all columns, so that a task can finish its rows
/// with GELU or with the residual and LayerNorm (the "epilogue") without another round; products of
/// a few rows without LayerNorm run one task per group of panels instead.
enum MatrixMultiply {
    /// Panels (16 columns each) packed per task.
    static let panelsPerPackTask = 8

    private static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Input rows per task: about four tasks per core, a multiple of 6 (the AVX2 tile), at most 96
    /// (so that the block of input rows stays in L2 while the panels go by).
    static func rowsPerTask(_ rows: Int) -> Int {
        let share = (rows + 4 * cores - 1) / (4 * cores)
        return min(96, max(6, (share + 5) / 6 * 6))
    }

    /// Floats of `layer`'s packed weight.
    static func packedCount(_ layer: BertWeights.Linear) -> Int {
        mnemap_packed_count(layer.inputs, layer.outputs)
    }

    /// The tasks that pack `layer`'s weight into `packed` (``packedCount(_:)`` floats).
    static func pack(_ layer: BertWeights.Linear, into packed: UnsafeMutablePointer<Float>, level: KernelLevel) -> Parallel.Work {
        let panels = (layer.outputs + 15) / 16
        return Parallel.Work(count: (panels + panelsPerPackTask - 1) / panelsPerPackTask) { task in
            let first = task * panelsPerPackTask
            mnemap_pack_f32(layer.weight, layer.inputs, layer.outputs, first, min(panels, first + panelsPerPackTask), packed, level.code)
        }
    }

    /// What a product does to its rows after the bias.
    enum Epilogue {
        case none
        case gelu
        /// `row = LayerNorm(row + residual row)`.
        case residualLayerNorm(residual: UnsafePointer<Float>, norm: BertWeights.Norm, epsilon: Float)
    }

    /// From this many rows the first forward pass makes the encoder's ``PackedWeights``; a shorter
    /// first pass has each task pack the panels it uses into a buffer of its own (the same floats):
    /// for a short text alone in a process, that costs less than allocating and writing 42 MB of
    /// packed weights. The second pass makes them whatever its size (``PackedWeightsCache``).
    static let sharedPackingRows = 64

    /// The tasks of `output[0..<rows] = input · weightᵀ + bias`, then `epilogue`, with the weight
    /// packed by ``pack(_:into:level:)`` (in an earlier round), or packed panel by panel by each task
    /// when `packed` is nil.
    ///
    /// Tasks take blocks of rows and all columns (so that the LayerNorm epilogue has whole rows);
    /// without LayerNorm, when the weight is not packed (so that each panel is packed once) or the
    /// rows make fewer than two blocks per core, they take groups of panels and all rows instead.
    static func linear(
        _ layer: BertWeights.Linear, packed: UnsafePointer<Float>?, input: UnsafePointer<Float>, rows: Int,
        output: UnsafeMutablePointer<Float>, epilogue: Epilogue = .none, level: KernelLevel
    ) -> Parallel.Work {
        var weights = mnemap_linear_weights(weight: layer.weight, packed: packed, bias: layer.bias, inputs: layer.inputs, outputs: layer.outputs)
        let panels = (layer.outputs + 15) / 16
        var finish = mnemap_epilogue(kind: Int32(MNEMAP_EPILOGUE_NONE), residual: nil, gamma: nil, beta: nil, epsilon: 0)
        switch epilogue {
        case .none: break
        case .gelu: finish.kind = Int32(MNEMAP_EPILOGUE_GELU)
        case .residualLayerNorm(let residual, let norm, let epsilon):
            finish = mnemap_epilogue(kind: Int32(MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM), residual: residual, gamma: norm.gamma, beta: norm.beta, epsilon: epsilon)
        }
        let block = rowsPerTask(rows)
        let rowBlocks = (rows + block - 1) / block
        // Groups of panels, all rows: when each task packs its panels (so that each is packed once),
        // and for a few rows (a short text alone), which make too few blocks of rows to share out.
        if finish.kind != Int32(MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM), packed == nil || rowBlocks < 2 * cores {
            let group = max(1, (panels + 4 * cores - 1) / (4 * cores))
            return Parallel.Work(count: (panels + group - 1) / group) { task in
                let done = mnemap_linear_f32(input, 0, rows, &weights, task * group, min(panels, (task + 1) * group), output, &finish, level.code)
                precondition(done == 1, "out of memory for a panel of \(layer.inputs) floats")
            }
        }
        return Parallel.Work(count: rowBlocks) { task in
            let first = task * block
            let done = mnemap_linear_f32(input, first, min(rows, first + block), &weights, 0, panels, output, &finish, level.code)
            precondition(done == 1, "out of memory for a panel of \(layer.inputs) floats")
        }
    }

    /// `output = input · weightᵀ + bias` in two rounds (pack, then multiply), or in one without
    /// packing first (`packFirst: false`), for tests and probes.
    static func linear(
        _ layer: BertWeights.Linear, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        epilogue: Epilogue = .none, packFirst: Bool = true, level: KernelLevel
    ) {
        guard packFirst else {
            Parallel.run([linear(layer, packed: nil, input: input, rows: rows, output: output, epilogue: epilogue, level: level)])
            return
        }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: packedCount(layer))
        defer { packed.deallocate() }
        Parallel.run([pack(layer, into: packed, level: level)])
        Parallel.run([linear(layer, packed: packed, input: input, rows: rows, output: output, epilogue: epilogue, level: level)])
    }
}
