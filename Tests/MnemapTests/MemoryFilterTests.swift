import Foundation
import Testing
@testable import Mnemap

@Suite struct MemoryFilterTests {
    typealias Expression = MetadataExpression

    static let metadata: [String: JSONValue] = [
        "topic": "tea", "priority": 2, "score": 0.75, "tags": ["x", "drink"], "lang": "en", "flag": true,
        "user": ["address": ["city": "Paris"], "age": 31], "source": nil, "when": "2025-05-01T10:00:00Z",
        "numbers": [1, 2],
    ]

    func holds(_ path: String, _ op: Expression.Operator, _ value: JSONValue, in metadata: [String: JSONValue] = metadata) -> Bool {
        Expression.compare(path: path, op: op, value: value).matches(metadata)
    }

    /// The message of the `MemoryError` that `body` throws, or nil when it does not throw.
    func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: Operators

    @Test func eqComparesJSONValuesExactlyAndNumbersNumerically() {
        #expect(holds("topic", .eq, "tea"))
        #expect(!holds("topic", .eq, "Tea"))
        #expect(holds("priority", .eq, 2.0))
        #expect(!holds("priority", .eq, "2"), "a number is not a string")
        #expect(!holds("flag", .eq, 1), "true is not 1")
        #expect(holds("user.address", .eq, ["city": "Paris"]))
        #expect(holds("source", .eq, nil), "a field set to null equals null")
        #expect(!holds("missing", .eq, nil), "a missing field equals nothing, not even null")
    }

    @Test func eqOnAnArrayFieldComparesTheWholeArray() {
        #expect(holds("tags", .eq, ["x", "drink"]))
        #expect(!holds("tags", .eq, ["drink", "x"]), "order counts")
        #expect(!holds("tags", .eq, "x"), "not element-wise: use contains")
        #expect(holds("numbers", .eq, [1.0, 2.0]))
    }

    @Test func neAndNinAlsoMatchMissingFields() {
        #expect(holds("missing", .ne, "a"))
        #expect(holds("missing", .ne, nil))
        #expect(!holds("topic", .ne, "tea"))
        #expect(holds("topic", .ne, "coffee"))
        #expect(holds("missing", .nin, ["en"]))
        #expect(!holds("lang", .nin, ["en", "fr"]))
        #expect(holds("lang", .nin, ["fr"]))
        #expect(holds("lang", .nin, []))
    }

    @Test func orderingComparesNumbersWithNumbersAndStringsWithStrings() {
        #expect(holds("priority", .gt, 1))
        #expect(!holds("priority", .gt, 2))
        #expect(holds("priority", .gte, 2))
        #expect(holds("priority", .lt, 2.5))
        #expect(holds("priority", .lte, 2))
        #expect(!holds("priority", .lt, 2))
        #expect(holds("score", .lt, 1))
        #expect(holds("when", .gt, "2025-04-30T23:59:59Z"), "ISO-8601 times order as strings")
        #expect(holds("when", .lt, "2025-05-02"))
        #expect(holds("topic", .gte, "tea") && holds("topic", .lt, "tee"))
    }

    @Test func orderingWithMismatchedTypesOrAMissingFieldIsFalse() {
        #expect(!holds("priority", .gt, "1"))
        #expect(!holds("priority", .lte, "9"))
        #expect(!holds("topic", .gt, 1))
        #expect(!holds("tags", .gt, "a"), "arrays are not ordered element-wise")
        #expect(!holds("flag", .gte, 0))
        #expect(!holds("missing", .lt, 100))
        #expect(Expression.not(.compare(path: "missing", op: .lt, value: 100)).matches(Self.metadata))
    }

    @Test func inMatchesWhenTheFieldEqualsAnElement() {
        #expect(holds("lang", .in, ["en", "fr"]))
        #expect(!holds("lang", .in, ["de"]))
        #expect(!holds("lang", .in, []), "in [] matches nothing")
        #expect(holds("priority", .in, [1, 2.0]))
        #expect(!holds("tags", .in, ["x"]), "an array field is compared whole")
        #expect(holds("tags", .in, [["x", "drink"]]))
        #expect(!holds("missing", .in, [nil]))
        #expect(holds("source", .in, [nil, "web"]))
    }

