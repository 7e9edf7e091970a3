import ArgumentParser
import Embeddings
import RemoteEmbeddings
import Foundation

/// `mnemap embed`: text to vectors.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Turn text into embedding vectors.",
        discussion: """
        Texts come from the arguments, or one per line from --file (- for standard input).
        Output: one vector per line as comma-separated numbers; --json prints JSON Lines
        {"text": ..., "vector": [...]}; --output FILE writes raw little-endian Float32 rows instead.
        Models: minilm (all-MiniLM-L6-v2 in Swift; install it with `mnemap model install`),
        hashing (lexical, no model), openai (any /v1/embeddings server: --base-url, --remote-model,
        --dimension, key from OPENAI_API_KEY).
        """
    )

    enum Model: String, ExpressibleByArgument, CaseIterable { case minilm, hashing, openai }

    @Argument(help: "Texts to embed.") var texts: [String] = []
    @Option(help: "A file with one text per line (- for standard input).") var file: String?
    @Option(help: "minilm, hashing or openai.") var model: Model = .minilm
    @Flag(help: "Print JSON Lines.") var json = false
    @Option(help: "Write raw little-endian Float32 rows to this file.") var output: String?
    @Option(help: "openai: the server's base URL, e.g. http://localhost:11434/v1.") var baseURL: String = "https://api.openai.com/v1"
    @Option(help: "openai: the model name on the server.") var remoteModel: String = "text-embedding-3-small"
    @Option(help: "openai and hashing: the vector dimension.") var dimension: Int?

    func run() throws {
        var inputs = texts
        if let file {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
            inputs += String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if inputs.last == "" { inputs.removeLast() }
        }
        guard !inputs.isEmpty else {
            printError("nothing to embed: give texts as arguments or --file.")
            throw ExitCode(1)
        }
        let embedder = try makeEmbedder()
        var vectors: [[Float]] = []
        let batch = 32
        let showProgress = inputs.count > batch
        for start in stride(from: 0, to: inputs.count, by: batch) {
            let slice = Array(inputs[start..<min(inputs.count, start + batch)])
            do {
                vectors += try embedder.embed(slice)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            if showProgress {
                FileHandle.standardError.write(Data("\r\(bar(vectors.count, of: inputs.count)) \(vectors.count)/\(inputs.count)".utf8))
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if let output {
            var bytes = Data()
            for vector in vectors { vector.withUnsafeBytes { bytes.append(contentsOf: $0) } }
            do { try bytes.write(to: URL(fileURLWithPath: output)) } catch {
                printError("cannot write '\(output)': \(error.localizedDescription)")
                throw ExitCode(1)
            }
            printError("wrote \(vectors.count) vectors of \(embedder.dimension) dimensions to \(output)")
            return
        }
        var lines = ""
        for (text, vector) in zip(inputs, vectors) {
            let numbers = vector.map { "\($0)" }.joined(separator: ",")  // shortest text that reads back exactly
            if json {
                let encoded = (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
                lines += "{\"text\":\(encoded),\"vector\":[\(numbers)]}\n"
            } else {
                lines += numbers + "\n"
            }
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }

    func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            printError("cannot read '\(path)': \(error.localizedDescription). Check the path.")
            throw ExitCode(1)
        }
    }

    func makeEmbedder() throws -> any Embedder {
        switch model {
        case .hashing:
            return HashingEmbedder(dimension: dimension ?? 384)
        case .minilm:
            let folder = ModelStore.miniLMDirectory()
            guard ModelStore.isInstalled(at: folder) else {
                printError("all-MiniLM-L6-v2 is not installed in \(folder); run `mnemap model install` (or set \(ModelStore.modelDirectoryVariable)).")
                throw ExitCode(1)
            }
            do { return try MiniLMEmbedder(folder: folder) } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        case .openai:
            guard let url = URL(string: baseURL), let dimension else {
                printError("openai needs --base-url and --dimension (the vector size the model returns).")
                throw ExitCode(1)
            }
            return OpenAICompatibleEmbedder(.init(baseURL: url, model: remoteModel, apiKey: ProcessInfo.processInfo.environment["OPENAI_API_KEY"], dimension: dimension))
        }
    }
}
