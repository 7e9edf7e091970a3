/// How `mnemap kv` turns bytes into text and back: hexadecimal, escaped text for tables,
/// and JSON strings.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hexadecimal, two digits a byte.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        encode(bytes, into: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the hexadecimal of `bytes` to `text` (the dump writes lines without a String per field).
    static func encode(_ bytes: some Sequence<UInt8>, into text: inout [UInt8]) {
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
    }

    /// The bytes written as hexadecimal (either case), or nil when `text` has an odd length or
    /// a character that is not a hex digit.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) { return decoded }
        return Array(text).withUnsafeBytes { decode($0) }
    }

    /// Works on raw memory: a dump holds megabytes of hex, and debug builds do not specialise generics.
    private static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        let count = text.count / 2
        var valid = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                let high = values[Int(text[2 * index])]
                let low = values[Int(text[2 * index + 1])]
                guard high < 16, low < 16 else {
                    valid = false
                    break
                }
                buffer[index] = high << 4 | low
            }
            initialized = valid ? count : 0
        }
        return valid ? bytes : nil
    }

    /// Each byte's value as a hex digit, 0xFF when it is not one.
    private static let values: [UInt8] = (0...255).map { character in
        switch UInt8(character) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(character) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(character) - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt8(character) - UInt8(ascii: "A") + 10
        default: 0xFF
        }
    }
}

/// `bytes` as one line of readable text: valid UTF-8 as it is, with backslash, tab, newline,
/// carriage return and other control characters escaped (`\\`, `\t`, `\n`, `\r`, `\xHH`);
/// when the bytes are not valid UTF-8, every byte above 0x7F is written `\xHH` as well.
/// Unambiguous: the bytes can be recovered from the text.
func escapedText(_ bytes: some Collection<UInt8>) -> String {
    let isUTF8 = String(validating: bytes, as: UTF8.self) != nil
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count)
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\\"): text += Array(#"\\"#.utf8)
        case UInt8(ascii: "\t"): text += Array(#"\t"#.utf8)
        case UInt8(ascii: "\n"): text += Array(#"\n"#.utf8)
        case UInt8(ascii: "\r"): text += Array(#"\r"#.utf8)
        case 0..<0x20, 0x7F:
            escapeByte(byte, into: &text)
        case 0x80... where !isUTF8:
            escapeByte(byte, into: &text)
        default: text.append(byte)
        }
    }
    return String(decoding: text, as: UTF8.self)
}

private func escapeByte(_ byte: UInt8, into text: inout [UInt8]) {
    text += Array(#"\x"#.utf8)
    Hex.encode(CollectionOfOne(byte), into: &text)
}

/// A JSON value for `bytes`: a hex string with `hex`; otherwise a string when the bytes are
/// valid UTF-8, else an object `{"hex":"…"}`.
func jsonValue(_ bytes: some Collection<UInt8>, hex: Bool) -> String {
    if hex { return "\"" + Hex.encode(bytes) + "\"" }
    guard let text = String(validating: bytes, as: UTF8.self) else { return "{\"hex\":\"" + Hex.encode(bytes) + "\"}" }
    return jsonString(text)
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0}"..."\u{1F}":
            out += "\\u00" + Hex.encode(CollectionOfOne(UInt8(scalar.value)))
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
