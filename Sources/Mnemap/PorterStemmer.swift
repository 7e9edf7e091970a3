/// The Porter stemming algorithm (M. F. Porter, "An algorithm for suffix stripping", Program 14(3),
/// 1980), as in Porter's own reference implementation (https://tartarus.org/martin/PorterStemmer/),
/// which is what SQLite FTS5's `porter` tokenizer and Lucene's `PorterStemFilter` run. It departs
/// from the paper in three small ways, as the reference does: words of one or two letters are left
/// alone, step 2 maps `-bli` (not `-abli`) to `-ble`, and it maps `-logi` to `-log`.
///
/// The stems are not words ("relational" and "relate" both become "relat"); what matters is that
/// the forms of a word meet. Works on lowercase ASCII letters only: the caller passes nothing else.
///
/// Names follow the paper: `m` is the measure of the stem (its number of vowel–consonant
/// sequences), `j` the end of the stem before the suffix being tested, `k` the end of the word.
struct PorterStemmer {
    private var b: [UInt8]
    private var k: Int
    private var j: Int = 0

    /// Stems `word` (lowercase a–z) in place.
    static func stem(_ word: inout [UInt8]) {
        guard word.count > 2 else { return }
        var stemmer = PorterStemmer(b: word, k: word.count - 1)
        word = []  // `stemmer.b` is then the only reference: no copy when it changes
        stemmer.step1ab()
        if stemmer.k > 0 {
            stemmer.step1c()
            stemmer.step2()
            stemmer.step3()
            stemmer.step4()
            stemmer.step5()
        }
        word = stemmer.b
        word.removeLast(word.count - stemmer.k - 1)
    }

    private init(b: [UInt8], k: Int) {
        self.b = b
        self.k = k
    }

    // MARK: Conditions

    private static let a = UInt8(ascii: "a"), e = UInt8(ascii: "e"), i = UInt8(ascii: "i")
    private static let o = UInt8(ascii: "o"), u = UInt8(ascii: "u"), y = UInt8(ascii: "y")

    /// Whether `b[i]` is a consonant: not a, e, i, o, u, and not a y after a consonant.
    private func isConsonant(_ i: Int) -> Bool {
        switch b[i] {
        case Self.a, Self.e, Self.i, Self.o, Self.u: return false
        case Self.y: return i == 0 ? true : !isConsonant(i - 1)
        default: return true
        }
    }

    /// The measure of `b[0...j]`: n in [C](VC)^n[V].
    private func m() -> Int {
        var n = 0
        var i = 0
        while true {
            if i > j { return n }
            if !isConsonant(i) { break }
            i += 1
        }
        i += 1
        while true {
            while true {
                if i > j { return n }
                if isConsonant(i) { break }
                i += 1
            }
            i += 1
            n += 1
            while true {
                if i > j { return n }
                if !isConsonant(i) { break }
                i += 1
            }
            i += 1
        }
    }

    /// Whether `b[0...j]` contains a vowel.
    private func vowelInStem() -> Bool {
        var i = 0
        while i <= j {
            if !isConsonant(i) { return true }
            i += 1
        }
        return false
    }

    /// Whether `b[i-1...i]` is a double consonant.
    private func doubleConsonant(_ i: Int) -> Bool {
        i >= 1 && b[i] == b[i - 1] && isConsonant(i)
    }

    /// Whether `b[i-2...i]` is consonant–vowel–consonant and the last is not w, x or y
    /// (the ending of short words such as "hop", where a removed "e" is restored: "hoping" → "hope").
    private func consonantVowelConsonant(_ i: Int) -> Bool {
        guard i >= 2, isConsonant(i), !isConsonant(i - 1), isConsonant(i - 2) else { return false }
        let last = b[i]
        return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != Self.y
    }

    /// Whether `b[0...k]` ends with `suffix`; if so `j` is set to the end of the stem before it.
    private mutating func ends(_ suffix: StaticString) -> Bool {
        let length = suffix.utf8CodeUnitCount
        guard length <= k + 1 else { return false }
        let matches = suffix.withUTF8Buffer { suffix in
            var index = 0
            while index < length {
                if b[k - length + 1 + index] != suffix[index] { return false }
                index += 1
            }
            return true
        }
        if matches { j = k - length }
        return matches
    }

    /// Replaces `b[j+1...k]` with `replacement`.
    private mutating func setTo(_ replacement: StaticString) {
        let length = replacement.utf8CodeUnitCount
        replacement.withUTF8Buffer { replacement in
            for index in 0..<length {
                let position = j + 1 + index
                if position < b.count { b[position] = replacement[index] } else { b.append(replacement[index]) }
            }
        }
        k = j + length
    }

    /// Replaces the suffix when the stem's measure is positive.
    private mutating func replace(_ replacement: StaticString) {
        if m() > 0 { setTo(replacement) }
    }

    // MARK: Steps

