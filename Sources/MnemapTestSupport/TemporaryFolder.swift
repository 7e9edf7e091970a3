import Foundation

/// A fresh folder under the temporary directory (disk-backed here, not tmpfs), removed with
/// everything in it when the value goes away.
public final class TemporaryFolder: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "mnemap-test") throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { "\(path)/\(name)" }
}
