import Foundation

/// Turns text into the terms the full-text index stores and searches: the same function runs on
/// documents and on queries, so a query term meets every form of it the rules fold together.
///
/// The rules, in order (`docs/text-search.md` gives examples):
/// 1. A token is a run of letters, digits and combining marks (Unicode categories L, N, M);
///    everything else separates tokens: "os.path.join" → os, path, join; "snake_case" → snake, case.
///    An apostrophe (' or ’) between two letters joins them ("don't" → dont), except a final
///    "'s", which is dropped ("Alice's" → alice). Each Han ideograph and each hiragana is a token
///    of its own (as Lucene's standard tokenizer does), since those scripts do not separate words.
/// 2. Lowercase; non-ASCII tokens are also folded: diacritics removed, width and compatibility
///    forms unified ("Café" → cafe, "Straße" → strasse, "ﬁle" → file).
/// 3. Tokens longer than ``maxTokenBytes`` UTF-8 bytes are dropped (hashes, base64, URLs' long parts).
/// 4. English stop words (``stopWords``) are dropped.
/// 5. Tokens of ASCII letters only are stemmed with ``PorterStemmer`` ("indexes", "indexing" → index).
///
/// Tokens never contain the byte 0 (the index uses it as a separator) and are never empty.
/// Cost: one pass over the Unicode scalars with a reused buffer; an allocation per token handed out,
/// and a Foundation fold only for tokens that contain non-ASCII characters.
enum TextTokenizer {
    /// The longest token kept, in UTF-8 bytes.
    static let maxTokenBytes = 64

    /// Lucene's English stop words (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`): the 33 words too
    /// common to tell documents apart.
    static let stopWords = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
        "they", "this", "to", "was", "will", "with",
    ]

    /// The stop words packed into integers: one hash per lookup instead of one per byte.
    private static let stopWordCodes = Set(stopWords.map { packed(Array($0.utf8))! })

    /// Whether `token` (folded, not stemmed) is a stop word.
    static func isStopWord(_ token: [UInt8]) -> Bool {
        guard let code = packed(token) else { return false }
        return stopWordCodes.contains(code)
    }

    /// Up to 7 bytes and the length in one integer; nil for longer tokens (no stop word is).
    private static func packed(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count < 8 else { return nil }
        var code = UInt64(bytes.count)
        for byte in bytes { code = code << 8 | UInt64(byte) }
        return code
    }

    /// The terms of `text`, in order, repeats included.
    static func terms(_ text: String) -> [[UInt8]] {
        var terms: [[UInt8]] = []
        forEachTerm(in: text) { terms.append($0) }
        return terms
    }

    /// The terms of `text` as strings (for tests and tools).
    static func termStrings(_ text: String) -> [String] {
        terms(text).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with each term of `text`, in order, repeats included.
    static func forEachTerm(in text: String, _ body: ([UInt8]) throws -> Void) rethrows {
        var scanner = Scanner()
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch Kind(scalar) {
            case .separator:
                try scanner.finish(body)
            case .apostrophe:
                guard scanner.inToken, let next = pending, Kind(next) == .wordPart else {
                    try scanner.finish(body)
                    continue
                }
                // "'s" at the end of a word is the possessive: drop it. Otherwise join the parts.
                if next == "s" || next == "S" {
                    let after = scalars.next()
                    if after.map({ Kind($0) != .wordPart }) ?? true {
                        pending = after
                        try scanner.finish(body)
                        continue
                    }
                    scanner.append(next)
                    pending = after
                }
            case .wordPart:
                scanner.append(scalar)
            case .wordOfItsOwn:
                try scanner.finish(body)
                scanner.append(scalar)
                try scanner.finish(body)
            }
        }
        try scanner.finish(body)
    }

    /// What a Unicode scalar is to the tokenizer.
    enum Kind: Equatable {
        case separator, apostrophe, wordPart, wordOfItsOwn

        init(_ scalar: Unicode.Scalar) {
            let value = scalar.value
            if value < 0x80 {
                switch UInt8(value) {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    self = .wordPart
                case UInt8(ascii: "'"): self = .apostrophe
                default: self = .separator
                }
                return
            }
            if value == 0x2019 { self = .apostrophe; return }
            if (0x3040...0x309F).contains(value) || scalar.properties.isIdeographic { self = .wordOfItsOwn; return }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark,
                 .decimalNumber, .letterNumber, .otherNumber:
                self = .wordPart
            default:
                self = .separator
            }
        }
    }

    /// Collects one token at a time in a reused buffer and turns it into a term.
    private struct Scanner {
        private var bytes: [UInt8] = []
        private var isASCII = true
        private var isLetters = true
        /// Set when the raw token grew past any length that could fold down to `maxTokenBytes`:
        /// the rest of it is skipped, and it is dropped.
        private var tooLong = false
        /// Raw bytes kept before giving up on a token: folding removes at most this much (combining marks).
        private static let rawLimit = 4 * maxTokenBytes

        var inToken: Bool { !bytes.isEmpty || tooLong }

        mutating func append(_ scalar: Unicode.Scalar) {
            guard !tooLong else { return }
            guard bytes.count < Self.rawLimit else {
                tooLong = true
                return
            }
            let value = scalar.value
            if value < 0x80 {
                var byte = UInt8(value)
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte < UInt8(ascii: "a") { isLetters = false }
                bytes.append(byte)
            } else {
                isASCII = false
                bytes.append(contentsOf: scalar.utf8)
            }
        }

        /// Ends the current token, handing its term (if it has one) to `body`.
        mutating func finish(_ body: ([UInt8]) throws -> Void) rethrows {
            defer {
                bytes.removeAll(keepingCapacity: true)
                isASCII = true
                isLetters = true
                tooLong = false
            }
            guard !bytes.isEmpty, !tooLong else { return }
            if !isASCII { fold() }
            guard !bytes.isEmpty, bytes.count <= maxTokenBytes, !isStopWord(bytes) else { return }
            if isASCII && isLetters { PorterStemmer.stem(&bytes) }
            try body(bytes)
        }

        /// Lowercases and removes diacritics, then keeps only what is still a word part.
        private mutating func fold() {
            let folded = String(decoding: bytes, as: UTF8.self)
                .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            bytes.removeAll(keepingCapacity: true)
            isASCII = true
            isLetters = true
            for scalar in folded.unicodeScalars {
                switch Kind(scalar) {
                case .wordPart, .wordOfItsOwn: append(scalar)
                case .separator, .apostrophe: continue
                }
            }
        }
    }
}
