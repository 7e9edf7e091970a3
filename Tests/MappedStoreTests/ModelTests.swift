import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
@testable import MappedStore

@Suite("MappedStore against a model")
struct ModelTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    /// Random operations on several trees, compared with dictionaries after every commit and after reopening.
    @Test(arguments: [1, 2, 3])
    func randomOperationsMatchADictionaryModel(seed: UInt64) throws {
        let path = folder.file("db-\(seed)")
        var random = SplitMix64(state: seed)
        var model: [String: [[UInt8]: [UInt8]]] = ["": [:]]
        var store = try MappedStore(path: path)
        for round in 0..<120 {
            let abort = Int.random(in: 0..<10, using: &random) == 0
            var changed = model
            do {
                try store.write { tx throws in
                    for _ in 0..<Int.random(in: 1...60, using: &random) {
                        let treeChoice = Int.random(in: 0..<4, using: &random)
                        let tree: String? = treeChoice == 0 ? nil : "tree\(treeChoice)"
                        let name = tree ?? ""
                        if changed[name] == nil {
                            try tx.createTree(name)
                            changed[name] = [:]
                        }
                        let k = key(Int.random(in: 0..<300, using: &random))
                        switch Int.random(in: 0..<10, using: &random) {
                        case 0..<6:
                            let length = Int.random(in: 0..<20, using: &random) == 0 ? Int.random(in: 1500...20_000, using: &random) : Int.random(in: 0...120, using: &random)
                            let v = value(round, version: Int(k.last!), length: length)
                            try tx.put(k, v, in: tree)
                            changed[name]![k] = v
                        case 6..<9:
                            let existed = try tx.delete(k, in: tree)
                            #expect(existed == (changed[name]![k] != nil))
                            changed[name]![k] = nil
                        default:
                            if let tree, Int.random(in: 0..<8, using: &random) == 0 {
                                try tx.dropTree(tree)
                                changed[tree] = nil
                            }
                        }
                    }
                    if abort { throw CancellationError() }
                }
                model = changed
            } catch is CancellationError {}
            try compare(store, model, "round \(round)")
            if round % 40 == 39 {
                try expectIntact(store, "round \(round)")
                store = try MappedStore(path: path)
                try compare(store, model, "after reopen at round \(round)")
            }
        }
    }

    func compare(_ store: MappedStore, _ model: [String: [[UInt8]: [UInt8]]], _ when: String) throws {
        try store.read { tx throws in
            #expect(try tx.treeNames() == model.keys.filter { !$0.isEmpty }.sorted(), "\(when)")
            for (name, entries) in model {
                let tree = name.isEmpty ? nil : name
                let all = try tx.all(in: tree)
                #expect(all.map(\.0) == entries.keys.sorted { compareKeys($0, $1) < 0 }, "\(when): keys of '\(name)'")
                #expect(all.allSatisfy { entries[$0.0] == $0.1 }, "\(when): values of '\(name)'")
                #expect(try tx.info(of: tree).entries == UInt64(entries.count), "\(when): count of '\(name)'")
            }
        }
    }
}
