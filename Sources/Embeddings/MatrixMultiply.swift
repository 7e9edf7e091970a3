import CMnemapShims
import Foundation

/// The matrix products of linear layers, `output = input · weightᵀ + bias`, with the weight in
/// PyTorch's `[out, in]` layout as mapped from the safetensors file.
///
/// The C kernel (`mnemap_linear_f32`, AVX2+FMA or portable) reads the weight through panels: 16
/// output columns transposed so that each input index gives 16 consecutive floats. A forward pass
/// packs each weight matrix once into a buffer of its own (under 1 % of the product's time, done as
/// extra tasks of the round before the product), then a tile of 6 input rows × 16 columns keeps 12
/// AVX2 accumulators (2 × 16 and 8 SSE accumulators in the portable build). Each output is summed
/// over the inputs in order, in chunks of 64 added one after the other, whatever the tile and the
/// batch: a sentence gets bit-identical vectors alone or in a batch.
///
/// Products run one task per block of input rows, all columns, so that a task can finish its rows
/// with GELU or with the residual and LayerNorm (the "epilogue") without another round.
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

    /// The tasks of `output[0..<rows] = input · weightᵀ + bias`, then `epilogue`, with the weight
    /// packed by ``pack(_:into:level:)`` (in an earlier round).
    static func linear(
        _ layer: BertWeights.Linear, packed: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int,
        output: UnsafeMutablePointer<Float>, epilogue: Epilogue = .none, level: KernelLevel
    ) -> Parallel.Work {
        let block = rowsPerTask(rows)
        return Parallel.Work(count: (rows + block - 1) / block) { task in
            let first = task * block, end = min(rows, first + block)
            switch epilogue {
            case .none, .gelu:
                let kind = if case .gelu = epilogue { Int32(MNEMAP_EPILOGUE_GELU) } else { Int32(MNEMAP_EPILOGUE_NONE) }
                mnemap_linear_f32(input, layer.inputs, first, end, packed, layer.bias, layer.outputs, output, kind, nil, nil, nil, 0, level.code)
            case .residualLayerNorm(let residual, let norm, let epsilon):
                mnemap_linear_f32(
                    input, layer.inputs, first, end, packed, layer.bias, layer.outputs, output,
                    Int32(MNEMAP_EPILOGUE_RESIDUAL_LAYERNORM), residual, norm.gamma, norm.beta, epsilon, level.code
                )
            }
        }
    }

    /// `output = input · weightᵀ + bias` in two rounds (pack, then multiply), for tests and probes.
    static func linear(
        _ layer: BertWeights.Linear, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        epilogue: Epilogue = .none, level: KernelLevel
    ) {
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: packedCount(layer))
        defer { packed.deallocate() }
        Parallel.run([pack(layer, into: packed, level: level)])
        Parallel.run([linear(layer, packed: packed, input: input, rows: rows, output: output, epilogue: epilogue, level: level)])
    }
}
