import Synchronization

/// Every weight matrix of the encoder's layers packed for the product kernel (panels of 16 output
/// columns, see ``MatrixMultiply``), in one allocation: 42 MB for MiniLM.
///
/// The encoder makes it once (all matrices packed in one parallel round; see
/// ``PackedWeightsCache`` for when) and keeps it for its lifetime, so no later call packs again. The mapped `[out, in]` matrices are not read after
/// that, and their pages are released from the resident set (``SafeTensors/releasePages(of:)``).
final class PackedWeights: @unchecked Sendable {
    struct Layer {
        let query: UnsafePointer<Float>
        let key: UnsafePointer<Float>
        let value: UnsafePointer<Float>
        let attentionOutput: UnsafePointer<Float>
        let intermediate: UnsafePointer<Float>
        let output: UnsafePointer<Float>
    }

    let layers: [Layer]
    /// Floats of the allocation.
    let count: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs every layer of `weights`, on all cores.
    init(_ weights: BertWeights, level: KernelLevel) {
        let matrices: [KeyPath<BertWeights.Layer, BertWeights.Linear>] = [\.query, \.key, \.value, \.attentionOutput, \.intermediate, \.output]
        var count = 0
        var offsets: [[Int]] = []
        for layer in weights.layers {
            offsets.append(matrices.map { matrix in
                defer { count += MatrixMultiply.packedCount(layer[keyPath: matrix]) }
                return count
            })
        }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        var works: [Parallel.Work] = []
        for (layer, starts) in zip(weights.layers, offsets) {
            for (matrix, start) in zip(matrices, starts) {
                works.append(MatrixMultiply.pack(layer[keyPath: matrix], into: storage + start, level: level))
            }
        }
        Parallel.run(works)
        // The mapped matrices are not read again: their pages leave the resident set (they stay in
        // the page cache), so the packed copy does not count twice.
        weights.file.releasePages(of: weights.layerMatrixNames)
        self.storage = storage
        self.count = count
        layers = offsets.map { starts in
            let pointers = starts.map { UnsafePointer(storage + $0) }
            return Layer(
                query: pointers[0], key: pointers[1], value: pointers[2],
                attentionOutput: pointers[3], intermediate: pointers[4], output: pointers[5]
            )
        }
    }

    deinit { storage.deallocate() }
}

/// The encoder's ``PackedWeights``, made once by whichever forward pass needs them first: the
/// first of at least ``MatrixMultiply/sharedPackingRows`` rows, or the second of any size (a process
/// that embeds more than one short text). The first pass, when short, packs its panels as it goes
/// instead, so that a process that embeds one query and exits allocates nothing more.
final class PackedWeightsCache: Sendable {
    private let state = Mutex<(packed: PackedWeights?, passes: Int)>((nil, 0))

    init() {}

    /// The packed weights for a forward pass of `rows` rows, or nil when that pass should pack its
    /// panels as it goes: the first pass when it is short, and a short pass that finds another one
    /// packing (it does not wait).
    func weights(forRows rows: Int, of weights: BertWeights, level: KernelLevel) -> PackedWeights? {
        let wanted = rows >= MatrixMultiply.sharedPackingRows
        let existing: PackedWeights?? = state.withLockIfAvailable { state in
            state.passes += 1
            return state.packed
        }
        if let existing = existing ?? nil { return existing }
        guard wanted || existing != nil else { return nil }  // a short pass that found the lock taken
        return state.withLock { state in
            if let packed = state.packed { return packed }
            guard wanted || state.passes >= 2 else { return nil }
            let made = PackedWeights(weights, level: level)
            state.packed = made
            return made
        }
    }
}
