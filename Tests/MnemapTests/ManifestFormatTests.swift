import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

@Suite struct ManifestFormatTests {
    /// Sets the format number in `folder/manifest.json`.
    private func setFormat(_ format: Int, in folder: String) throws {
        let url = URL(fileURLWithPath: folder + "/manifest.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["format"] = format
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test func aFormat1StoreIsRaisedTo2WhenOpenedAndANewerFormatIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("memory")
        let id: MemoryID
        do {
            let store = try makeStore(folder)
            #expect(store.manifest.format == Manifest.currentFormat)
            id = try store.add(NewMemory(text: "the staging database moved to eu-west", namespace: "ops")).memory.id
        }
        try setFormat(1, in: path)
        do {
            let store = try makeStore(folder)
            #expect(store.manifest.format == 2)
            #expect(try Manifest.read(folder: path).format == 2)
            #expect(try store.get(id)?.text == "the staging database moved to eu-west")
            #expect(try store.check().problems == [])
        }
        try setFormat(3, in: path)
        #expect {
            _ = try makeStore(folder)
        } throws: { error in
            "\(error)".contains("format 3 is newer than this build of Mnemap reads (2); upgrade mnemap")
        }
    }
}
