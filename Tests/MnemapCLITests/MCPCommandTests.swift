import Foundation
import MnemapTestSupport
import Testing

/// `mnemap mcp` as a client starts it: JSON-RPC lines on standard input, answers on standard output.
@Suite("mnemap mcp")
struct MCPCommandTests {
    let folder: TemporaryFolder
    let store: String

    init() throws {
        folder = try TemporaryFolder(prefix: "mnemap-cli-mcp")
        store = folder.path("store")
    }

    /// Runs `mnemap` with `input` as its standard input; returns its status, output and errors.
    func run(_ arguments: [String], input: String = "") throws -> (status: Int32, output: String, errors: String) {
        let paths = ["in", "out", "err"].map { folder.path("\($0)-\(UUID().uuidString)") }
        try Data(input.utf8).write(to: URL(fileURLWithPath: paths[0]))
        for path in paths.dropFirst() { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let process = Process()
        process.executableURL = ChildProcess.executable("mnemap")
        process.arguments = arguments
        process.standardInput = FileHandle(forReadingAtPath: paths[0])
        process.standardOutput = FileHandle(forWritingAtPath: paths[1])
        process.standardError = FileHandle(forWritingAtPath: paths[2])
        try process.run()
        process.waitUntilExit()
        let read = { (path: String) in String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self) }
        return (process.terminationStatus, read(paths[1]), read(paths[2]))
    }

    @Test func answersEveryRequestItReadBeforeItsInputEndedAndPrintsOnlyProtocol() throws {
        #expect(try run(["init", "--store", store, "--embedder", "hashing"]).status == 0)
        // The input ends right after the requests: the server must still answer (and commit) them.
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_memory","arguments":{"text":"Alice prefers green tea","namespace":"user/alice"}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_entities","arguments":{"entities":[{"name":"Alice","entityType":"person","observations":["likes tea"]}]}}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add_memory","arguments":{"txet":"typo"}}}"#,
        ]
        let outcome = try run(["mcp", "--store", store], input: requests.joined(separator: "\n") + "\n")
        #expect(outcome.status == 0, "\(outcome.errors)")
        var answers: [Int: [String: Any]] = [:]
        for line in outcome.output.split(separator: "\n") {
            let message = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON on standard output: \(line)")
            if let id = message["id"] as? Int { answers[id] = message }
        }
        #expect(Set(answers.keys) == [1, 2, 3, 4], "\(outcome.output)")
        #expect(((answers[1]?["result"] as? [String: Any])?["instructions"] as? String)?.contains("search_memory") == true)
        #expect((answers[2]?["result"] as? [String: Any])?["isError"] as? Bool == false)
        #expect((answers[4]?["result"] as? [String: Any])?["isError"] as? Bool == true)
        let timeline = try run(["timeline", "--store", store, "--namespace", "user/alice", "--json"])
        #expect(timeline.output.contains("Alice prefers green tea"))
        let graph = try run(["state", "list", "--store", store, "--namespace", "graph/entities"])
        #expect(graph.output.contains("Alice"), "\(graph.output) \(graph.errors)")
    }

    @Test func aMissingStoreIsRefusedWithWhatToDo() throws {
        let outcome = try run(["mcp", "--store", folder.path("nothing")])
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("mnemap init"), "\(outcome.errors)")
        #expect(outcome.output.isEmpty)
        #expect(try run(["init", "--store", store, "--embedder", "hashing"]).status == 0)
        let badNamespace = try run(["mcp", "--store", store, "--graph-namespace", "a//b"])
        #expect(badNamespace.status == 1 && badNamespace.errors.contains("graph namespace 'a//b' is not a namespace"), "\(badNamespace.errors)")
    }
}
