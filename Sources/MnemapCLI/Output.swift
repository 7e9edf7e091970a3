import Foundation

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("mnemap: " + message + "\n").utf8))
}

func fileBytes(_ path: String) -> Int64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
}

/// 1536 -> "1.5 KiB".
func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// A bar of `width` cells, filled in proportion.
func bar(_ part: Int, of whole: Int, width: Int = 20) -> String {
    let filled = whole == 0 ? 0 : Int((Double(part) / Double(whole) * Double(width)).rounded())
    return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
}

func percent(_ part: Int, of whole: Int) -> String {
    whole == 0 ? "  -  " : String(format: "%5.1f%%", Double(part) / Double(whole) * 100)
}

/// Seconds from `start` to now.
func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Items per second, rounded ("-" before any time has passed).
func rate(_ count: Int, _ seconds: Double) -> String {
    seconds > 0 ? String(Int((Double(count) / seconds).rounded())) : "-"
}
