import Foundation
import Testing

@testable import Mnemap

/// JSONValue(parsing:): strict JSON in, the same values as any conforming parser reads.
@Suite struct JSONParserTests {
    @Test func readsEveryKindOfValue() throws {
        let value = try JSONValue(parsing: " {\"a\": [null, true, false, -0, 0, 12, -3.25, 1e3, 1.5E-2, 2e+2, 12345678901234567890],\n\t\"b\": {\"c\": \"\", \"d\": {}}, \"e\": []} \r\n")
        #expect(value["a"] == [nil, true, false, 0, 0, 12, -3.25, 1000, 0.015, 200, 1.2345678901234567e19])
        #expect(value["a"]?.arrayValue?[3].numberValue?.sign == .minus)
        #expect(value["b"] == ["c": "", "d": [:]])
        #expect(value["e"] == [])
        #expect(try JSONValue(parsing: "7") == 7)
        #expect(try JSONValue(parsing: "\"top\"") == "top")
    }

    @Test func readsEscapesAndUnicode() throws {
        let text = #""q\" s\\ sl\/ b\b f\f n\n r\r t\t e\u00e9 E\u00C9 cup\ud83c\udf75 raw é東京🍵""#
        #expect(try JSONValue(parsing: text) == .string("q\" s\\ sl/ b\u{8} f\u{C} n\n r\r t\t e\u{e9} E\u{C9} cup🍵 raw é東京🍵"))
        // What JSONValue prints reads back as itself, control characters and all.
        let awkward = JSONValue.object(["k\u{1}\"": .array([.string("\u{0}\u{1F}\\\"/\u{7F}é"), .number(-1.5e-300), .number(1e300)])])
        #expect(try JSONValue(parsing: awkward.jsonText) == awkward)
    }

    @Test func aRepeatedKeyKeepsItsLastValue() throws {
        #expect(try JSONValue(parsing: #"{"a": 1, "a": 2}"#) == ["a": 2])
    }

    @Test func nestingIsBoundedAt512() throws {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try JSONValue(parsing: deep).arrayValue != nil)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: MemoryError.self) { try JSONValue(parsing: tooDeep) }
        let objects = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect(throws: MemoryError.self) { try JSONValue(parsing: objects) }
    }

    @Test func refusesWhatIsNotJSONAndSaysWhere() {
        let cases: [(String, String)] = [
            ("", "end of text"), ("   ", "end of text"), ("{", "member name"), ("[1,]", "expected a value"),
            (#"{"a":1,}"#, "member name"), ("01", "leading zero"), ("1.", "'.' not followed"), (".5", "expected a value"),
            ("+1", "expected a value"), ("-", "'-' not followed"), ("1e", "exponent"), ("NaN", "expected a value"),
            ("Infinity", "expected a value"), ("tru", "expected a value"), ("nul", "expected a value"), (#""abc"#, "end of text inside a string"),
            ("\"a\u{1}b\"", "control character"), (#""\x""#, "unknown escape"), (#""\ud800""#, "lone high surrogate"),
            (#""\udc00""#, "lone low surrogate"), (#""\ud800\u0041""#, "not followed by a low one"), (#""\u12""#, "four hex digits"),
            ("1 2", "after the JSON value"), ("{1:2}", "member name"), ("[1 2]", "expected ',' or ']'"), (#"{"a" 1}"#, "expected ':'"),
            ("1e400", "out of the range"), ("[1]x", "after the JSON value"), ("'a'", "expected a value"),
        ]
        for (text, expected) in cases {
            do {
                let value = try JSONValue(parsing: text)
                Issue.record("accepted \(text.debugDescription) as \(value)")
            } catch let error as MemoryError {
                #expect(error.description.contains(expected) && error.description.contains("at byte"), "\(text.debugDescription): \(error)")
            } catch {
                Issue.record("\(text.debugDescription): \(error)")
            }
        }
        do {
            _ = try JSONValue(parsing: #"{"a": [1, 2, x]}"#)
        } catch {
            #expect("\(error)".contains("unexpected 'x', expected a value at byte 14"), "\(error)")
        }
    }

    @Test func readsTheSameValuesAsFoundation() throws {
        let documents = [
            #"{"text": "Alice prefers green tea", "namespace": "user/alice", "metadata": {"n": 3, "tags": ["a", "b"], "ok": true, "x": null}}"#,
            #"[0.1, -0.25, 3.4028234663852886e38, 1.17549435e-38, 5e-324, 123456789012, -0.0]"#,
            #"{"s": "\u0000\u001f\"\\\/\b\f\n\r\t\u2028\ud83d\ude00"}"#,
        ]
        for document in documents {
            let ours = try JSONValue(parsing: document)
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(ours == foundation, "\(document)")
        }
    }
}
