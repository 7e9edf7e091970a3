import Foundation
import Testing
@testable import MappedMemory

@Suite("CRC32C and waiting on a shared word")
struct ChecksumAndWaitTests {
    @Test func crc32cMatchesTheStandardVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func crc32cContinuesAcrossPiecesAtAnyAlignment() {
        let bytes = pattern(10_000)
        let whole = CRC32C.checksum(bytes)
        for split in [0, 1, 3, 7, 8, 9, 4095, 9999, 10_000] {
            let first = CRC32C.checksum(bytes[..<split])
            #expect(CRC32C.checksum(bytes[split...], continuing: first) == whole)
        }
        // Unaligned starts give the same answer as aligned ones.
        for start in 0..<9 {
            let piece = Array(bytes[start..<(start + 1000)])
            #expect(bytes[start..<(start + 1000)].withUnsafeBytes { CRC32C.checksum($0) } == CRC32C.checksum(piece))
        }
    }

    @Test func theInterleavedChainsGiveTheSameChecksumAsOneChainAndTheTables() {
        let bytes = pattern(20_000)
        bytes.withUnsafeBytes { all in
            var lengths = Array(0...700)
            lengths += stride(from: 701, to: 19_990, by: 97)
            lengths += [1044, 2048, 6144, 6145, 12_288 + 8, 19_990]
            for length in lengths {
                for start in [0, 1, 4, 7] {
                    let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let tables = CRC32C.checksum(piece, continuing: 0x1234_5678, using: .software)
                    #expect(CRC32C.checksum(piece, continuing: 0x1234_5678, using: .oneChain) == tables, "length \(length) at \(start)")
                    #expect(CRC32C.checksum(piece, continuing: 0x1234_5678, using: .threeChains) == tables, "length \(length) at \(start)")
                    #expect(CRC32C.checksum(piece, continuing: 0x1234_5678) == tables, "length \(length) at \(start)")
                }
            }
        }
    }

    @Test func copyingWhileChecksummingCopiesTheBytesAndGivesTheirChecksum() {
        let bytes = pattern(20_000, seed: 13)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: 20_032, alignment: 8)
        defer { destination.deallocate() }
        bytes.withUnsafeBytes { all in
            for length in Array(0...300) + [1024, 1044, 4096, 6145, 19_990] {
                for (start, to) in [(0, 8), (3, 8), (5, 13)] {
                    destination.initializeMemory(as: UInt8.self, repeating: 0xAA)
                    let source = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let crc = CRC32C.copy(source, to: destination.baseAddress! + to, continuing: 0x0BAD_F00D)
                    #expect(crc == CRC32C.checksum(source, continuing: 0x0BAD_F00D), "length \(length)")
                    #expect(Array(destination[to..<(to + length)]) == Array(source), "length \(length)")
                    #expect(destination[to + length] == 0xAA && destination[to - 1] == 0xAA, "length \(length)")
                }
            }
        }
    }

    @Test func aWaiterOnASharedWordIsWokenByAnotherProcess() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("futex")
        let file = try MappedFile.create(path: path, size: 4096)
        let word = try file.atomic(UInt32.self, at: 128)
        let helper = try Helper("store-and-wake", path, "128", "7")
        let clock = ContinuousClock()
        let start = clock.now
        while word.load() == 0 && clock.now - start < .seconds(20) {
            _ = word.wait(whileEqualTo: 0, timeout: .seconds(20))
        }
        let seen = word.load()
        #expect(seen == 7)
        #expect(helper.readLine()?.hasPrefix("woke") == true)
        helper.wait()
    }

    @Test func waitingTimesOutWhenNobodyWakes() throws {
        let shared = try MappedFile.anonymousShared(count: 4096)
        let word = try shared.atomic(UInt32.self, at: 0)
        let clock = ContinuousClock()
        let start = clock.now
        let woken = word.wait(whileEqualTo: 0, timeout: .milliseconds(50))
        #expect(woken == false)
        #expect(clock.now - start >= .milliseconds(45))
        // A value that already differs returns at once.
        let differed = word.wait(whileEqualTo: 1, timeout: .seconds(10))
        #expect(differed)
    }
}
