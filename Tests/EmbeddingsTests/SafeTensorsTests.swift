import Embeddings
import Foundation
import Testing

/// A safetensors file written from a header string and data bytes, in a fresh temporary folder.
private struct SafeTensorsFile {
    let path: String

    init(header: String, data: [UInt8], headerLength: UInt64? = nil, padTo alignment: Int = 8) throws {
        var json = Array(header.utf8)
        while json.count % alignment != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += json + data
        try self.init(bytes: bytes)
    }

    init(bytes: [UInt8]) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemap-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("model.safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func remove() { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }
}

/// Opens the file and returns the reason it was rejected, or nil when it opened.
private func rejection(header: String, data: [UInt8], headerLength: UInt64? = nil, padTo alignment: Int = 8) throws -> SafeTensorsError.Reason? {
    let file = try SafeTensorsFile(header: header, data: data, headerLength: headerLength, padTo: alignment)
    defer { file.remove() }
    do {
        _ = try SafeTensors(path: file.path)
        return nil
    } catch {
        #expect(error.path == file.path)
        #expect(!error.description.isEmpty)
        return error.reason
    }
}

@Suite("safetensors reader")
struct SafeTensorsTests {
    @Test func tensorsOfEachDTypeAreReadInPlaceAndConverted() throws {
        // F32 [2, 2] = 1, 2, 3, -4; F16 [2] = 1.5, -2; BF16 [2] = 1, -0.5; I64 [3] = 7, -1, 1 << 40.
        let f32 = littleEndianBytes([Float(1), 2, 3, -4].map(\.bitPattern))
        let f16 = littleEndianBytes([UInt16(0x3E00), 0xC000])
        let bf16 = littleEndianBytes([UInt16(0x3F80), 0xBF00])
        let i64 = littleEndianBytes([Int64(7), -1, 1 << 40])
        let header = """
        {"__metadata__":{"format":"pt"},\
        "w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},\
        "i":{"dtype":"I64","shape":[3],"data_offsets":[16,40]},\
        "h":{"dtype":"F16","shape":[2],"data_offsets":[40,44]},\
        "b":{"dtype":"BF16","shape":[2],"data_offsets":[44,48]},\
        "empty":{"dtype":"F32","shape":[0,3],"data_offsets":[48,48]}}
        """
        let file = try SafeTensorsFile(header: header, data: f32 + i64 + f16 + bf16)
        defer { file.remove() }
        let tensors = try SafeTensors(path: file.path)
        #expect(tensors.names == ["b", "empty", "h", "i", "w"])
        #expect(tensors.metadata == ["format": "pt"])
        let w = try tensors.info("w")
        #expect(w.dtype == .f32 && w.shape == [2, 2] && w.elementCount == 4)
        let values = try tensors.withElements("w", as: Float.self) { Array($0) }
        #expect(values == [1, 2, 3, -4])
        let integers = try tensors.withElements("i", as: Int64.self) { Array($0) }
        #expect(integers == [7, -1, 1 << 40])
        #expect(try tensors.float32Array("h") == [1.5, -2])
        #expect(try tensors.float32Array("b") == [1, -0.5])
        #expect(try tensors.float32Array("w") == [1, 2, 3, -4])
        #expect(try tensors.float32Array("empty").isEmpty)
        let bits = try tensors.withElements("h", as: UInt16.self) { Array($0) }
        #expect(bits == [0x3E00, 0xC000])
        // The view points into the mapping: no copy.
        let raw = try tensors.withRawBytes("w") { (bytes: UnsafeRawBufferPointer) in bytes.count }
        #expect(raw == 16)
    }

    @Test func halfPrecisionConversionIsExact() {
        #expect(SafeTensors.float(fromFloat16Bits: 0x3C00) == 1)
        #expect(SafeTensors.float(fromFloat16Bits: 0x0001) == 0x1p-24)  // smallest subnormal
        #expect(SafeTensors.float(fromFloat16Bits: 0x7BFF) == 65504)
        #expect(SafeTensors.float(fromFloat16Bits: 0xFC00) == -.infinity)
        #expect(SafeTensors.float(fromFloat16Bits: 0x7E00).isNaN)
        #expect(SafeTensors.float(fromFloat16Bits: 0x8000).sign == .minus)
        #expect(SafeTensors.float(fromBFloat16Bits: 0x4049) == Float(bitPattern: 0x4049_0000))
    }

    @Test func askingForTheWrongTypeOrAMissingTensorIsAnError() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#
        let file = try SafeTensorsFile(header: header, data: [UInt8](repeating: 0, count: 16))
        defer { file.remove() }
        let tensors = try SafeTensors(path: file.path)
        #expect(throws: SafeTensorsError.self) { _ = try tensors.unsafeElements("i", as: Float.self) }
        #expect(throws: SafeTensorsError.self) { _ = try tensors.unsafeElements("w", as: Int64.self) }
        #expect(throws: SafeTensorsError.self) { _ = try tensors.unsafeElements("w", as: Float.self, shape: [1, 2]) }
        #expect(throws: SafeTensorsError.self) { _ = try tensors.float32Array("i") }
        #expect(throws: SafeTensorsError.self) { _ = try tensors.info("nothing") }
    }

