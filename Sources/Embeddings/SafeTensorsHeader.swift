import Foundation

extension SafeTensors {
    struct Header {
        var tensors: [String: TensorInfo]
        var metadata: [String: String]
        var dataOffset: Int
    }

    /// Parses and validates the header of a whole safetensors file in `bytes`.
    ///
    /// Reads only the first `8 + header length` bytes, after checking that they exist.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws(SafeTensorsError) -> Header {
        func fail(_ reason: SafeTensorsError.Reason) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        func invalid(_ text: String) -> SafeTensorsError { fail(.headerInvalid(text)) }

        guard bytes.count >= 8 else { throw fail(.fileTooSmall(size: bytes.count)) }
        let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard length >= 2, length <= UInt64(maximumHeaderLength), length <= UInt64(bytes.count - 8) else {
            throw fail(.headerLengthInvalid(length: length, fileSize: bytes.count))
        }
        let headerLength = Int(length)
        let dataOffset = 8 + headerLength
        let dataSize = bytes.count - dataOffset
        let json = Data(UnsafeRawBufferPointer(rebasing: bytes[8..<dataOffset]))
        guard String(data: json, encoding: .utf8) != nil else { throw invalid("it is not UTF-8") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw invalid("it is not JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else { throw invalid("it is not a JSON object") }

        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let strings = value as? [String: Any] else { throw invalid("__metadata__ is not an object") }
                for (key, item) in strings {
                    guard let text = item as? String else { throw invalid("__metadata__ entry '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw invalid("tensor '\(name)' is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw invalid("tensor '\(name)' has no string 'dtype'") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail(.unknownDType(tensor: name, dtype: dtypeName)) }
            guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw invalid("tensor '\(name)' has no 'shape' of non-negative integers")
            }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw invalid("tensor '\(name)' has no 'data_offsets' of two integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail(.offsetsOutOfBounds(tensor: name, begin: begin, end: end, dataSize: dataSize))
            }
            var expected = dtype.size
            for dimension in shape {
                let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail(.sizeMismatch(tensor: name, expectedBytes: Int.max, actualBytes: end - begin)) }
                expected = product
            }
            guard expected == end - begin else {
                throw fail(.sizeMismatch(tensor: name, expectedBytes: expected, actualBytes: end - begin))
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
        }

        // No two non-empty ranges may intersect: sorted by start, each must begin at or after the previous end.
        let ordered = tensors.values.filter { !$0.dataRange.isEmpty }.sorted {
            ($0.dataRange.lowerBound, $0.name) < ($1.dataRange.lowerBound, $1.name)
        }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw fail(.overlap(tensor: next.name, other: previous.name))
        }
        return Header(tensors: tensors, metadata: metadata, dataOffset: dataOffset)
    }

    /// An array of JSON integers as `[Int]`, or nil when it is anything else (fractions, strings, too large).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for item in array {
            guard let number = item as? NSNumber else { return nil }
            let integer = number.int64Value
            // Fractions and values past Int64 do not survive the round trip through Double.
            guard number.doubleValue == Double(integer), abs(integer) < 1 << 53 else { return nil }
            result.append(Int(integer))
        }
        return result
    }
}
