import Foundation

/// The text normalisation and pre-tokenisation of BERT's uncased tokenizers, exactly as the
/// Hugging Face `tokenizers` library does it (`BertNormalizer` with `clean_text`,
/// `handle_chinese_chars` and `lowercase`, accents stripped; then `BertPreTokenizer`).
///
/// Steps, in order, each per Unicode scalar:
/// 1. Clean: drop U+0000, U+FFFD and every scalar of general category C (Cc, Cf, Cs, Co, Cn)
///    except tab, LF and CR; map every White_Space scalar (and tab, LF, CR) to a space.
/// 2. Put a space on each side of every CJK ideograph (the ranges BERT uses; not kana or Hangul).
/// 3. Strip accents: canonical decomposition (NFD), then drop every nonspacing mark (Mn).
/// 4. Lower-case with each scalar's full lowercase mapping (no context: final sigma is σ).
///
/// Pre-tokenisation splits the result on whitespace and makes every punctuation scalar
/// (ASCII punctuation, or general category P) a word of its own.
public enum BertNormalizer {
    /// The normalised text (steps 1–4).
    public static func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isChineseCharacter(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var result = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
            let lower = scalar.properties.lowercaseMapping
            if lower.unicodeScalars.count == 1 && lower.unicodeScalars.first == scalar {
                result.append(scalar)
            } else {
                result.append(contentsOf: lower.unicodeScalars)
            }
        }
        return String(result)
    }

    /// The words of normalised text: split on whitespace, each punctuation scalar a word of its own.
    /// Each word is its sequence of scalars (never compared as `String`, whose equality is canonical equivalence).
    public static func words(_ normalized: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalized.unicodeScalars {
            if isWhitespace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Tab, LF and CR count as whitespace, not control; everything else of category C is control.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// The White_Space property (as Rust's `char::is_whitespace`), which includes tab, LF and CR.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20: return true
        default: return scalar.properties.isWhitespace
        }
    }

    /// The CJK Unified Ideographs blocks and their extensions, and the compatibility ideographs, as in BERT.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII punctuation (which includes symbols such as `$`, `+`, `^`), or any general category P.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default:
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                return true
            default:
                return false
            }
        }
    }
}
