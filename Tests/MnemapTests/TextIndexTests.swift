import Foundation
import MappedStore
import MnemapTestSupport
import Testing
@testable import Mnemap

@Suite struct TextTokenizerTests {
    private func terms(_ text: String) -> [String] { TextTokenizer.termStrings(text) }

    @Test func splitsOnEverythingButLettersAndDigits() {
        #expect(terms("os.path.join(dir, name)") == ["os", "path", "join", "dir", "name"])
        #expect(terms("snake_case-name/kebab") == ["snake", "case", "name", "kebab"])
        #expect(terms("v1.2.3 costs $3.14") == ["v1", "2", "3", "cost", "3", "14"])
        #expect(terms("memory🧠cache\tfile\nsystem") == terms("memory cache file system"))
        #expect(terms("") == [])
        #expect(terms("  ...  !!! ") == [])
    }

    @Test func apostrophesJoinWordsAndPossessivesAreDropped() {
        #expect(terms("don't") == ["dont"])
        #expect(terms("won’t") == ["wont"], "the typographic apostrophe too")
        #expect(terms("Alice's cat") == terms("Alice cat"))
        #expect(terms("it's") == [], "'s is dropped, and 'it' is a stop word")
        #expect(terms("'quoted'") == ["quot"])
    }

    @Test func foldsCaseDiacriticsAndWidth() {
        #expect(terms("Café NAÏVE résumé") == terms("cafe naive resume"))
        #expect(terms("e\u{301}te\u{301}") == terms("été"), "decomposed and precomposed accents meet")
        #expect(terms("Straße") == terms("strasse"))
        #expect(terms("Ｆｕｌｌ ﬁle") == terms("full file"))
        #expect(terms("Ωμέγα") == ["ωμεγα"])
        #expect(terms("Привет, МИР") == ["привет", "мир"])
    }

    @Test func ideographsAreTokensOfTheirOwn() {
        #expect(terms("日本語のテキスト") == ["日", "本", "語", "の", "テキスト"])
    }

    @Test func dropsStopWords() {
        #expect(terms("The cat and the hat") == ["cat", "hat"])
        #expect(terms("to be or not to be") == [])
        #expect(terms("THIS is IT") == [])
    }

    @Test func stemsEnglishWordsToACommonForm() {
        let index = terms("index")
        #expect(index == ["index"])
        for form in ["indexes", "indexing", "indexed", "Indexes"] { #expect(terms(form) == index, "\(form)") }
        #expect(terms("memories") == terms("memory"))
        #expect(terms("running runs") == ["run", "run"])
        #expect(terms("connection connected connecting connections") == Array(repeating: "connect", count: 4))
        #expect(terms("3rd mp3s") == ["3rd", "mp3s"], "tokens with digits are not stemmed")
    }

    /// Cases from Porter's paper and his reference vocabulary.
    @Test func stemmerFollowsThePorterAlgorithm() {
        let cases = [
            "caresses": "caress", "ponies": "poni", "ties": "ti", "cats": "cat", "feed": "feed", "agreed": "agre",
            "plastered": "plaster", "bled": "bled", "motoring": "motor", "sing": "sing", "conflated": "conflat",
            "troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan", "falling": "fall",
            "hissing": "hiss", "fizzed": "fizz", "failing": "fail", "filing": "file", "happy": "happi", "sky": "sky",
            "relational": "relat", "conditional": "condit", "rational": "ration", "digitizer": "digit",
            "vietnamization": "vietnam", "predication": "predic", "operator": "oper", "feudalism": "feudal",
            "decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formality": "formal",
            "sensitivity": "sensit", "triplicate": "triplic", "formative": "form", "electrical": "electr",
            "goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
            "airliner": "airlin", "adjustable": "adjust", "defensible": "defens", "irritant": "irrit",
            "replacement": "replac", "dependent": "depend", "adoption": "adopt", "communism": "commun",
            "activate": "activ", "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
            "probate": "probat", "rate": "rate", "cease": "ceas", "controlling": "control", "roll": "roll",
            "abed": "ab", "abus": "abu", "aby": "abi", "abbeys": "abbei", "abatements": "abat",
            "accordingly": "accordingli", "generalizations": "gener", "logically": "logic", "ab": "ab",
        ]
        for (word, stem) in cases {
            var bytes = Array(word.utf8)
            PorterStemmer.stem(&bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == stem, "\(word)")
        }
    }

    @Test func dropsTokensLongerThan64Bytes() {
        let longest = String(repeating: "7", count: 64)
        #expect(terms("short \(longest) \(longest)8 end") == ["short", longest, "end"])
        #expect(terms("x" + String(repeating: "é", count: 100_000) + " kept") == ["kept"], "a huge token is skipped, not folded")
        #expect(terms(String(repeating: "ж", count: 32)) == [String(repeating: "ж", count: 32)], "64 bytes")
        #expect(terms(String(repeating: "ж", count: 33)) == [], "66 bytes")
        #expect(terms(String(repeating: "e\u{301}", count: 64)) == [String(repeating: "e", count: 64)], "the limit applies after folding")
    }

    @Test func termsNeverContainTheZeroByteAndAreNeverEmpty() {
        var random = SplitMix64(state: 7)
        let pool: [Unicode.Scalar] = ["\u{0}", "\u{1}", " ", "a", "Z", "'", "’", "s", "\u{301}", "é", "日", "9", ".", "\u{FFFF}", "\u{10FFFF}", "🧠"]
        for _ in 0..<500 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0..<40, using: &random) { text.append(pool.randomElement(using: &random)!) }
            for term in TextTokenizer.terms(String(text)) {
                #expect(!term.isEmpty && !term.contains(0) && term.count <= TextTokenizer.maxTokenBytes)
            }
        }
        #expect(terms("a\u{0}b\u{0}c") == ["b", "c"])
    }
}