    @Test func containsFindsASubstringOrAnArrayElement() {
        #expect(holds("topic", .contains, "ea"))
        #expect(!holds("topic", .contains, "EA"), "case-sensitive")
        #expect(holds("topic", .contains, ""))
        #expect(holds("tags", .contains, "x"))
        #expect(!holds("tags", .contains, "dr"), "an element equals the value; substrings of elements do not count")
        #expect(holds("numbers", .contains, 2.0))
        #expect(!holds("priority", .contains, 2))
        #expect(!holds("topic", .contains, 1))
        #expect(!holds("user", .contains, "address"))
        #expect(!holds("missing", .contains, "x"))
    }

    @Test func existsCountsANullFieldAsPresent() {
        #expect(holds("topic", .exists, true))
        #expect(holds("source", .exists, true))
        #expect(!holds("source", .exists, false))
        #expect(!holds("missing", .exists, true))
        #expect(holds("missing", .exists, false))
        #expect(holds("user.address.city", .exists, true))
        #expect(holds("user.address.zip", .exists, false))
    }

    @Test func dottedPathsReachIntoNestedObjects() {
        #expect(holds("user.address.city", .eq, "Paris"))
        #expect(holds("user.age", .gte, 30))
        #expect(!holds("topic.length", .eq, 3), "a path through a string is missing")
        #expect(holds("topic.length", .ne, 3))
        #expect(!holds("user.address.city.name", .exists, true))
        #expect(!holds("tags.0", .eq, "x"), "no array indexing")
    }

    @Test func combinationsAndTheirEmptyIdentities() {
        let tea = Expression.compare(path: "topic", op: .eq, value: "tea")
        let french = Expression.compare(path: "lang", op: .eq, value: "fr")
        #expect(Expression.or([tea, french]).matches(Self.metadata))
        #expect(!Expression.and([tea, french]).matches(Self.metadata))
        #expect(Expression.and([tea, .not(french)]).matches(Self.metadata))
        #expect(Expression.and([]).matches([:]), "no conditions: everything matches")
        #expect(!Expression.or([]).matches(Self.metadata), "no alternatives: nothing matches")
    }

    @Test func comparisonsWithAValueUnfitForTheOperatorMatchNothingAndFailValidation() {
        let invalid: [Expression] = [
            .compare(path: "lang", op: .in, value: "en"),
            .compare(path: "missing", op: .nin, value: "en"),
            .compare(path: "topic", op: .exists, value: 1),
            .compare(path: "priority", op: .gt, value: [1]),
        ]
        for expression in invalid {
            #expect(!expression.matches(Self.metadata), "\(expression)")
            #expect(throws: MemoryError.self) { try expression.validate() }
        }
        #expect(throws: MemoryError.self) { try Expression.and([.compare(path: "a..b", op: .eq, value: 1)]).validate() }
        #expect(throws: Never.self) { try Expression.compare(path: "a.b", op: .contains, value: [1]).validate() }
    }

    // MARK: Text syntax

    func parse(_ text: String) throws -> Expression { try Expression(parsing: text) }
    func eq(_ path: String, _ value: JSONValue) -> Expression { .compare(path: path, op: .eq, value: value) }

