import Foundation
import Testing
@testable import Mnemap

@Suite struct MemoryIDTests {
    @Test func textFormRoundTripsAndSortsLikeTheBytes() throws {
        let ids = (0..<1000).map { _ in MemoryID.make() }
        #expect(ids == ids.sorted(), "ids made in one process sort in the order they were made")
        for id in ids.prefix(50) {
            #expect(try MemoryID(id.description) == id)
            #expect(try MemoryID(id.description.lowercased()) == id)
        }
        #expect(ids.map(\.description) == ids.map(\.description).sorted(), "the text form sorts like the bytes")
        #expect(Set(ids).count == ids.count)
    }

    @Test func idsForThePastDoNotBreakTheOrderOfThePresent() throws {
        let now = Date()
        var ids: [MemoryID] = []
        for index in 0..<200 {
            ids.append(MemoryID.make(at: now))
            if index % 3 == 0 { _ = MemoryID.make(at: now.addingTimeInterval(-86400)) }
        }
        #expect(ids == ids.sorted())
    }

    @Test func idsForOneMillisecondKeepTheirOrderWhenIdsForOtherTimesAreMadeInBetween() {
        // As a transaction dates all its memories with the time it started while other stores of
        // the process make ids for later times.
        let started = Date(timeIntervalSince1970: 1_700_000_000.001)
        var ids: [MemoryID] = []
        for step in 0..<500 {
            ids.append(MemoryID.make(at: started))
            _ = MemoryID.make(at: started.addingTimeInterval(Double(1 + step % 7) / 1000))
        }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
    }

    @Test func encodesItsCreationTime() throws {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123)
        let id = MemoryID.make(at: date)
        #expect(abs(id.timestamp.timeIntervalSince1970 - 1_764_000_000.123) < 0.002)
    }

    @Test func badTextSaysWhatIsWrong() {
        #expect(throws: MemoryError.self) { try MemoryID("short") }
        do {
            _ = try MemoryID("01JDZ3K7M2X8Q4W5E6R7T8Y9A!")
            Issue.record("accepted a bad character")
        } catch let error as MemoryError {
            #expect(error.description.contains("position 26"))
        } catch { Issue.record("\(error)") }
    }
}

@Suite struct JSONValueTests {
    @Test func parsesAndPrintsWithSortedKeys() throws {
        let value = try JSONValue(parsing: #"{"b": [1, 2.5, "x\n"], "a": {"c": null, "d": true}}"#)
        #expect(value.jsonText == #"{"a":{"c":null,"d":true},"b":[1,2.5,"x\n"]}"#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
        #expect(value.value(atPath: "a.d") == .bool(true))
        #expect(value.value(atPath: "a.x") == nil)
    }

    @Test func stringsAreEscapedAsJSONRequiresAndReadBackEqual() throws {
        let text = "quote \" backslash \\ tab \t return \r nul \u{0} bell \u{7} unit \u{1F} é 東京 🍵 \"\u{301} e\u{301}"
        let printed = JSONValue.string(text).jsonText
        #expect(printed == #""quote \" backslash \\ tab \t return \r nul \u0000 bell \u0007 unit \u001f é 東京 🍵 \"\#u{301} e\#u{301}""#)
        #expect(try JSONValue(parsing: printed) == .string(text))
        #expect(JSONValue.object([text: .string("")]).jsonText == "{\(printed):\"\"}")
    }

    @Test func badTextIsAClearError() {
        #expect(throws: MemoryError.self) { try JSONValue(parsing: "{\"a\": }") }
    }
}
