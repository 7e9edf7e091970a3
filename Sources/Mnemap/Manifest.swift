import Foundation
import MappedMemory
import VectorIndex

/// The store folder's `manifest.json`: what a reader must know before opening the rest.
///
/// Written by ``MemoryStore`` when the folder is created (to a temporary file, synced,
/// renamed, folder synced), and again only to raise its format when a newer build opens it.
public struct Manifest: Sendable, Equatable {
    /// The layout of the folder and its trees; a newer number than this build knows is refused.
    /// 1: the first layout. 2: timeline entries may hold the memory's text document number after
    /// its vector slot (8 bytes instead of 4), which format-1 builds cannot read; this build reads
    /// both and raises a format-1 store to 2 when it opens it.
    public static let currentFormat = 2

    public var format: Int
    /// The ``Embeddings/Embedder/name`` of the model whose vectors the store holds.
    public var embedder: String
    /// The length of every vector.
    public var dimension: Int
    /// How vectors are stored in the index (`float32`, `float16`, `int8`).
    public var elementType: ElementType
    public var createdAt: Date

    public init(embedder: String, dimension: Int, elementType: ElementType = .float32, createdAt: Date = Date()) {
        format = Self.currentFormat
        self.embedder = embedder
        self.dimension = dimension
        self.elementType = elementType
        self.createdAt = createdAt
    }

    var json: JSONValue {
        [
            "format": .number(Double(format)),
            "embedder": .string(embedder),
            "dimension": .number(Double(dimension)),
            "metric": "cosine",
            "elementType": .string(Self.name(of: elementType)),
            "createdAt": .string(Timestamps.format(createdAt)),
        ]
    }

    static func name(of type: ElementType) -> String {
        switch type {
        case .float32: "float32"
        case .float16: "float16"
        case .int8: "int8"
        }
    }

    static func elementType(named name: String) -> ElementType? {
        ElementType.allCases.first { Self.name(of: $0) == name }
    }

    /// Reads and validates `path/manifest.json`.
    static func read(folder path: String) throws -> Manifest {
        let file = path + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw MemoryError.notAStore(path: path, problem: "no readable manifest.json")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: [UInt8](data)) } catch {
            throw MemoryError.notAStore(path: path, problem: "manifest.json is not valid JSON: \(error)")
        }
        guard let format = json["format"]?.numberValue, let embedder = json["embedder"]?.stringValue,
              let dimension = json["dimension"]?.numberValue, dimension >= 1, dimension <= 4096,
              let typeName = json["elementType"]?.stringValue, let type = elementType(named: typeName),
              let created = json["createdAt"]?.stringValue.flatMap(Timestamps.parse)
        else {
            throw MemoryError.notAStore(path: path, problem: "manifest.json lacks format, embedder, dimension, elementType or createdAt")
        }
        guard Int(format) <= currentFormat else {
            throw MemoryError.notAStore(path: path, problem: "format \(Int(format)) is newer than this build of Mnemap reads (\(currentFormat)); upgrade mnemap")
        }
        var manifest = Manifest(embedder: embedder, dimension: Int(dimension), elementType: type, createdAt: created)
        manifest.format = Int(format)
        return manifest
    }

    /// Writes `path/manifest.json` durably (temporary file, sync, rename, folder sync).
    func write(folder path: String) throws {
        let temporary = path + "/manifest.json.new"
        let text = json.jsonText + "\n"
        do {
            let file = try SystemFile(path: temporary, create: true)
            try Array(text.utf8).withUnsafeBytes { try file.write($0, at: 0) }
            try file.synchronize(.full)
            guard rename(temporary, path + "/manifest.json") == 0 else {
                throw MappedMemoryError.system("rename", path: temporary, errno: errno)
            }
            try DirectorySync.synchronize(path: path)
        } catch let error as MappedMemoryError {
            throw MemoryError.engine("\(error)")
        }
    }
}

/// Dates as text: ISO 8601 with milliseconds, UTC.
enum Timestamps {
    static func format(_ date: Date) -> String {
        let milliseconds = self.milliseconds(date)
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds - milliseconds.floorDivided(by: 1000) * 1000), 3))Z"
    }

    /// ISO 8601 with or without fractional seconds and time zone (UTC assumed), or a plain date.
    static func parse(_ text: String) -> Date? {
        let styles: [Date.ISO8601FormatStyle] = [
            .iso8601,
            Date.ISO8601FormatStyle(includingFractionalSeconds: true),
            Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon),
            Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon),
        ]
        for style in styles {
            if let date = try? Date(text, strategy: style) { return date }
        }
        if text.count == 10, let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash)) { return date }
        return nil
    }

    /// Milliseconds since 1970, saturating: a time beyond Int64's range (±292 million years)
    /// becomes its bound, so that a filter with an absurd time matches nothing instead of trapping.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        if value.isNaN { return 0 }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value)
    }

    /// The times a memory may hold: the years 1 to 9999, which ISO 8601 writes in four digits (and
    /// whose milliseconds fit the 48 bits of an id's time).
    static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
    static let latest = Date(timeIntervalSince1970: 253_402_300_800)

    /// Throws `.invalidField` naming `field` when `date` lies outside the years 1 to 9999.
    static func validate(_ date: Date?, field: String) throws {
        guard let date else { return }
        guard date >= earliest, date < latest else {
            throw MemoryError.invalidField("\(field) is outside the years 1 to 9999; give a time such as 2025-05-01T12:00:00Z.")
        }
    }
    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