    @Test func textPrecedenceIsNotThenAndThenOr() throws {
        #expect(try parse("a = 1 or b = 1 and c = 1") == .or([eq("a", 1), .and([eq("b", 1), eq("c", 1)])]))
        #expect(try parse("a = 1 and b = 1 or c = 1") == .or([.and([eq("a", 1), eq("b", 1)]), eq("c", 1)]))
        #expect(try parse("not a = 1 and b = 1") == .and([.not(eq("a", 1)), eq("b", 1)]))
        #expect(try parse("a = 1 and (b = 1 or c = 1)") == .and([eq("a", 1), .or([eq("b", 1), eq("c", 1)])]))
        #expect(try parse("!a == 1 || b = 1 && c = 1") == .or([.not(eq("a", 1)), .and([eq("b", 1), eq("c", 1)])]))
        #expect(try parse("A = 1 AND b = 1 Or NOT not c = 1") == .or([.and([eq("A", 1), eq("b", 1)]), .not(.not(eq("c", 1)))]))
        #expect(try parse("a = 1 and b = 1 and c = 1") == .and([eq("a", 1), eq("b", 1), eq("c", 1)]))
        #expect(try parse("((a = 1))") == eq("a", 1))
    }

    @Test func textParsesTheFullExample() throws {
        let expression = try parse(#"topic = "tea" and priority >= 2 and not (tags contains "x" or lang in ["en", "fr"]) and exists(source)"#)
        #expect(expression == .and([
            eq("topic", "tea"),
            .compare(path: "priority", op: .gte, value: 2),
            .not(.or([.compare(path: "tags", op: .contains, value: "x"), .compare(path: "lang", op: .in, value: ["en", "fr"])])),
            .compare(path: "source", op: .exists, value: true),
        ]))
        #expect(!expression.matches(Self.metadata))
        #expect(expression.matches(["topic": "tea", "priority": 3, "tags": ["y"], "lang": "de", "source": "web"]))
    }

    @Test func textOperatorsAndExistsForms() throws {
        let operators: [(String, Expression.Operator)] = [
            ("=", .eq), ("==", .eq), ("!=", .ne), (">", .gt), (">=", .gte), ("<", .lt), ("<=", .lte), ("contains", .contains),
            ("CONTAINS", .contains),
        ]
        for (spelling, op) in operators {
            #expect(try parse("p \(spelling) 2") == .compare(path: "p", op: op, value: 2), "\(spelling)")
            if !spelling.lowercased().hasPrefix("c") {
                #expect(try parse("p\(spelling)2") == .compare(path: "p", op: op, value: 2), "no space needed around \(spelling)")
            }
        }
        #expect(try parse("p in [1, 2]") == .compare(path: "p", op: .in, value: [1, 2]))
        #expect(try parse("p nin []") == .compare(path: "p", op: .nin, value: []))
        #expect(try parse("exists(a.b)") == .compare(path: "a.b", op: .exists, value: true))
        #expect(try parse("a.b exists") == .compare(path: "a.b", op: .exists, value: true))
        #expect(try parse("not exists( a )") == .compare(path: "a", op: .exists, value: false))
        #expect(try parse("!exists(a)") == .compare(path: "a", op: .exists, value: false))
        #expect(try parse("a NOT EXISTS") == .compare(path: "a", op: .exists, value: false))
        #expect(try parse("not (exists(a))") == .not(.compare(path: "a", op: .exists, value: true)))
        #expect(try parse("true") == .and([]))
        #expect(try parse("false or a = 1") == .or([.or([]), eq("a", 1)]))
    }

    @Test func textValuesAreJSONLiterals() throws {
        #expect(try parse("a = -2.5e3") == eq("a", -2500))
        #expect(try parse("a = 0") == eq("a", 0))
        #expect(try parse(#"a = "tab\there \"q\" \u00e9 \ud83d\ude00""#) == eq("a", "tab\there \"q\" é 😀"))
        #expect(try parse("a = \"thé 🍵\"") == eq("a", "thé 🍵"))
        #expect(try parse("a = TRUE and b = false and c = null") == .and([eq("a", true), eq("b", false), eq("c", nil)]))
        #expect(try parse(#"a = [1, "x", [true], {"k": null}]"#) == eq("a", [1, "x", [true], ["k": nil]]))
        #expect(try parse(#"a = {"b": {"c": 1}}"#) == eq("a", ["b": ["c": 1]]))
        #expect(try parse("`my key.x` = 1") == eq("my key.x", 1))
        #expect(try parse("`and` = 1 and `it``s` = 2") == .and([eq("and", 1), eq("it`s", 2)]))
        #expect(try parse("user_name-2.city = 1") == eq("user_name-2.city", 1))
        #expect(try parse("  ville.été = 1  ") == eq("ville.été", 1))
    }

    // MARK: JSON form

    func json(_ text: String) throws -> Expression { try Expression(json: JSONValue(parsing: text)) }

    @Test func jsonShorthandOperatorsAndImplicitAnd() throws {
        #expect(try json(#"{"topic": "tea"}"#) == eq("topic", "tea"))
        #expect(try json(#"{"tags": ["x"]}"#) == eq("tags", ["x"]))
        #expect(try json(#"{"source": null}"#) == eq("source", nil))
        #expect(try json(#"{"priority": {"$gte": 2}}"#) == .compare(path: "priority", op: .gte, value: 2))
        #expect(try json(#"{"priority": {"gte": 2}}"#) == .compare(path: "priority", op: .gte, value: 2))
        #expect(try json(#"{"p": {"$lt": 5, "gt": 1}}"#) == .and([.compare(path: "p", op: .lt, value: 5), .compare(path: "p", op: .gt, value: 1)]), "operator keys in sorted order")
        #expect(try json(#"{"b": 1, "a": 2}"#) == .and([eq("a", 2), eq("b", 1)]), "keys in sorted order")
        #expect(try json(#"{"address": {"$eq": {"city": "Paris"}}}"#) == eq("address", ["city": "Paris"]))
        #expect(try json(#"{"p": {"$not": {"$gt": 2}}}"#) == .not(.compare(path: "p", op: .gt, value: 2)))
        #expect(try json(#"{"$and": [{"a": 1}, {"$or": [{"b": 1}, {"c": 1}]}]}"#) == .and([eq("a", 1), .or([eq("b", 1), eq("c", 1)])]))
        #expect(try json(#"{"$not": {"a": 1}}"#) == .not(eq("a", 1)))
        #expect(try json("{}") == .and([]))
        #expect(try json(#"{"$or": []}"#) == .or([]))
    }

    @Test func jsonAndTextFormsAgree() throws {
        let cases: [(text: String, json: String)] = [
            (#"topic = "tea""#, #"{"topic": "tea"}"#),
            ("priority >= 2", #"{"priority": {"$gte": 2}}"#),
            ("priority > 1 and priority < 3", #"{"priority": {"gt": 1, "lt": 3}}"#),
            (#"topic = "tea" or lang = "fr""#, #"{"$or": [{"topic": "tea"}, {"lang": "fr"}]}"#),
            (#"not (tags contains "x" or lang in ["en", "fr"])"#,
             #"{"$not": {"$or": [{"tags": {"$contains": "x"}}, {"lang": {"$in": ["en", "fr"]}}]}}"#),
            ("exists(source)", #"{"source": {"$exists": true}}"#),
            ("not exists(source)", #"{"source": {"$exists": false}}"#),
            (#"user.address.city != "Paris""#, #"{"user.address.city": {"$ne": "Paris"}}"#),
            (#"lang nin ["en"]"#, #"{"lang": {"nin": ["en"]}}"#),
            (#"when >= "2025-05-01""#, #"{"when": {"$gte": "2025-05-01"}}"#),
            (#"tags = ["x", "drink"]"#, #"{"tags": ["x", "drink"]}"#),
            ("user.age <= 31 && !(flag = false)", #"{"user.age": {"$lte": 31}, "flag": {"$not": {"$eq": false}}}"#),
            (#"topic = "tea" and priority >= 2 and not (tags contains "x" or lang in ["en", "fr"]) and exists(source)"#,
             #"{"topic": "tea", "priority": {"$gte": 2}, "$not": {"$or": [{"tags": {"$contains": "x"}}, {"lang": {"$in": ["en", "fr"]}}]}, "source": {"$exists": true}}"#),
        ]
        let corpus: [[String: JSONValue]] = [
            Self.metadata, [:],
            ["topic": "tea", "priority": 3, "tags": ["y"], "lang": "de", "source": "web", "flag": false],
            ["topic": "coffee", "lang": "fr", "priority": 1, "when": "2025-06-01", "user": ["age": 40, "address": ["city": "Lyon"]]],
            ["tags": ["x", "drink"], "flag": true, "user": ["age": 31]],
        ]
        for (text, jsonText) in cases {
            let fromText = try parse(text)
            let fromJSON = try json(jsonText)
            #expect(corpus.map(fromText.matches) == corpus.map(fromJSON.matches), "\(text) vs \(jsonText)")
        }
    }

    static let roundTripCases: [MetadataExpression] = [
        .compare(path: "topic", op: .eq, value: "tea"),
        .compare(path: "a.b", op: .eq, value: ["c": 1]),
        .compare(path: "tags", op: .eq, value: ["x", 1, nil]),
        .compare(path: "p", op: .ne, value: nil),
        .compare(path: "p", op: .gte, value: 2.5),
        .compare(path: "when", op: .lt, value: "2025-05-01T00:00:00Z"),
        .compare(path: "lang", op: .in, value: ["en", "fr"]),
        .compare(path: "lang", op: .nin, value: []),
        .compare(path: "tags", op: .contains, value: "x"),
        .compare(path: "source", op: .exists, value: true),
        .compare(path: "source", op: .exists, value: false),
        .compare(path: "my key.`odd`", op: .eq, value: "q\"uote\n"),
        .compare(path: "and", op: .eq, value: 1),
        .not(.compare(path: "source", op: .exists, value: true)),
        .not(.not(.compare(path: "a", op: .gt, value: -1e-7))),
        .and([]),
        .or([]),
        .and([.compare(path: "a", op: .eq, value: 1), .or([.compare(path: "b", op: .eq, value: 2), .not(.and([]))])]),
        .or([.and([.compare(path: "a", op: .eq, value: 1), .compare(path: "b", op: .lt, value: 1e20)]), .compare(path: "c", op: .contains, value: 3)]),
        .and([.and([.compare(path: "a", op: .eq, value: 1), .compare(path: "b", op: .eq, value: 2)]), .compare(path: "c", op: .eq, value: 3)]),
        .not(.or([.compare(path: "x", op: .eq, value: true), .compare(path: "y", op: .eq, value: false)])),
    ]

    @Test(arguments: roundTripCases)
    func expressionRoundTripsThroughJSON(_ expression: MetadataExpression) throws {
        #expect(try Expression(json: expression.jsonValue) == expression)
        #expect(try Expression(json: JSONValue(parsing: expression.description)) == expression, "\(expression)")
    }

    @Test(arguments: roundTripCases)
    func expressionRoundTripsThroughText(_ expression: MetadataExpression) throws {
        #expect(try Expression(parsing: expression.textSyntax) == expression, "\(expression.textSyntax)")
    }

    @Test func jsonFormIsCompact() {
        let expression = Expression.and([eq("topic", "tea"), .compare(path: "p", op: .gte, value: 2)])
        #expect(expression.description == #"{"$and":[{"topic":"tea"},{"p":{"$gte":2}}]}"#)
        #expect(expression.textSyntax == #"topic = "tea" and p >= 2"#)
    }

    // MARK: Errors

    @Test func badTextSaysWhereAndWhatIsAllowed() {
        let cases: [(String, [String])] = [
            ("topic = tea", ["at character 9", "'tea' is not a value", #""tea""#]),
            (#"topic = "x" and p >="#, ["at character 21 (the end)", "expected a value after '>='"]),
            ("priority >= and a = 1", ["at character 13", "expected a value after '>='", "found 'and'"]),
            (#"topic = "tea" and"#, ["at character 18 (the end)", "expected a condition"]),
            (#"(topic = "tea""#, ["at character 15 (the end)", "expected ')' to close the '(' at character 1"]),
            (#"topic ~ "x""#, ["at character 7", "expected an operator after 'topic'", "= == != > >= < <= in nin contains exists", "found '~'"]),
            (#"lang in "en""#, ["at character 9", "'in' on field 'lang' takes an array", "not a string"]),
            ("p > [1]", ["at character 5", "'>' on field 'p' compares with a number or a string", "not an array"]),
            ("topic = 'tea'", ["at character 9", "double quotes"]),
            (#"topic = "tea"#, ["at character 9", "no closing '\"'"]),
            ("a..b = 1", ["at character 1", "field path 'a..b' has an empty segment"]),
            ("when > 2025-05-01", ["at character 8", "'2025-05-01' is not a number", #""2025-05-01""#]),
            ("p = 0x10", ["'0x10' is not a number"]),
            ("and = 1", ["at character 1", "backquotes"]),
            ("x not in [1]", ["at character 7", "expected 'exists' after 'x not'", "nin"]),
            ("", ["empty", #"topic = "tea""#]),
            ("   ", ["empty"]),
            ("a = 1 b = 2", ["at character 7", "unexpected 'b'", "expected 'and', 'or' or the end"]),
            ("a = [1, ]", ["at character 9", "expected a value after ','"]),
            ("a = [1 2]", ["at character 8", "expected ',' or ']'"]),
            ("exists(", ["at character 8 (the end)", "expected a field name inside exists( )"]),
            ("exists(a", ["expected ')' after exists(a"]),
            (#"a = "\q""#, ["at character 6", "'\\q' is not a JSON escape"]),
            ("flag exists true", ["at character 13", "unexpected 'true'"]),
            ("= 1", ["at character 1", "expected a condition", "found '='"]),
            ("`a = 1", ["at character 1", "no closing '`'"]),
            ("a = 1 & b = 2", ["at character 7", "unexpected '&'"]),
        ]
        for (text, expected) in cases {
            guard let problem = message({ try Expression(parsing: text) }) else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(problem.hasPrefix("invalid filter: "), "\(problem)")
            for part in expected {
                #expect(problem.contains(part), "\(text): \(problem)")
            }
        }
    }

    @Test func badJSONNamesTheKeyAndWhatIsAllowed() {
        let cases: [(String, [String])] = [
            (#"["a"]"#, ["a metadata filter is a JSON object", "not an array"]),
            (#"{"priority": {"$gtx": 2}}"#, ["unknown operator '$gtx' on field 'priority'", "$gte", "$exists", "$not"]),
            (#"{"address": {"city": "Paris"}}"#, ["unknown operator 'city' on field 'address'", #"{"$eq": {…}}"#]),
            (#"{"lang": {"$in": "en"}}"#, ["'$in' on field 'lang' takes an array", "not a string"]),
            (#"{"lang": {"nin": 3}}"#, ["'nin' on field 'lang' takes an array"]),
            (#"{"source": {"exists": 1}}"#, ["'exists' on field 'source' takes true or false", "not a number"]),
            (#"{"p": {"$lt": true}}"#, ["'$lt' on field 'p' compares with a number or a string", "not a boolean"]),
            (#"{"$and": {"a": 1}}"#, ["'$and' takes an array of filter objects", "not an object"]),
            (#"{"$or": [{"a": 1}, 3]}"#, ["'$or' item 2 is a number"]),
            (#"{"$not": [1]}"#, ["'$not' takes a filter object", "not an array"]),
            (#"{"p": {"$not": 3}}"#, ["'$not' on field 'p' takes an operator object"]),
            (#"{"$gt": 2}"#, ["'$gt' needs a field", #"{"priority": {"$gt": 2}}"#]),
            (#"{"$nor": []}"#, ["unknown operator '$nor'", "$and, $or and $not"]),
            (#"{"a": {}}"#, ["field 'a' has an empty operator object"]),
            (#"{"": 1}"#, ["a field path is empty"]),
            (#"{"a..b": 1}"#, ["field path 'a..b' has an empty segment"]),
            (#"{"$and": [{"a": {"$in": 1}}]}"#, ["'$in' on field 'a' takes an array"]),
        ]
        for (text, expected) in cases {
            guard let problem = message({ try Expression(json: JSONValue(parsing: text)) }) else {
                Issue.record("accepted \(text)")
                continue
            }
            for part in expected {
                #expect(problem.contains(part), "\(text): \(problem)")
            }
        }
    }

    // MARK: MemoryFilter

    static let start = Date(timeIntervalSince1970: 1_746_057_600)  // 2025-05-01T00:00:00Z

    func memory(
        _ namespace: String = "user/alice", kind: MemoryKind = .semantic, at offset: TimeInterval = 0,
        metadata: [String: JSONValue] = [:], validFrom: TimeInterval? = nil, validUntil: TimeInterval? = nil
    ) -> Memory {
        Memory(
            id: MemoryID.make(at: Self.start + offset), namespace: namespace, kind: kind, text: "x", metadata: metadata,
            createdAt: Self.start + offset, validFrom: validFrom.map { Self.start + $0 }, validUntil: validUntil.map { Self.start + $0 }
        )
    }

    @Test func namespacePrefixMatchesWholePathSegments() {
        let cases: [(String, String, Bool)] = [
            ("user/alice", "user/alice", true),
            ("user/alice/session/1", "user/alice", true),
            ("user/alicea", "user/alice", false),
            ("user/alice-2", "user/alice", false),
            ("user", "user/alice", false),
            ("user/alice/x", "user/alice/", true),
            ("user/alice", "user/alice/", true),
            ("user/alicea", "user/alice/", false),
            ("anything", "", true),
            ("anything", "/", true),
            ("user/bob", "user", true),
            ("users/bob", "user", false),
            ("thé/x", "thé", true),
            ("the\u{301}/x", "thé", false),  // byte for byte, no normalization
        ]
        for (namespace, prefix, expected) in cases {
            #expect(MemoryFilter.namespace(namespace, matchesPrefix: prefix) == expected, "\(namespace) under \(prefix)")
            #expect(MemoryFilter(namespacePrefix: prefix).matches(memory(namespace)) == expected)
        }
    }

    @Test func emptyFilterKeepsEverything() {
        #expect(MemoryFilter().matches(memory()))
        #expect(MemoryFilter().matches(memory("", kind: .episodic, at: -1e9, validUntil: -1e9)))
    }

    @Test func kindsKeepOnlyThoseKinds() {
        let filter = MemoryFilter(kinds: [.semantic, .procedural])
        #expect(filter.matches(memory(kind: .semantic)))
        #expect(filter.matches(memory(kind: .procedural)))
        #expect(!filter.matches(memory(kind: .episodic)))
        #expect(!MemoryFilter(kinds: []).matches(memory()), "an empty set keeps nothing")
    }

    @Test func creationRangeIsInclusiveThenExclusive() {
        let filter = MemoryFilter(createdAfter: Self.start, createdBefore: Self.start + 60)
        #expect(filter.matches(memory(at: 0)), "createdAfter is inclusive")
        #expect(filter.matches(memory(at: 59.999)))
        #expect(!filter.matches(memory(at: 60)), "createdBefore is exclusive")
        #expect(!filter.matches(memory(at: -0.001)))
        #expect(MemoryFilter(createdAfter: Self.start).matches(memory(at: 1e6)))
        #expect(MemoryFilter(createdBefore: Self.start).matches(memory(at: -1e6)))
    }

    @Test func validAtUsesTheValidityWindow() {
        let at = Self.start + 100
        let filter = MemoryFilter(validAt: at)
        #expect(filter.matches(memory()), "no window: always valid")
        #expect(filter.matches(memory(validFrom: 100)), "validFrom is inclusive")
        #expect(!filter.matches(memory(validFrom: 100.001)))
        #expect(!filter.matches(memory(validUntil: 100)), "validUntil is exclusive: a superseded fact")
        #expect(filter.matches(memory(validUntil: 100.001)))
        #expect(filter.matches(memory(validFrom: 0, validUntil: 200)))
        #expect(!filter.matches(memory(validFrom: 150, validUntil: 200)))
    }

    @Test func allConditionsMustHold() {
        let filter = MemoryFilter(
            namespacePrefix: "user/alice", kinds: [.semantic], createdAfter: Self.start, validAt: Self.start + 10,
            metadata: .compare(path: "topic", op: .eq, value: "tea")
        )
        #expect(filter.matches(memory("user/alice/s1", metadata: ["topic": "tea"])))
        #expect(!filter.matches(memory("user/alice/s1", metadata: ["topic": "coffee"])))
        #expect(!filter.matches(memory("user/bob", metadata: ["topic": "tea"])))
        #expect(!filter.matches(memory(kind: .episodic, metadata: ["topic": "tea"])))
        #expect(!filter.matches(memory(at: -1, metadata: ["topic": "tea"])))
        #expect(!filter.matches(memory(metadata: ["topic": "tea"], validUntil: 5)))
    }

    @Test func memoryFilterFromJSON() throws {
        let filter = try MemoryFilter(json: JSONValue(parsing: #"""
            {"namespace": "user/alice", "kind": ["semantic", "episodic"], "createdAfter": "2025-05-01T12:00:00Z",
             "createdBefore": "2025-05-01T14:00:00.250+02:00", "validAt": 1746100800, "where": {"topic": "tea"}}
            """#))
        #expect(filter == MemoryFilter(
            namespacePrefix: "user/alice", kinds: [.semantic, .episodic], createdAfter: Date(timeIntervalSince1970: 1_746_100_800),
            createdBefore: Date(timeIntervalSince1970: 1_746_100_800.25), validAt: Date(timeIntervalSince1970: 1_746_100_800),
            metadata: eq("topic", "tea")
        ))
        #expect(try MemoryFilter(json: ["kind": "procedural"]).kinds == [.procedural])
        #expect(try MemoryFilter(json: ["createdAfter": "2025-05-01"]).createdAfter == Self.start)
        #expect(try MemoryFilter(json: ["createdAfter": "2025-05-01T00:00:00.5Z"]).createdAfter == Self.start + 0.5)
        #expect(try MemoryFilter(json: ["where": #"topic = "tea" or p > 1"#]).metadata == .or([eq("topic", "tea"), .compare(path: "p", op: .gt, value: 1)]))
        #expect(try MemoryFilter(json: ["namespace": nil, "kind": nil, "where": nil]) == MemoryFilter())
        #expect(try MemoryFilter(json: [:]) == MemoryFilter())
    }

    @Test func badMemoryFilterJSONNamesTheKey() {
        let cases: [(JSONValue, [String])] = [
            ("x", ["a memory filter is a JSON object", "not a string"]),
            (["topic": "tea"], ["unknown key 'topic'", "namespace, kind, createdAfter, createdBefore, validAt, where", #"under "where""#]),
            (["kind": "fact"], ["'fact'", "episodic, semantic, procedural"]),
            (["kind": [1]], ["'kind' takes episodic, semantic, procedural or an array of them", "not a number"]),
            (["createdAfter": "yesterday"], ["'createdAfter'", "\"yesterday\"", "not an ISO-8601 time", "2025-05-01T12:00:00Z"]),
            (["createdBefore": "2025-05-01T12:00:00"], ["'createdBefore'", "with a zone"]),
            (["validAt": true], ["'validAt' takes an ISO-8601 time", "not a boolean"]),
            (["namespace": 3], ["'namespace' takes a namespace prefix as a string", "not a number"]),
            (["where": "topic = tea"], ["at character 9", "'tea' is not a value"]),
            (["where": ["p": ["$bad": 1]]], ["unknown operator '$bad' on field 'p'"]),
            (["where": 3], ["a metadata filter is a JSON object", "not a number"]),
        ]
        for (json, expected) in cases {
            guard let problem = message({ try MemoryFilter(json: json) }) else {
                Issue.record("accepted \(json.jsonText)")
                continue
            }
            for part in expected {
                #expect(problem.contains(part), "\(json.jsonText): \(problem)")
            }
        }
    }
}
