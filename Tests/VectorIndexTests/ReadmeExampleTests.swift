import Foundation
import Testing
import MappedStore
import VectorIndex

/// The README's MappedStore and VectorIndex example, kept compiling and true.
@Test func theReadmeStoreAndIndexExampleRuns() throws {
    let folder = try IndexFolder()
    let store = try MappedStore(path: folder.folder("agent.mnemap"))
    try store.write { tx in
        try tx.createTree("notes")
        try tx.put(Array("greeting".utf8), Array("hello".utf8), in: "notes")
    }
    let note = try store.read { tx in try tx.get(Array("greeting".utf8), in: "notes") }
    #expect(note == Array("hello".utf8))

    let embedding = randomVectors(1, dimension: 384, seed: 1)[0]
    let query = embedding
    let index = try VectorIndex.create(at: folder.folder("agent.vectors"), configuration: .init(dimension: 384))
    let id = try index.add(embedding)
    try index.commit()
    let nearest = try index.search(query, k: 10)
    #expect(nearest.first?.id == id)
}
