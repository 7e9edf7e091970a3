import Embeddings
import Foundation
import Testing
import MnemapTestSupport

/// `mnemap embed` and `mnemap model` run as users run them.
@Suite("mnemap embed")
struct EmbedCommandTests {
    let directory: String
    let cleanup: FolderCleanup

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-embed-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        cleanup = FolderCleanup(directory)
    }

    func mnemap(_ arguments: String...) throws -> (status: Int32, output: String, errors: String) {
        let finished = try ChildProcess.run("mnemap", arguments)
        return (finished.status, finished.output, finished.errors)
    }

    struct Line: Decodable { var text: String; var vector: [Float] }

    @Test func hashingVectorsComeOutAsJSONLinesOrRawFloats() throws {
        let run = try mnemap("embed", "--model", "hashing", "--json", "agent memory", "mapped files")
        #expect(run.status == 0, "\(run.errors)")
        let lines = try run.output.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(lines.map(\.text) == ["agent memory", "mapped files"])
        #expect(lines.allSatisfy { $0.vector.count == 384 })
        #expect(lines[0].vector == HashingEmbedder().embed(["agent memory"])[0])
        let input = directory + "/lines.txt"
        try "one\ntwo\nthree\n".write(toFile: input, atomically: true, encoding: .utf8)
        let raw = directory + "/out.f32"
        let written = try mnemap("embed", "--model", "hashing", "--file", input, "--output", raw)
        #expect(written.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: raw)).count == 3 * 384 * 4)
    }

    @Test(.enabled(if: ModelStore.isInstalled(at: ModelStore.miniLMDirectory()), "needs the model: scripts/install-model.sh"))
    func miniLMVectorsEqualTheLibrarys() throws {
        let run = try mnemap("embed", "--json", "hello world")
        #expect(run.status == 0, "\(run.errors)")
        let line = try JSONDecoder().decode(Line.self, from: Data(run.output.utf8))
        let expected = try MiniLMEmbedder().embed(["hello world"])[0]
        #expect(zip(line.vector, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        let status = try mnemap("model", "status")
        #expect(status.status == 0 && status.output.contains("installed"))
    }

    @Test func missingInputsAndUnknownFilesAreClearErrors() throws {
        let empty = try mnemap("embed", "--model", "hashing")
        #expect(empty.status == 1 && empty.errors.contains("nothing to embed"))
        let missing = try mnemap("embed", "--model", "hashing", "--file", directory + "/absent.txt")
        #expect(missing.status == 1 && missing.errors.contains("absent.txt"))
        let noDimension = try mnemap("embed", "--model", "openai", "text")
        #expect(noDimension.status == 1 && noDimension.errors.contains("--dimension"))
    }
}
