import ArgumentParser
import Embeddings
import Foundation
import Mnemap
import VectorIndex

/// `mnemap init`: a new agent-memory store.
struct MemoryInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an agent-memory store folder.",
        discussion: """
            The embedder is fixed for the store's life (its name is in manifest.json; later \
            commands open the store with it). minilm is all-MiniLM-L6-v2 (384 dimensions; install it \
            with `mnemap model install`), the default when it is installed; hashing needs no model \
            (lexical, --dimension, default 384); external stores vectors made elsewhere \
            (--dimension required; add and search then take --vector). Running init on an existing \
            store changes nothing.
            """
    )

    @OptionGroup var options: MemoryOptions
    @Option(help: "minilm, hashing or external (default: minilm when installed, else hashing).") var embedder: EmbedderChoice?
    @Option(help: "The vector length, for hashing (default 384) and external.") var dimension: Int?
    @Option(help: "How vectors are stored: float32, float16 or int8 (4x smaller, slightly less exact).") var elementType: VectorElementType = .float32

    func validate() throws {
        if let dimension, !(1...4096).contains(dimension) { throw ValidationError("--dimension must be 1 to 4096.") }
        if embedder == .external, dimension == nil { throw ValidationError("--embedder external needs --dimension (the length of your vectors).") }
        if embedder == .minilm, let dimension, dimension != 384 { throw ValidationError("all-MiniLM-L6-v2 makes vectors of 384 dimensions; leave out --dimension.") }
    }

    func run() throws {
        try reportingFailures {
            let path = options.path
            if FileManager.default.fileExists(atPath: path + "/manifest.json") {
                let manifest = try MemoryStore.manifest(at: path)
                if let embedder, embedderName(embedder) != manifest.embedder {
                    throw CommandFailure("\(path) is already a Mnemap store, with embedder \(manifest.embedder) (\(manifest.dimension) dimensions), not \(embedderName(embedder)); use it as it is, or init another folder.")
                }
                printError("\(path) is already a Mnemap store (embedder \(manifest.embedder), \(manifest.dimension) dimensions); nothing changed.")
                try report(manifest, created: false)
                return
            }
            let choice = embedder ?? defaultChoice()
            let made: (any Embedder)?
            switch choice {
            case .minilm: made = try MemoryOptions.miniLM()
            case .hashing: made = HashingEmbedder(dimension: dimension ?? 384)
            case .external: made = nil
            }
            let store = try MemoryStore(
                path: path, embedder: made, dimension: dimension, embedderName: made == nil ? "external-\(dimension ?? 0)" : nil,
                options: MemoryStore.Options(create: true, elementType: elementType.elementType)
            )
            try report(store.manifest, created: true)
        }
    }

    /// minilm when the model is installed; otherwise hashing, saying how to get the better one.
    private func defaultChoice() -> EmbedderChoice {
        if ModelStore.isInstalled(at: ModelStore.miniLMDirectory()) { return .minilm }
        printError("note: all-MiniLM-L6-v2 is not installed, so this store uses the hashing embedder (lexical); for semantic search install the model with `mnemap model install` first and init a new store.")
        return .hashing
    }

    private func embedderName(_ choice: EmbedderChoice) -> String {
        switch choice {
        case .minilm: EmbedderChoice.miniLMName
        case .hashing: "hashing-\(dimension ?? 384)"
        case .external: "external-\(dimension ?? 0)"
        }
    }

    private func report(_ manifest: Manifest, created: Bool) throws {
        let type = VectorElementType(manifest.elementType).rawValue
        if options.json {
            let object: JSONValue = [
                "path": .string(options.path), "created": .bool(created), "embedder": .string(manifest.embedder),
                "dimension": .number(Double(manifest.dimension)), "elementType": .string(type),
            ]
            try printOutput(object.jsonText)
        } else if created {
            try printOutput("created \(options.path): embedder \(manifest.embedder), \(manifest.dimension) dimensions, \(type)")
        }
    }
}

extension VectorElementType {
    var elementType: ElementType {
        switch self {
        case .float32: .float32
        case .float16: .float16
        case .int8: .int8
        }
    }

    init(_ type: ElementType) {
        switch type {
        case .float32: self = .float32
        case .float16: self = .float16
        case .int8: self = .int8
        }
    }
}
