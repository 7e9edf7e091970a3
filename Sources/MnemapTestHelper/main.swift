// A child process for the multi-process and crash tests of agent memory (Mnemap).
//
// add STORE NAMESPACE COUNT TAG      adds COUNT memories "TAG memory I about topic I%7", printing
//                                    "added ID" after each add returns (committed).
// batches STORE NAMESPACE BATCHES SIZE TAG
//                                    adds BATCHES batches of SIZE memories, printing "batch N" after each.
// churn STORE                        adds, forgets and compacts forever, printing "kept ID" for memories kept.
// search STORE QUERY                 prints "hits N".
import Embeddings
import Foundation
import Mnemap

func say(_ text: String) {
    print(text)
    fflush(nil)
}

func fail(_ text: String) -> Never {
    FileHandle.standardError.write(Data("memory-helper: \(text)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: add|batches|search STORE …") }
let embedder = HashingEmbedder(dimension: 64)
do {
    let store = try MemoryStore(path: arguments[2], embedder: embedder, options: MemoryStore.Options(writerTimeout: .seconds(60)))
    switch arguments[1] {
    case "add":
        let count = Int(arguments[4])!
        for index in 0..<count {
            let result = try store.add(NewMemory(text: "\(arguments[5]) memory \(index) about topic \(index % 7)", namespace: arguments[3], metadata: ["index": .number(Double(index))]))
            say("added \(result.memory.id)")
        }
    case "batches":
        let batches = Int(arguments[4])!
        let size = Int(arguments[5])!
        for batch in 0..<batches {
            let items = (0..<size).map { NewMemory(text: "\(arguments[6]) batch \(batch) item \($0)", namespace: arguments[3]) }
            try store.add(contentsOf: items)
            say("batch \(batch)")
        }
    case "churn":
        // Adds, forgets and compacts in a loop: "kept ID" lines name memories that must survive.
        var round = 0
        while true {
            let added = try store.add(contentsOf: (0..<20).map { NewMemory(text: "churn \(round) item \($0)", namespace: "churn/\(round % 3)") })
            for result in added.prefix(10) { try store.forget(result.memory.id) }
            for result in added.suffix(10) { say("kept \(result.memory.id)") }
            try store.compact()
            say("compacted \(round)")
            round += 1
        }
    case "search":
        let hits = try store.search(SearchRequest(query: arguments[3], limit: 10))
        say("hits \(hits.count)")
    default:
        fail("unknown command \(arguments[1])")
    }
} catch {
    fail("\(error)")
}
