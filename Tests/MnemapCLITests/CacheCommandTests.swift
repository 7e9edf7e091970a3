import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap cache` run as users run it: the built executable on real files.
@Suite("mnemap cache")
struct CacheCommandTests {
    let directory: String
    let cleanup: FolderCleanup
    let page = MappedFile.pageSize

    init() throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mnemap-cli-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        cleanup = FolderCleanup(directory)
    }

    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            directory = bundle.bundleURL.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("mnemap")
    }()

    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    func mnemap(_ arguments: String...) throws -> Outcome {
        try mnemap(arguments)
    }

    struct Status: Decodable {
        struct File: Decodable {
            var path: String
            var residentPages: Int
            var totalPages: Int
            var bytes: Int64
        }
        var pageSize: Int
        var files: [File]
        var residentPages: Int
        var totalPages: Int
    }

    func status(_ paths: String...) throws -> Status {
        let outcome = try mnemap(["cache", "status", "--json"] + paths)
        #expect(outcome.status == 0, "\(outcome.errors)")
        return try JSONDecoder().decode(Status.self, from: Data(outcome.output.utf8))
    }

    func mnemap(_ arguments: [String]) throws -> Outcome {
        let finished = try ChildProcess.run("mnemap", arguments)
        return Outcome(status: finished.status, output: finished.output, errors: finished.errors)
    }

    func makeFile(_ name: String, pages: Int) throws -> String {
        let path = directory + "/" + name
        let bytes = (0..<(pages * page)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func statusCountsMatchMincoreBeforeAndAfterWarmAndEvict() throws {
        let big = try makeFile("big", pages: 64)
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        let small = try makeFile("sub/small", pages: 3)

        _ = try mnemap("cache", "evict", directory)
        var report = try status(directory)
        #expect(report.files.map(\.path) == [big, small])
        #expect(report.totalPages == 67)
        #expect(report.residentPages == 0)
        #expect(report.residentPages == (try PageCache.residency(ofFileAt: big).residentPages + PageCache.residency(ofFileAt: small).residentPages))

        // Read part of the file without read-around, then compare with mincore.
        do {
            let file = try MappedFile(path: big)
            try file.advise(.random)
            try file.prefault(range: 0..<(10 * page))
            report = try status(big)
            #expect(report.residentPages == (try file.residentPageCount()))
            #expect(report.residentPages >= 10)
        }

        let warm = try mnemap("cache", "warm", directory)
        #expect(warm.status == 0)
        report = try status(directory)
        #expect(report.residentPages == 67)
        #expect(report.files.first?.residentPages == (try PageCache.residency(ofFileAt: big).residentPages))

        let evict = try mnemap("cache", "evict", big)
        #expect(evict.status == 0)
        report = try status(big, small)
        #expect(report.files[0].residentPages == 0)
        #expect(report.files[1].residentPages == 3)
        #expect(try PageCache.residency(ofFileAt: big).residentPages == 0)
    }

    @Test func theTableShowsABarPerFileAndATotal() throws {
        let path = try makeFile("table", pages: 4)
        _ = try mnemap("cache", "warm", path)
        let outcome = try mnemap("cache", "status", path)
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("[####################] 100.0%  4/4 pages"))
        #expect(outcome.output.contains("4/4 pages in 1 file: 16.0 KiB of 16.0 KiB resident"))
    }

    @Test func missingFilesAreClearErrorsAndTheOthersAreStillReported() throws {
        let present = try makeFile("present", pages: 1)
        let missing = directory + "/missing"
        let outcome = try mnemap("cache", "status", "--json", missing, present)
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("'\(missing)'"))
        #expect(outcome.errors.contains("No such file or directory (ENOENT). Check that the path exists."))
        let report = try JSONDecoder().decode(Status.self, from: Data(outcome.output.utf8))
        #expect(report.files.map(\.path) == [present])
    }

    @Test func emptyFilesAreReportedAsEmpty() throws {
        let path = directory + "/empty"
        FileManager.default.createFile(atPath: path, contents: Data())
        let report = try status(path)
        #expect(report.files.first?.totalPages == 0)
        let table = try mnemap("cache", "status", path)
        #expect(table.status == 0)
        #expect(table.output.contains("empty file"))
        #expect(try mnemap("cache", "warm", path).status == 0)
        #expect(try mnemap("cache", "evict", path).status == 0)
    }

    @Test(.enabled(if: geteuid() != 0, "root reads every folder"))
    func foldersWithoutPermissionAreClearErrors() throws {
        let locked = directory + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(locked, 0)
        defer { chmod(locked, 0o755) }
        let outcome = try mnemap("cache", "status", locked)
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("EACCES"))
    }

    @Test func lockHoldsFilesInRamUntilInterrupted() throws {
        let path = try makeFile("locked-file", pages: 8)
        _ = try mnemap("cache", "evict", path)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["cache", "lock", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        while !text.contains("press Ctrl-C") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("locked 1 files") || text.contains("locked 1 file"))
        #expect(try PageCache.residency(ofFileAt: path).residentPages == 8)
        // Locked pages survive an eviction attempt.
        #expect(try PageCache.evict(fileAt: path).residentPages == 8)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try PageCache.evict(fileAt: path).residentPages == 0)
    }
}