    @Test func damagedHeadersAreRejected() throws {
        let good = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = [UInt8](repeating: 0, count: 8)
        #expect(try rejection(header: good, data: data) == nil)
        // Header length past the end of the file, or absurd.
        #expect(try rejection(header: good, data: data, headerLength: 1 << 20) == .headerLengthInvalid(length: 1 << 20, fileSize: 8 + 56 + 8))
        #expect(try rejection(header: good, data: data, headerLength: .max) != nil)
        #expect(try rejection(header: good, data: data, headerLength: 0) != nil)
        // Not JSON, not an object, not UTF-8, missing or mistyped fields.
        for header in [#"{"w":{"dtype":"F32""#, "[1, 2]", "\u{FFFF}", #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#,
                       #"{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#,
                       #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
                       #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
                       #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
                       #"{"w":[1,2]}"#, #"{"__metadata__":{"a":1}}"#] {
            let reason = try rejection(header: header, data: data)
            #expect(reason != nil, "accepted \(header)")
        }
        var invalidUTF8 = [UInt8](#"{"w":1}"#.utf8)
        invalidUTF8[2] = 0xFF
        let file = try SafeTensorsFile(bytes: littleEndianBytes([UInt64(invalidUTF8.count)]) + invalidUTF8)
        defer { file.remove() }
        #expect(throws: SafeTensorsError.self) { _ = try SafeTensors(path: file.path) }
    }

    @Test func unknownDTypesAreRejected() throws {
        let reason = try rejection(header: #"{"w":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        #expect(reason == .unknownDType(tensor: "w", dtype: "F31"))
    }

    @Test func offsetsOutsideTheFileAreRejected() throws {
        let data = [UInt8](repeating: 0, count: 8)
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: data)
            == .offsetsOutOfBounds(tensor: "w", begin: 0, end: 16, dataSize: 8))
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[9,9]}}"#, data: data) != nil)
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: data) != nil)
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: data) != nil)
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}"#, data: data) != nil)
    }

    @Test func sizesThatDisagreeWithShapesAndOverlapsAreRejected() throws {
        let data = [UInt8](repeating: 0, count: 16)
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data)
            == .sizeMismatch(tensor: "w", expectedBytes: 12, actualBytes: 8))
        // A shape whose byte count overflows Int.
        #expect(try rejection(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: data) != nil)
        let overlap = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        #expect(try rejection(header: overlap, data: data) == .overlap(tensor: "b", other: "a"))
    }

    @Test func misalignedTensorsCannotBeViewedButCanBeCopied() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}"#
        let file = try SafeTensorsFile(header: header, data: [0] + littleEndianBytes([Float(2.5).bitPattern]))
        defer { file.remove() }
        let tensors = try SafeTensors(path: file.path)
        #expect(throws: SafeTensorsError.self) { _ = try tensors.unsafeElements("w", as: Float.self) }
        #expect(try tensors.float32Array("w") == [2.5])
    }

    @Test func tinyAndMissingFilesAreErrors() throws {
        let tiny = try SafeTensorsFile(bytes: [1, 2, 3])
        defer { tiny.remove() }
        #expect(throws: SafeTensorsError(path: tiny.path, reason: .fileTooSmall(size: 3))) { _ = try SafeTensors(path: tiny.path) }
        #expect(throws: SafeTensorsError.self) { _ = try SafeTensors(path: "/nonexistent/model.safetensors") }
    }

    @Test func aTruncatedModelFileIsRejectedBeforeAnyRead() throws {
        // The real header followed by only part of the data: the last tensors lie past the end.
        let folder = try installedModelFolder()
        let handle = try #require(FileHandle(forReadingAtPath: folder + "/model.safetensors"))
        defer { try? handle.close() }
        let prefix = [UInt8](try #require(try handle.read(upToCount: 1 << 20)))
        let file = try SafeTensorsFile(bytes: prefix)
        defer { file.remove() }
        #expect {
            _ = try SafeTensors(path: file.path)
        } throws: { error in
            guard let error = error as? SafeTensorsError, case .offsetsOutOfBounds = error.reason else { return false }
            return true
        }
        // The whole file opens, with MiniLM's 103 float tensors and position ids.
        let model = try SafeTensors(path: folder + "/model.safetensors")
        #expect(model.tensors.count == 104)
        #expect(model.tensors.values.filter { $0.dtype == .f32 }.count == 103)
        let positions = try model.withElements("embeddings.position_ids", as: Int64.self) { Array($0.prefix(3)) }
        #expect(positions == [0, 1, 2])
    }

    @Test func randomlyDamagedHeadersNeverCrash() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[4],"data_offsets":[16,24]}}"#
        var generator = SystemRandomNumberGenerator()
        let original = Array(header.utf8)
        for _ in 0..<200 {
            var damaged = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0x20...0x7E, using: &generator)
            }
            let reason = try rejection(header: String(decoding: damaged, as: UTF8.self), data: [UInt8](repeating: 0, count: 24))
            _ = reason  // Either accepted (the damage kept it valid) or rejected; never a crash.
        }
    }
}
