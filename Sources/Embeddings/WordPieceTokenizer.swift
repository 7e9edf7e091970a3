import Foundation

/// BERT's WordPiece tokenizer, as all-MiniLM-L6-v2 (and every uncased BERT) uses it.
///
/// `encode` gives exactly the ids the reference (Hugging Face `tokenizers`, through
/// sentence-transformers) gives: ``BertNormalizer`` normalisation and pre-tokenisation,
/// then greedy longest-match-first WordPiece with `##` before word-internal pieces. A word
/// longer than 100 scalars, or one that no sequence of pieces covers, becomes one `[UNK]`.
/// The result is `[CLS]`, at most `maximumLength - 2` pieces, `[SEP]`.
///
/// Pieces are looked up by their UTF-8 bytes, never by `String` equality, which treats
/// canonically equivalent strings (e.g. Hangul jamo and syllables) as equal where BERT does not.
public struct WordPieceTokenizer: Sendable {
    /// The vocabulary: entry `i` is the token of id `i`.
    public let vocabulary: [String]
    private let ids: [[UInt8]: Int32]
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    public let paddingID: Int32
    /// The most ids `encode` returns, `[CLS]` and `[SEP]` included (all-MiniLM-L6-v2's `max_seq_length`).
    public var maximumLength: Int
    /// Words longer than this many Unicode scalars become `[UNK]`.
    public let maximumCharactersPerWord = 100

    /// A tokenizer over `vocabulary` (entry `i` has id `i`), which must hold `[UNK]`, `[CLS]`, `[SEP]` and `[PAD]`.
    /// - Throws: ``EmbeddingError/invalidModel(path:reason:)`` (with `source` as the path) when a special token is missing.
    public init(vocabulary: [String], maximumLength: Int = 256, source: String = "vocabulary") throws {
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (id, token) in vocabulary.enumerated() where ids[Array(token.utf8)] == nil {
            ids[Array(token.utf8)] = Int32(id)
        }
        func special(_ token: String) throws -> Int32 {
            guard let id = ids[Array(token.utf8)] else {
                throw EmbeddingError.invalidModel(path: source, reason: "the vocabulary has no \(token)")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.unknownID = try special("[UNK]")
        self.classID = try special("[CLS]")
        self.separatorID = try special("[SEP]")
        self.paddingID = try special("[PAD]")
        self.maximumLength = max(2, maximumLength)
    }

    /// Reads `vocab.txt`: one token per line, the line number (from 0) is its id.
    public init(vocabularyFile path: String, maximumLength: Int = 256) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.modelNotInstalled(path: path)
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let tokens = try lines.map { line -> String in
            let bytes = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard let token = String(validating: bytes, as: UTF8.self) else {
                throw EmbeddingError.invalidModel(path: path, reason: "a line is not UTF-8")
            }
            return token
        }
        try self.init(vocabulary: tokens, maximumLength: maximumLength, source: path)
    }

    /// Reads the WordPiece vocabulary of a Hugging Face `tokenizer.json`.
    ///
    /// Only BERT tokenizers (`BertNormalizer` lower-casing, `WordPiece` with `##` and `[UNK]`) are accepted,
    /// since ``BertNormalizer`` is what `encode` applies.
    public init(tokenizerFile path: String, maximumLength: Int = 256) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.modelNotInstalled(path: path)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let model = root["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Any]
        else {
            throw EmbeddingError.invalidModel(path: path, reason: "it is not a tokenizer.json with a model.vocab object")
        }
        let normalizer = root["normalizer"] as? [String: Any]
        guard model["type"] as? String == "WordPiece",
              (model["continuing_subword_prefix"] as? String ?? "##") == "##",
              normalizer?["type"] as? String == "BertNormalizer",
              normalizer?["lowercase"] as? Bool == true,
              normalizer?["strip_accents"] as? Bool != false
        else {
            throw EmbeddingError.unsupportedModel(path: path, reason: "only uncased BERT WordPiece tokenizers (BertNormalizer with lowercase, WordPiece with ##) are supported")
        }
        var tokens = [String?](repeating: nil, count: vocab.count)
        for (token, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue, tokens.indices.contains(id), tokens[id] == nil else {
                throw EmbeddingError.invalidModel(path: path, reason: "the ids of model.vocab are not 0..<\(vocab.count), each once")
            }
            tokens[id] = token
        }
        try self.init(vocabulary: tokens.map { $0! }, maximumLength: maximumLength, source: path)
    }

    /// The ids of `text`: `[CLS]`, its word pieces (at most `maximumLength - 2`), `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var result: [Int32] = [classID]
        let limit = maximumLength - 1
        for word in BertNormalizer.words(BertNormalizer.normalize(text)) {
            appendPieces(of: word, to: &result)
            if result.count >= limit { break }
        }
        if result.count > limit { result.removeLast(result.count - limit) }
        result.append(separatorID)
        return result
    }

    /// The number of word pieces of `text` before truncation, without `[CLS]` and `[SEP]`.
    public func pieceCount(_ text: String) -> Int {
        var pieces: [Int32] = []
        for word in BertNormalizer.words(BertNormalizer.normalize(text)) { appendPieces(of: word, to: &pieces) }
        return pieces.count
    }

    /// The tokens of `ids` (`"[UNK]"`-like strings for special ids, `"##…"` for word-internal pieces).
    public func tokens(_ ids: [Int32]) -> [String] {
        ids.map { vocabulary.indices.contains(Int($0)) ? vocabulary[Int($0)] : "[UNK]" }
    }

    /// Greedy longest-match-first WordPiece of one pre-tokenised word.
    func appendPieces(of word: [Unicode.Scalar], to result: inout [Int32]) {
        guard word.count <= maximumCharactersPerWord else {
            result.append(unknownID)
            return
        }
        // UTF-8 of each scalar, so that candidate pieces are byte slices.
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]
        for scalar in word {
            bytes.append(contentsOf: UTF8.encode(scalar)!)
            boundaries.append(bytes.count)
        }
        let start = result.count
        var begin = 0
        var key: [UInt8] = []
        while begin < word.count {
            var end = word.count
            var found: Int32?
            while begin < end {
                key.removeAll(keepingCapacity: true)
                if begin > 0 { key.append(contentsOf: [UInt8(ascii: "#"), UInt8(ascii: "#")]) }
                key.append(contentsOf: bytes[boundaries[begin]..<boundaries[end]])
                if let id = ids[key] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                result.removeLast(result.count - start)
                result.append(unknownID)
                return
            }
            result.append(found)
            begin = end
        }
    }
}
