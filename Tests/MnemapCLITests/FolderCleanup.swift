import Foundation

/// Removes a test's temporary folder when the test's suite value goes away.
final class FolderCleanup: @unchecked Sendable {
    let path: String
    init(_ path: String) { self.path = path }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
