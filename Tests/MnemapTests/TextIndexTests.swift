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

@Suite struct TextIndexTests {
    let folder: TemporaryFolder
    let store: MappedStore

    init() throws {
        folder = try TemporaryFolder(prefix: "text-index")
        store = try MappedStore(path: folder.path("store"), options: .init(durability: .noSync))
    }

    /// A 16-byte id ordered like `number`.
    private func id(_ number: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(number).bigEndian) { [UInt8](repeating: 0, count: 8) + Array($0) }
    }

    private func add(_ documents: [Int: String]) throws {
        try store.write { tx throws in
            for (number, text) in documents { try TextIndex.add(document: id(number), text: text, in: tx) }
        }
    }

    private func search(_ query: String, limit: Int = 10, accept: (([UInt8]) throws -> Bool)? = nil) throws -> [Int] {
        try store.read { tx in
            try TextIndex.search(query, limit: limit, in: tx, accept: accept).map { match in
                Int(match.id[8...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
        }
    }

    private func expectConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problems = try store.read { tx in try TextIndex.problems(in: tx) }
        #expect(problems == [], sourceLocation: sourceLocation)
    }

    @Test func anExactTermFindsTheDocumentThatHasIt() throws {
        try add([
            1: "Alice prefers green tea in the morning",
            2: "The deployment uses Kubernetes on three nodes",
            3: "Bob asked about the quarterly budget",
        ])
        #expect(try search("kubernetes") == [2])
        #expect(try search("What does Alice prefer to drink? Tea?") == [1])
        #expect(try search("nonexistent words") == [])
        try expectConsistent()
    }

    @Test func formsOfAWordFindEachOther() throws {
        try add([1: "We are indexing the memories", 2: "Nothing relevant here"])
        #expect(try search("index memory") == [1])
        #expect(try search("INDEXED Memories") == [1])
    }

    @Test func rarerTermsWeighMore() throws {
        try add([1: "common word", 2: "common thing", 3: "common stuff", 4: "rare item", 5: "common item"])
        let results = try search("common rare")
        #expect(results.first == 4, "the only document with the rare term ranks first: \(results)")
        #expect(Set(results) == [1, 2, 3, 4, 5])
    }

    @Test func shorterDocumentsRankHigherForTheSameMatch() throws {
        try add([
            1: "tea with many other unrelated words about gardens rivers mountains clouds",
            2: "tea time",
            3: "tea with some other words",
        ])
        #expect(try search("tea") == [2, 3, 1])
    }

    @Test func scoresFollowTheBM25Formula() throws {
        try add([1: "cat", 2: "dog dog cat", 3: "bird"])
        let matches = try store.read { tx in try TextIndex.search("dog cat", limit: 10, in: tx) }
        // N = 3 documents of 5 terms: avgdl = 5/3. df(dog) = 1, df(cat) = 2.
        func idf(_ df: Double) -> Double { log(1 + (3 - df + 0.5) / (df + 0.5)) }
        func weight(_ tf: Double, _ length: Double) -> Double { tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / (5.0 / 3))) }
        let expected2 = idf(1) * weight(2, 3) + idf(2) * weight(1, 3)
        let expected1 = idf(2) * weight(1, 1)
        #expect(matches.map(\.id) == [id(2), id(1)])
        #expect(abs(matches[0].score - expected2) < 1e-12)
        #expect(abs(matches[1].score - expected1) < 1e-12)
    }

    @Test func equalScoresAreInTheOrderDocumentsWereAdded() throws {
        for number in [30, 10, 20] { try add([number: "same words"]) }
        #expect(try search("same") == [30, 10, 20])
        #expect(try search("same", limit: 2) == [30, 10])
    }

    @Test func searchAgreesWithADirectBM25Computation() throws {
        var random = SplitMix64(state: 42)
        let vocabulary = (0..<60).map { "word\($0)x" }
        var documents: [Int: String] = [:]
        for number in 0..<300 {
            let length = Int.random(in: 0..<30, using: &random)
            // Skewed: low word numbers are common, high ones rare.
            documents[number] = (0..<length).map { _ in vocabulary[Int(Double(vocabulary.count) * pow(Double.random(in: 0..<1, using: &random), 2))] }.joined(separator: " ")
        }
        try add(documents)
        let removed = Set((0..<300).filter { _ in Bool.random(using: &random) })
        try store.write { tx throws in
            for number in removed { try TextIndex.remove(document: id(number), text: documents[number]!, in: tx) }
        }
        let kept = documents.filter { !removed.contains($0.key) }
        let termsOf = kept.mapValues { TextTokenizer.terms($0) }
        let averageLength = Double(termsOf.values.map(\.count).reduce(0, +)) / Double(kept.count)
        for _ in 0..<20 {
            let query = (0..<3).map { _ in vocabulary.randomElement(using: &random)! }
            let queryTerms = Set(query.flatMap { TextTokenizer.terms($0) })
            var expected: [(Int, Double)] = []
            for (number, terms) in termsOf {
                var score = 0.0
                for term in queryTerms where terms.contains(term) {
                    let df = Double(termsOf.values.filter { $0.contains(term) }.count)
                    let tf = Double(terms.filter { $0 == term }.count)
                    score += log(1 + (Double(kept.count) - df + 0.5) / (df + 0.5))
                        * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * Double(terms.count) / averageLength))
                }
                if score > 0 { expected.append((number, score)) }
            }
            expected.sort { $0.1 > $1.1 + 1e-9 || (abs($0.1 - $1.1) <= 1e-9 && $0.0 < $1.0) }
            let found = try store.read { tx in try TextIndex.search(query.joined(separator: " "), limit: 15, in: tx) }
            #expect(found.count == min(15, expected.count))
            for (match, (number, score)) in zip(found, expected) {
                #expect(abs(match.score - score) < 1e-9, "\(query): \(match.id) \(match.score) vs \(number) \(score)")
            }
        }
        try expectConsistent()
    }

    /// Pruned search (MaxScore, seeks between posting blocks) must answer exactly as scoring
    /// every posting does: same documents, same order, bit-identical scores. Terms span many
    /// blocks here (4,000 documents, 128 postings a block), some documents are pending, some
    /// removed, and some queries are filtered.
    @Test func prunedSearchEqualsScoringEveryPosting() throws {
        var random = SplitMix64(state: 7)
        let vocabulary = (0..<400).map { "term\($0)q" }
        var texts: [Int: String] = [:]
        func text() -> String {
            (0..<Int.random(in: 3...40, using: &random)).map { _ in vocabulary[Int(400 * pow(Double.random(in: 0..<1, using: &random), 3))] }.joined(separator: " ")
        }
        // Batches (into the postings) in number order, then single adds (pending), then removals.
        for first in stride(from: 0, to: 4_000, by: 500) {
            let batch = (first..<first + 500).map { number in
                texts[number] = text()
                return (id(number), texts[number]!)
            }
            try store.write { tx throws in try TextIndex.add(documents: batch, in: tx) }
        }
        for number in 4_000..<4_050 {
            texts[number] = text()
            try store.write { tx throws in try TextIndex.add(document: id(number), text: texts[number]!, in: tx) }
        }
        let removed = (0..<4_050).filter { _ in Int.random(in: 0..<10, using: &random) == 0 }
        try store.write { tx throws in
            for number in removed { try TextIndex.remove(document: id(number), text: texts.removeValue(forKey: number)!, in: tx) }
        }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } > 0)
        try expectConsistent()

        // The reference: every document scored, terms summed in byte order, ties in number order.
        let frequencies = texts.mapValues { text in TextTokenizer.terms(text).reduce(into: [[UInt8]: Int]()) { $0[$1, default: 0] += 1 } }
        let lengths = texts.mapValues { Double(TextTokenizer.terms($0).count) }
        let averageLength = lengths.values.reduce(0, +) / Double(texts.count)
        func reference(_ query: String, limit: Int, keep: (Int) -> Bool) -> [(Int, Double)] {
            let terms = Set(TextTokenizer.terms(query)).sorted { $0.lexicographicallyPrecedes($1) }
            let idfs = terms.map { term -> Double in
                let df = Double(frequencies.values.filter { $0[term] != nil }.count)
                return log(1 + (Double(texts.count) - df + 0.5) / (df + 0.5))
            }
            var scored: [(Int, Double)] = []
            for (number, counts) in frequencies where keep(number) {
                var score = 0.0
                var matched = false
                for (term, idf) in zip(terms, idfs) {
                    guard let count = counts[term] else { continue }
                    let frequency = Double(count)
                    let saturation = frequency * (TextIndex.k1 + 1) / (frequency + TextIndex.k1 * (1 - TextIndex.b + TextIndex.b * lengths[number]! / averageLength))
                    score += idf * saturation
                    matched = true
                }
                if matched { scored.append((number, score)) }
            }
            scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            return Array(scored.prefix(limit))
        }
        func number(_ id: [UInt8]) -> Int { Int(id[8...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        var checked = 0
        for round in 0..<60 {
            // Mostly common words, often with one rarer word, as people type them.
            var words = (0..<Int.random(in: 1...4, using: &random)).map { _ in vocabulary[Int(60 * pow(Double.random(in: 0..<1, using: &random), 2))] }
            if round % 2 == 0 { words.append(vocabulary[Int.random(in: 60..<400, using: &random)]) }
            let query = words.joined(separator: " ")
            let limit = [1, 3, 10, 30, 100][round % 5]
            let filtered = round % 3 == 0
            let keep: (Int) -> Bool = { filtered ? $0 % 7 == 3 : true }
            let found = try store.read { tx in
                try TextIndex.search(query, limit: limit, in: tx, accept: filtered ? { keep(number($0)) } : nil)
            }
            let expected = reference(query, limit: limit, keep: keep)
            #expect(found.map { number($0.id) } == expected.map(\.0), "\(query), limit \(limit), filtered \(filtered)")
            #expect(found.map(\.score) == expected.map(\.1), "\(query): scores")
            checked += expected.count
            if filtered {
                // Only the kept documents visited (as a namespace filter does): the same answer.
                // The allowed ids include removed documents and ids never indexed.
                let within = try documentNumbers((0..<4_100).filter(keep).map(id))
                let visited = try store.read { tx in try TextIndex.search(query, limit: limit, in: tx, within: within) }
                #expect(visited.map { number($0.id) } == expected.map(\.0), "\(query), limit \(limit), within")
                #expect(visited.map(\.score) == expected.map(\.1), "\(query): scores within")
                // Both: visiting the kept documents and turning down half of them.
                let half: (Int) -> Bool = { keep($0) && ($0 / 7) % 2 == 0 }
                let both = try store.read { tx in try TextIndex.search(query, limit: limit, in: tx, within: within) { half(number($0)) } }
                let expectedHalf = reference(query, limit: limit, keep: half)
                #expect(both.map { number($0.id) } == expectedHalf.map(\.0), "\(query), limit \(limit), within and accept")
                #expect(both.map(\.score) == expectedHalf.map(\.1), "\(query): scores within and accept")
            }
        }
        #expect(checked > 500)
        // A few allowed documents, and none.
        let few = try documentNumbers([id(5), id(1_234), id(4_010)])
        let fewFound = try store.read { tx in try TextIndex.search(vocabulary[0] + " " + vocabulary[1], limit: 10, in: tx, within: few) }
        let fewExpected = reference(vocabulary[0] + " " + vocabulary[1], limit: 10) { [5, 1_234, 4_010].contains($0) }
        #expect(fewFound.map { number($0.id) } == fewExpected.map(\.0))
        #expect(try store.read { tx in try TextIndex.search(vocabulary[0], limit: 10, in: tx, within: []) }.isEmpty)
    }

    /// The text document numbers of `ids`, as a namespace filter finds them.
    private func documentNumbers(_ ids: [[UInt8]]) throws -> [UInt32] {
        let flat = ids.flatMap { $0 }
        return try store.read { tx in
            try flat.withUnsafeBytes { try TextIndex.documentNumbers(ofIDs: $0, in: tx) }
        }
    }

    /// A posting block that does not decode is a clear error; blocks whose documents are out
    /// of order (which a damaged file can hold) give some answer, never a trap or a hang.
    @Test func damagedPostingBlocksAreAnErrorOrAnAnswerNeverACrash() throws {
        var documents: [(id: [UInt8], text: String)] = []
        for number in 0..<600 { documents.append((id(number), "alpha beta \(number % 3 == 0 ? "gamma" : "delta") note\(number)")) }
        try store.write { tx throws in try TextIndex.add(documents: documents, in: tx) }
        let alpha = TextTokenizer.terms("alpha")[0]
        func blockKeys(_ term: [UInt8]) throws -> [[UInt8]] {
            try store.read { tx in
                var keys: [[UInt8]] = []
                try tx.scan(in: TextIndex.Tree.postings, prefix: term + [0]) { key, _ in keys.append(Array(key)); return true }
                return keys
            }
        }
        let keys = try blockKeys(alpha)
        #expect(keys.count >= 4)
        // Out of order: the second block holds documents below the first's, in falling order.
        let backwards = TextIndex.PostingBlock(entries: [500, 20, 3].map { TextIndex.Posting(document: $0, frequency: 1, length: 4) })
        try store.write { tx throws in try tx.put(keys[1], backwards.encoded, in: TextIndex.Tree.postings) }
        for query in ["alpha", "alpha gamma", "alpha beta gamma note7", "gamma"] {
            for limit in [1, 5, 50] { _ = try? search(query, limit: limit) }
            _ = try? search(query, limit: 5, accept: { $0.last! % 2 == 0 })
        }
        #expect(try store.read { tx in try TextIndex.problems(in: tx) } != [])
        // Undecodable bytes: the search says the index is damaged and what to do.
        try store.write { tx throws in try tx.put(keys[2], [0xff, 0xff, 0xff], in: TextIndex.Tree.postings) }
        do {
            _ = try search("alpha beta", limit: 10)
            Issue.record("a block that does not decode was read without an error")
        } catch let error as MemoryError {
            #expect("\(error)".contains("damaged"))
        }
        // A count of four billion postings in a few bytes: an error, not an allocation for them.
        try store.write { tx throws in
            try tx.put(keys[2], [0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1, 4], in: TextIndex.Tree.postings)
        }
        do {
            _ = try search("alpha beta", limit: 10)
            Issue.record("a block claiming more postings than bytes was read without an error")
        } catch let error as MemoryError {
            #expect("\(error)".contains("damaged"))
        }
    }

    @Test func removeMakesADocumentUnfindableAndRestoresTheStatistics() throws {
        let texts = [1: "the quick brown fox", 2: "a lazy brown dog sleeps"]
        try add([1: texts[1]!])
        let before = try store.read { tx in try TextIndex.statistics(in: tx) }
        #expect(before.documents == 1 && before.totalLength == 3)
        try add([2: texts[2]!])
        #expect(try search("brown") == [1, 2])
        try store.write { tx throws in try TextIndex.remove(document: id(2), text: texts[2]!, in: tx) }
        #expect(try search("lazy dog") == [])
        #expect(try search("brown") == [1])
        let after = try store.read { tx in try TextIndex.statistics(in: tx) }
        #expect(after == before)
        try expectConsistent()
        // Removing again, or removing what was never added, does nothing.
        try store.write { tx throws in
            try TextIndex.remove(document: id(2), text: texts[2]!, in: tx)
            try TextIndex.remove(document: id(99), text: "brown fox", in: tx)
        }
        #expect(try search("brown fox") == [1])
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == before)
        // A removed document can be added again, with another text.
        try add([2: "a red fox"])
        #expect(try search("fox") == [2, 1])
        try expectConsistent()
    }

    @Test func removingFromAStoreWithoutAnIndexDoesNothing() throws {
        try store.write { tx throws in try TextIndex.remove(document: id(1), text: "anything", in: tx) }
        #expect(try store.read { tx in try tx.treeNames() } == [])
    }

    @Test func addingADocumentTwiceIsRefused() throws {
        try add([1: "first text"])
        #expect(throws: MemoryError.self) {
            try store.write { tx throws in try TextIndex.add(document: id(1), text: "second text", in: tx) }
        }
        #expect(try search("second") == [])
        #expect(try search("first") == [1])
        #expect(throws: MemoryError.self) {
            try store.write { tx throws in try TextIndex.add(document: [1, 2, 3], text: "short id", in: tx) }
        }
    }

    @Test func anAcceptFilterKeepingFewDocumentsStillFindsThem() throws {
        var documents: [Int: String] = [:]
        for number in 0..<500 { documents[number] = "agent memory note number \(number)" + String(repeating: " filler", count: number % 7) }
        try add(documents)
        #expect(try search("memory", limit: 5, accept: { $0 == id(437) }) == [437])
        var looked = 0
        let even = try search("memory", limit: 3, accept: { looked += 1; return $0.last! % 2 == 0 })
        #expect(even.count == 3 && even.allSatisfy { $0 % 2 == 0 })
        #expect(even == Array(try search("memory", limit: 500).filter { $0 % 2 == 0 }.prefix(3)))
        #expect(looked < 50, "the filter runs in score order and stops at the limit (\(looked) calls)")
    }

    @Test func theIndexSurvivesReopeningTheStore() throws {
        let path = folder.path("reopened")
        do {
            let first = try MappedStore(path: path)
            try first.write { tx throws in
                try TextIndex.add(document: id(1), text: "persistent memory engine", in: tx)
                try TextIndex.add(document: id(2), text: "volatile cache", in: tx)
            }
        }
        let reopened = try MappedStore(path: path)
        let found = try reopened.read { tx in try TextIndex.search("memory", limit: 5, in: tx) }
        #expect(found.map(\.id) == [id(1)])
        #expect(try reopened.read { tx in try TextIndex.statistics(in: tx) } == (documents: 2, totalLength: 5))
    }

    @Test func aRolledBackTransactionLeavesNoTrace() throws {
        try add([1: "kept document"])
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.write { tx throws in
                try TextIndex.add(document: id(2), text: "abandoned document", in: tx)
                throw Abort()
            }
        }
        #expect(try search("document") == [1])
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == (documents: 1, totalLength: 2))
    }

    @Test func emptyAndStopWordOnlyQueriesFindNothing() throws {
        #expect(try search("anything") == [], "a store without an index")
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == (documents: 0, totalLength: 0))
        try add([1: "the cat is on the mat"])
        #expect(try search("") == [])
        #expect(try search("the of and it is") == [])
        #expect(try search("?!. ,") == [])
        #expect(try search("cat", limit: 0) == [])
    }

    @Test func aDocumentOfOnlyStopWordsIsIndexed() throws {
        try add([1: "to be or not to be", 2: ""])
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == (documents: 2, totalLength: 0))
        #expect(try search("be") == [])
        try add([3: "being"])
        #expect(try search("being") == [3])
        try store.write { tx throws in
            try TextIndex.remove(document: id(1), text: "to be or not to be", in: tx)
            try TextIndex.remove(document: id(2), text: "", in: tx)
        }
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == (documents: 1, totalLength: 1))
        try expectConsistent()
    }

    /// Every key and value of the text index's trees.
    private static func contents(of store: MappedStore) throws -> [String: [[UInt8]]] {
        try store.read { tx in
            var contents: [String: [[UInt8]]] = [:]
            for tree in TextIndex.Tree.all {
                try tx.scan(in: tree) { key, value in
                    contents[tree, default: []] += [Array(key), Array(value)]
                    return true
                }
            }
            return contents
        }
    }

    @Test func aBatchBuildsTheSameIndexAsAddingOneByOne() throws {
        // 300 documents sharing common terms: blocks of 128 fill and split across batches, and a
        // batch starts on a partly filled block.
        let words = ["memory", "agent", "vector", "index", "mapped", "file", "page", "search", "token", "query"]
        let documents = (0..<300).map { number in
            (id(number), (0..<(3 + number % 7)).map { words[($0 * 7 + number) % words.count] }.joined(separator: " ") + " unique\(number)")
        }
        let other = try MappedStore(path: folder.path("one-by-one"), options: .init(durability: .noSync))
        try other.write { tx throws in
            for (id, text) in documents { try TextIndex.add(document: id, text: text, in: tx) }
        }
        try store.write { tx throws in try TextIndex.add(documents: Array(documents[0..<50]), in: tx) }
        try store.write { tx throws in try TextIndex.add(documents: Array(documents[50..<290]), in: tx) }
        try store.write { tx throws in try TextIndex.add(documents: Array(documents[290...]), in: tx) }
        // One-by-one adds leave the last ones pending (300 = 4 × 64 + 44): flushed, the trees are the same.
        #expect(try other.read { tx in try TextIndex.pendingDocuments(in: tx).count } == 300 % TextIndex.pendingLimit)
        try other.write { tx throws in try TextIndex.flushPending(in: tx) }
        let batched = try Self.contents(of: store)
        let single = try Self.contents(of: other)
        #expect(batched == single)
        #expect(batched[TextIndex.Tree.postings, default: []].count > 2 * 10 * 2, "common terms span several blocks")
        try expectConsistent()
        #expect(try search("unique123") == [123])
    }

    @Test func pendingDocumentsAreFoundAndScoredAsAfterTheyAreWrittenToThePostings() throws {
        // Some documents in the postings (a batch), then single adds that wait as pending.
        let words = ["alpha", "beta", "gamma", "delta", "epsilon"]
        let batch = (0..<100).map { number in (id(number), (0..<(2 + number % 5)).map { words[($0 + number) % 5] }.joined(separator: " ")) }
        try store.write { tx throws in try TextIndex.add(documents: batch, in: tx) }
        for number in 100..<130 {
            try store.write { tx throws in try TextIndex.add(document: id(number), text: "gamma zeta \(words[number % 5]) pending\(number)", in: tx) }
        }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == 30)
        let queries = ["gamma", "zeta", "alpha zeta", "pending117", "beta epsilon gamma"]
        let before = try queries.map { query in try store.read { tx in try TextIndex.search(query, limit: 20, in: tx) } }
        #expect(before[1].count == 20 && before[3].map(\.id) == [id(117)])
        try expectConsistent()
        try store.write { tx throws in try TextIndex.flushPending(in: tx) }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == 0)
        let after = try queries.map { query in try store.read { tx in try TextIndex.search(query, limit: 20, in: tx) } }
        for (query, (a, b)) in zip(queries, zip(before, after)) {
            #expect(a.map(\.id) == b.map(\.id), "\(query)")
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-12, "\(query)") }
        }
        try expectConsistent()
    }

    @Test func theSixtyFourthSingleAddWritesThePendingOnesAndRemovingAPendingOneWorks() throws {
        for number in 0..<(TextIndex.pendingLimit - 1) {
            try store.write { tx throws in try TextIndex.add(document: id(number), text: "note \(number) about memory", in: tx) }
        }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == TextIndex.pendingLimit - 1)
        try store.write { tx throws in try TextIndex.remove(document: id(5), text: "note 5 about memory", in: tx) }
        #expect(try search("5") == [])
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == TextIndex.pendingLimit - 2)
        try store.write { tx throws in try TextIndex.add(document: id(1000), text: "note 1000 about memory", in: tx) }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == TextIndex.pendingLimit - 1)
        try store.write { tx throws in try TextIndex.add(document: id(1001), text: "note 1001 about memory", in: tx) }
        #expect(try store.read { tx in try TextIndex.pendingDocuments(in: tx).count } == 0, "the add that would make 64 pending wrote them all")
        #expect(try search("memory", limit: 100).count == TextIndex.pendingLimit)
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) }.documents == TextIndex.pendingLimit)
        try expectConsistent()
    }

    @Test func aBatchGivingADocumentTwiceIsRefusedWhole() throws {
        #expect(throws: MemoryError.self) {
            try store.write { tx throws in try TextIndex.add(documents: [(id(1), "one"), (id(2), "two"), (id(1), "again")], in: tx) }
        }
        #expect(try store.read { tx in try TextIndex.statistics(in: tx) } == (documents: 0, totalLength: 0))
    }
}
