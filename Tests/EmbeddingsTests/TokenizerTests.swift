import Embeddings
import Foundation
import Testing

@Suite("WordPiece tokenizer")
struct TokenizerTests {
    @Test func idsEqualTheReferenceForEverySentenceFromVocabTxt() throws {
        let reference = try Reference.load()
        let folder = try installedModelFolder()
        let tokenizer = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt")
        #expect(reference.sentences.count == 64)
        for sentence in reference.sentences {
            let ids = tokenizer.encode(sentence.text)
            #expect(ids == sentence.inputIDs, "sentence \(sentence.id): \(tokenizer.tokens(ids)) != \(sentence.tokens)")
        }
    }

    @Test func tokenizerJSONGivesTheSameVocabularyAsVocabTxt() throws {
        let folder = try installedModelFolder()
        let fromText = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt")
        let fromJSON = try WordPieceTokenizer(tokenizerFile: folder + "/tokenizer.json")
        #expect(fromJSON.vocabulary == fromText.vocabulary)
        let reference = try Reference.load()
        for sentence in reference.sentences {
            let ids = fromJSON.encode(sentence.text)
            #expect(ids == sentence.inputIDs, "sentence \(sentence.id)")
        }
    }

    @Test func longInputsTruncateTo256IdsEndingWithSEP() throws {
        let reference = try Reference.load()
        let tokenizer = try WordPieceTokenizer(vocabularyFile: installedModelFolder() + "/vocab.txt")
        for id in 59...63 {
            let ids = tokenizer.encode(reference.sentences[id].text)
            #expect(ids.count == 256)
            #expect(ids.first == tokenizer.classID && ids.last == tokenizer.separatorID)
        }
        #expect(tokenizer.pieceCount(reference.sentences[62].text) == 254)
        #expect(tokenizer.pieceCount(reference.sentences[63].text) == 255)
    }

    @Test func normalizationFollowsBert() {
        #expect(BertNormalizer.normalize("Héllo\tWORLD") == "hello world")
        #expect(BertNormalizer.normalize("a\u{0}b\u{7}c\u{200B}d\u{AD}e") == "abcde")
        #expect(BertNormalizer.normalize("x\u{A0}y\r\nz") == "x y  z")
        #expect(BertNormalizer.normalize("日本") == " 日  本 ")
        #expect(BertNormalizer.normalize("ΣΑΣ") == "σασ")  // per scalar: no final-sigma rule
        #expect(BertNormalizer.words("it's (x)!").map { String(String.UnicodeScalarView($0)) } == ["it", "'", "s", "(", "x", ")", "!"])
    }

    @Test func wordPieceIsGreedyLongestMatchWithUnknownWords() throws {
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "aff", "##a", "a"]
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary, maximumLength: 6)
        #expect(tokenizer.tokens(tokenizer.encode("unaffable")) == ["[CLS]", "un", "##aff", "##able", "[SEP]"])
        #expect(tokenizer.tokens(tokenizer.encode("unx aff")) == ["[CLS]", "[UNK]", "aff", "[SEP]"])
        #expect(tokenizer.tokens(tokenizer.encode(String(repeating: "a", count: 101))) == ["[CLS]", "[UNK]", "[SEP]"])
        #expect(tokenizer.encode(String(repeating: "a", count: 100)).count == 6)  // truncated to 6
        #expect(tokenizer.tokens(tokenizer.encode("")) == ["[CLS]", "[SEP]"])
    }

    @Test func aVocabularyWithoutSpecialTokensIsRejected() {
        #expect(throws: EmbeddingError.self) { try WordPieceTokenizer(vocabulary: ["a", "b"]) }
    }
}
