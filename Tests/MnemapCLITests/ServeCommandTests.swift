import Foundation
import MnemapTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `mnemap serve` as users run it: the built executable on a real store and a free port on loopback.
@Suite("mnemap serve")
struct ServeCommandTests {
    let folder: TemporaryFolder
    let store: String

    init() throws {
        folder = try TemporaryFolder(prefix: "mnemap-cli-serve")
        store = folder.path("store")
    }

    /// Runs `mnemap` to the end; returns its status and standard error.
    func run(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let errors = folder.path("errors-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = ChildProcess.executable("mnemap")
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: URL(fileURLWithPath: errors)), as: UTF8.self))
    }

    /// Sends a request; returns the status and body.
    func request(_ method: String, _ url: String, body: String? = nil, token: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func anAddressOtherThanLoopbackIsRefusedWithoutAToken() throws {
        #expect(try run(["init", "--store", store, "--embedder", "hashing"]).status == 0)
        let outcome = try run(["serve", "--store", store, "--host", "0.0.0.0"])
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("--host 0.0.0.0 accepts connections from other machines"), "\(outcome.errors)")
        let missing = try run(["serve", "--store", folder.path("nothing")])
        #expect(missing.status == 1 && missing.errors.contains("mnemap init"))
    }

    @Test func servesWithTokensAndStopsGracefullyOnSIGTERM() async throws {
        #expect(try run(["init", "--store", store, "--embedder", "hashing"]).status == 0)
        let token = "serve-test-token-0123456789"
        let tokens = folder.path("tokens.json")
        try Data(#"[{"token": "\#(token)"}]"#.utf8).write(to: URL(fileURLWithPath: tokens))
        let log = folder.path("serve.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = ChildProcess.executable("mnemap")
        process.arguments = ["serve", "--store", store, "--port", "0", "--tokens", tokens]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The port chosen is in the start line: "serving <store> on http://127.0.0.1:<port> …".
        var base: String?
        for _ in 0..<100 where base == nil {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) { base = String(text[range]) }
            else { try await Task.sleep(for: .milliseconds(100)) }
        }
        let url = try #require(base, "the server did not say where it listens")

        #expect(try await request("GET", url + "/health").0 == 200)
        #expect(try await request("POST", url + "/v1/memories", body: #"{"text": "hello", "namespace": "a"}"#).0 == 401)
        let (status, body) = try await request("POST", url + "/v1/memories", body: #"{"text": "hello", "namespace": "a"}"#, token: token)
        #expect(status == 201, "\(body)")

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self)
        #expect(text.contains("the store is synced"), "\(text)")
        #expect(try run(["check", "--store", store]).status == 0)
    }
}
