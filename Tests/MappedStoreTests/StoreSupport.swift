import Foundation
import MnemapTestSupport
import Testing
import MappedMemory
@testable import MappedStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh folder for a test's store, removed afterwards.
typealias StoreFolder = TemporaryFolder

extension TemporaryFolder {
    func file(_ name: String) -> String { path(name) }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A key for index `i`: fixed width so byte order is numeric order.
func key(_ i: Int) -> [UInt8] { Array(String(format: "key-%08d", i).utf8) }

/// A value for (i, version) of any length, checkable.
func value(_ i: Int, version: Int = 0, length: Int = 20) -> [UInt8] {
    var result = Array("v\(i).\(version):".utf8)
    while result.count < length { result.append(UInt8(truncatingIfNeeded: i &* 31 &+ version &+ result.count)) }
    return Array(result.prefix(max(length, result.count)))
}

extension ReadTransaction {
    /// Every entry of a tree, in order.
    func all(in name: String? = nil) throws -> [([UInt8], [UInt8])] {
        var entries: [([UInt8], [UInt8])] = []
        try scan(in: name) { key, value in
            entries.append((Array(key), Array(value)))
            return true
        }
        return entries
    }
}

/// Asserts that `check` finds nothing wrong, showing what it found otherwise.
func expectIntact(_ store: MappedStore, _ comment: String = "") throws {
    let report = try store.check()
    if !report.isIntact {
        Issue.record("check found \(report.problems.count) problems \(comment): \(report.problems.prefix(5))")
    }
}