    /// Plurals and -ed, -ing: caresses → caress, ponies → poni, cats → cat, agreed → agree,
    /// plastered → plaster, motoring → motor, hopping → hop, filing → file.
    private mutating func step1ab() {
        if b[k] == UInt8(ascii: "s") {
            if ends("sses") { k -= 2 }
            else if ends("ies") { setTo("i") }
            else if b[k - 1] != UInt8(ascii: "s") { k -= 1 }
        }
        if ends("eed") {
            if m() > 0 { k -= 1 }
        } else if (ends("ed") || ends("ing")) && vowelInStem() {
            k = j
            if ends("at") { setTo("ate") }
            else if ends("bl") { setTo("ble") }
            else if ends("iz") { setTo("ize") }
            else if doubleConsonant(k) {
                k -= 1
                let last = b[k]
                if last == UInt8(ascii: "l") || last == UInt8(ascii: "s") || last == UInt8(ascii: "z") { k += 1 }
            } else if m() == 1 && consonantVowelConsonant(k) {
                setTo("e")
            }
        }
    }

    /// A final y after a vowel in the stem becomes i: happy → happi.
    private mutating func step1c() {
        if ends("y") && vowelInStem() { b[k] = Self.i }
    }

    /// Double suffixes to single ones: relational → relate, digitizer → digitize, operator → operate.
    private mutating func step2() {
        switch b[k - 1] {
        case UInt8(ascii: "a"):
            if ends("ational") { replace("ate") }
            else if ends("tional") { replace("tion") }
        case UInt8(ascii: "c"):
            if ends("enci") { replace("ence") }
            else if ends("anci") { replace("ance") }
        case UInt8(ascii: "e"):
            if ends("izer") { replace("ize") }
        case UInt8(ascii: "l"):
            if ends("bli") { replace("ble") }
            else if ends("alli") { replace("al") }
            else if ends("entli") { replace("ent") }
            else if ends("eli") { replace("e") }
            else if ends("ousli") { replace("ous") }
        case UInt8(ascii: "o"):
            if ends("ization") { replace("ize") }
            else if ends("ation") { replace("ate") }
            else if ends("ator") { replace("ate") }
        case UInt8(ascii: "s"):
            if ends("alism") { replace("al") }
            else if ends("iveness") { replace("ive") }
            else if ends("fulness") { replace("ful") }
            else if ends("ousness") { replace("ous") }
        case UInt8(ascii: "t"):
            if ends("aliti") { replace("al") }
            else if ends("iviti") { replace("ive") }
            else if ends("biliti") { replace("ble") }
        case UInt8(ascii: "g"):
            if ends("logi") { replace("log") }
        default: break
        }
    }

    /// -ic-, -full, -ness and the like: triplicate → triplic, hopeful → hope, goodness → good.
    private mutating func step3() {
        switch b[k] {
        case UInt8(ascii: "e"):
            if ends("icate") { replace("ic") }
            else if ends("ative") { replace("") }
            else if ends("alize") { replace("al") }
        case UInt8(ascii: "i"):
            if ends("iciti") { replace("ic") }
        case UInt8(ascii: "l"):
            if ends("ical") { replace("ic") }
            else if ends("ful") { replace("") }
        case UInt8(ascii: "s"):
            if ends("ness") { replace("") }
        default: break
        }
    }

    /// Removes -ant, -ence, -ment… from stems of measure above 1: allowance → allow, adoption → adopt.
    private mutating func step4() {
        let found: Bool
        switch b[k - 1] {
        case UInt8(ascii: "a"): found = ends("al")
        case UInt8(ascii: "c"): found = ends("ance") || ends("ence")
        case UInt8(ascii: "e"): found = ends("er")
        case UInt8(ascii: "i"): found = ends("ic")
        case UInt8(ascii: "l"): found = ends("able") || ends("ible")
        case UInt8(ascii: "n"): found = ends("ant") || ends("ement") || ends("ment") || ends("ent")
        case UInt8(ascii: "o"):
            found = (ends("ion") && j >= 0 && (b[j] == UInt8(ascii: "s") || b[j] == UInt8(ascii: "t"))) || ends("ou")
        case UInt8(ascii: "s"): found = ends("ism")
        case UInt8(ascii: "t"): found = ends("ate") || ends("iti")
        case UInt8(ascii: "u"): found = ends("ous")
        case UInt8(ascii: "v"): found = ends("ive")
        case UInt8(ascii: "z"): found = ends("ize")
        default: found = false
        }
        if found && m() > 1 { k = j }
    }

    /// Removes a final -e and turns -ll into -l in longer stems: probate → probat, controll → control.
    private mutating func step5() {
        j = k
        if b[k] == Self.e {
            let measure = m()
            if measure > 1 || (measure == 1 && !consonantVowelConsonant(k - 1)) { k -= 1 }
        }
        if b[k] == UInt8(ascii: "l") && doubleConsonant(k) && m() > 1 { k -= 1 }
    }
}
