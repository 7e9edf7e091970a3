import Synchronization

/// Every weight matrix of the encoder's layers packed for the product kernel (panels of 16 output
/// columns, see ``MatrixMultiply``), in one allocation: 42 MB for MiniLM.
///
/// The encoder makes it on its first forward pass of at least ``MatrixMultiply/sharedPackingRows``
/// rows (all matrices packed in one parallel round) and keeps it for its lifetime, so no later call
/// packs again. Shorter passes before that pack each panel as they use it, into a small buffer, and
/// so a process that embeds one query and exits allocates nothing more. The mapped `[out, in]` matrices are not read after
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

/// The encoder's ``PackedWeights``, made once by whichever call needs them first.
final class PackedWeightsCache: Sendable {
    private let packed = Mutex<PackedWeights?>(nil)

    init() {}

    /// The packed weights if a call has made them, else nil (without waiting for one that is packing).
    var existing: PackedWeights? {
        packed.withLockIfAvailable { $0 } ?? nil
    }

    /// The packed weights of `weights`, packing them on the first call (other callers wait for it).
    func weights(_ weights: BertWeights, level: KernelLevel) -> PackedWeights {
        packed.withLock { packed in
            if let packed { return packed }
            let made = PackedWeights(weights, level: level)
            packed = made
            return made
        }
    }
}
