import MappedStore
struct TextMatch { var id: [UInt8]; var score: Double }
enum TextIndex {
    static func add(document id: [UInt8], text: String, in tx: WriteTransaction) throws {}
    static func remove(document id: [UInt8], text: String, in tx: WriteTransaction) throws {}
    static func search(_ query: String, limit: Int, in tx: ReadTransaction, accept: (([UInt8]) throws -> Bool)? = nil) throws -> [TextMatch] { [] }
    static func statistics(in tx: ReadTransaction) throws -> (documents: Int, totalLength: Int) { (0, 0) }
}
